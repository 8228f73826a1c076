// tests/netns/netns_test.cc — NetNs: open/current/run/sameAs and the named-namespace helpers,
// against the real kernel (root only).
#include "src/netns/netns.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/temp_dir.h"

namespace cni::netns {
namespace {

using testutil::NetNsTest;

bool mountedAt(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

class NetNsRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  }
};

TEST_F(NetNsTest, RunExecutesInsideTheNamespaceAndLeavesTheCallerAlone) {
  auto before = NetNs::current();
  ASSERT_TRUE(before) << before.error().toString();
  auto inside = netns().run([] { return NetNs::current(); });
  ASSERT_TRUE(inside) << inside.error().toString();
  EXPECT_TRUE(inside->sameAs(netns().ns()));
  EXPECT_FALSE(inside->sameAs(*before));
  auto after = NetNs::current();
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->sameAs(*before)) << "run() must not move the calling thread";
}

TEST_F(NetNsTest, SameAsComparesTheNamespaceNotThePath) {
  auto again = NetNs::open(netns().path());
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_TRUE(again->sameAs(netns().ns()));
  // The same namespace through /proc/<tid>/ns/net of a thread living in it.
  auto via_proc = netns().run(
      [] { return NetNs::open("/proc/self/task/" + std::to_string(::gettid()) + "/ns/net"); });
  ASSERT_TRUE(via_proc) << via_proc.error().toString();
  EXPECT_TRUE(via_proc->sameAs(netns().ns()));
  auto host = NetNs::open("/proc/self/ns/net");
  ASSERT_TRUE(host);
  EXPECT_FALSE(host->sameAs(netns().ns()));
}

TEST_F(NetNsTest, RunPassesResultsErrorsAndExceptionsThrough) {
  Expected<int> value = netns().run([]() -> Expected<int> { return 42; });
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 42);

  Expected<std::string> plain = netns().run([] { return std::string("plain"); });
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "plain");

  Status failed = netns().run([]() -> Status { return fail(ErrorCode::kTryAgainLater, "busy"); });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kTryAgainLater);
  EXPECT_EQ(failed.error().msg, "busy");

  bool ran = false;
  Status void_fn = netns().run([&] { ran = true; });
  EXPECT_TRUE(void_fn);
  EXPECT_TRUE(ran);

  EXPECT_THROW(netns().run([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
}

// The plugin-process mode (switchCallingThread) is process-wide, so it is exercised in a forked
// child: the calling thread itself is inside during f, and back home afterwards on every path.
TEST_F(NetNsTest, PluginModeSwitchesTheCallingThreadThereAndBack) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    NetNs::switchCallingThread();
    auto home = NetNs::current();
    const pid_t tid = ::gettid();
    bool same_thread = false, inside = false;
    Status ok = netns().run([&] {
      same_thread = ::gettid() == tid;
      auto now = NetNs::current();
      inside = now && now->sameAs(netns().ns());
    });
    auto after = NetNs::current();
    bool back = home && after && after->sameAs(*home);
    bool thrown = false;
    try {
      (void)netns().run([]() -> int { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error&) {
      thrown = true;
    }
    auto after_throw = NetNs::current();
    bool back_after_throw = after_throw && home && after_throw->sameAs(*home);
    // Nested: from inside the test namespace into the host's and out again, each run() returns
    // to the namespace it was called from (an in-process delegation inside a plugin's ADD).
    bool nested_ok = false;
    Status nested = netns().run([&] {
      auto host_seen = home->run([&] { return NetNs::current(); });
      auto outer = NetNs::current();
      nested_ok = host_seen && host_seen->sameAs(*home) && outer && outer->sameAs(netns().ns());
    });
    auto after_nested = NetNs::current();
    bool back_after_nested = nested && nested_ok && after_nested && after_nested->sameAs(*home);
    ::_exit(ok && same_thread && inside && back && thrown && back_after_throw && back_after_nested
                ? 0
                : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "run() in plugin mode: wrong thread or namespace";
}

TEST_F(NetNsRootTest, CreateNamedMountsAFreshNamespaceAndRemoveNamedLeavesNothing) {
  const std::string name = "cnikit-" + std::to_string(::getpid()) + "-lifecycle";
  const std::string path = NetNs::namedPath(name);
  EXPECT_EQ(path, "/run/netns/" + name);
  {
    auto ns = NetNs::createNamed(name);
    ASSERT_TRUE(ns) << ns.error().toString();
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_TRUE(mountedAt(path)) << "netns bind mount missing in mountinfo";
    auto host = NetNs::current();
    ASSERT_TRUE(host);
    EXPECT_FALSE(ns->sameAs(*host));

    // Like `ip netns add`: a second namespace of the same name is refused.
    auto dup = NetNs::createNamed(name);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().msg, "Cannot create namespace file \"" + path + "\": file exists");
    EXPECT_TRUE(mountedAt(path)) << "the failed duplicate must not disturb the original";
  }
  ASSERT_TRUE(NetNs::removeNamed(name));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(mountedAt(path));

  Status again = NetNs::removeNamed(name);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().msg,
            "Cannot remove namespace file \"" + path + "\": no such file or directory");
}

TEST_F(NetNsRootTest, EachCreatedNamespaceIsDistinct) {
  testutil::TestNetNs a("a"), b("b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.name(), b.name());
  EXPECT_FALSE(a.ns().sameAs(b.ns()));
}

TEST_F(NetNsRootTest, FixtureCleansUpOnDestruction) {
  std::string path;
  {
    testutil::TestNetNs t("cleanup");
    ASSERT_TRUE(t.ok()) << t.error().toString();
    path = t.path();
    ASSERT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(mountedAt(path));
}

TEST(NetNsNames, InvalidNamesAreRejectedBeforeTouchingTheFilesystem) {
  for (std::string_view bad : {"", ".", "..", "a/b"}) {
    auto ns = NetNs::createNamed(bad);
    EXPECT_FALSE(ns) << bad;
    EXPECT_FALSE(NetNs::removeNamed(bad)) << bad;
  }
}

// The texts Go's pkg/ns gives (plugins print them as is).
TEST(NetNsOpen, MissingPathIsGosStatfsErrorOrNulloptForOpenIfExists) {
  auto ns = NetNs::open("/nonexistent/cnikit/ns");
  ASSERT_FALSE(ns);
  EXPECT_EQ(ns.error().code, ErrorCode::kInternal);
  EXPECT_EQ(ns.error().msg,
            "failed to Statfs \"/nonexistent/cnikit/ns\": no such file or directory");

  auto maybe = NetNs::openIfExists("/nonexistent/cnikit/ns");
  ASSERT_TRUE(maybe);
  EXPECT_FALSE(maybe->has_value());
  auto empty = NetNs::openIfExists("");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
}

TEST(NetNsOpen, FileOnAnotherFilesystemIsUnknownFsMagic) {
  testutil::TempDir dir;
  auto file = dir.write("notans", "");
  struct statfs st {};
  ASSERT_EQ(::statfs(file.c_str(), &st), 0);
  char hex[32];
  std::snprintf(hex, sizeof hex, "%lx", static_cast<unsigned long>(st.f_type));
  auto ns = NetNs::open(file.string());
  ASSERT_FALSE(ns);
  EXPECT_EQ(ns.error().msg, "unknown FS magic on \"" + file.string() + "\": " + hex);
  // Not "missing": openIfExists reports it too.
  EXPECT_FALSE(NetNs::openIfExists(file.string()));
}

TEST(NetNsOpen, ANonNetworkNamespaceFailsWhenJoined) {
  // nsfs, so open() accepts it (as Go's GetNS does); setns(CLONE_NEWNET) then refuses it.
  auto ns = NetNs::open("/proc/self/ns/uts");
  ASSERT_TRUE(ns) << ns.error().toString();
  bool ran = false;
  Status s = ns->run([&] { ran = true; });
  ASSERT_FALSE(s);
  EXPECT_FALSE(ran);
  EXPECT_EQ(s.error().msg,
            "error switching to ns /proc/self/ns/uts: Error switching to ns /proc/self/ns/uts: "
            "invalid argument");
}

TEST(NetNsOpen, CurrentIsTheCallingThreadsNamespace) {
  auto a = NetNs::current();
  auto b = NetNs::open("/proc/self/ns/net");  // the main thread: gtest runs tests on it
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->sameAs(*b));
  EXPECT_EQ(a->path(), "/proc/thread-self/ns/net");
}

TEST(NetNsOpen, MovedFromNetNsKeepsTheFd) {
  auto a = NetNs::open("/proc/self/ns/net");
  ASSERT_TRUE(a);
  int fd = a->fd();
  NetNs b = std::move(*a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

}  // namespace
}  // namespace cni::netns
