// tests/netns/pluginkit_ipam_exec_test.cc — IPAM delegation (src/pluginkit/ipam_exec.h) through
// its three paths, which must be indistinguishable to the caller:
//   (a) exec of the Go reference /usr/lib/cni/host-local,
//   (b) exec of our build's cni-bin/host-local (the test binary is not that file, so it execs),
//   (c) in-process: our host-local PluginSpec run through skel::pluginMain, reached by declaring
//       cni-bin/host-local to be "this executable" (setSelfExecutableForTesting).
// Every verb is compared across the paths (results and error objects), and the leases are
// checked on disk. Separate tests prove that (c) really does not exec, and that (b) is taken when
// the finder is unset or does not know the plugin.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "plugins/multicall/registry.h"
#include "src/common/scope_guard.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/spec/error_json.h"
#include "tests/netns/plugin_runner.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/temp_dir.h"

namespace cni::pluginkit {
namespace {

namespace fs = std::filesystem;

const std::string kOurDir = std::string(CNIKIT_BINARY_DIR) + "/cni-bin";
const std::string kReferenceDir = "/usr/lib/cni";

enum class Mode { kReference, kExec, kInProcess };
constexpr Mode kAllModes[] = {Mode::kReference, Mode::kExec, Mode::kInProcess};

const char* modeName(Mode m) {
  switch (m) {
    case Mode::kReference:
      return "reference";
    case Mode::kExec:
      return "exec";
    case Mode::kInProcess:
      return "in-process";
  }
  return "?";
}

// Installs the finder and the "self" declaration for one scope, restoring "none" afterwards.
class InProcessScope {
 public:
  InProcessScope(PluginFinder finder, const std::string& self) {
    setInProcessFinder(finder);
    setSelfExecutableForTesting(self);
  }
  ~InProcessScope() {
    setInProcessFinder(nullptr);
    setSelfExecutableForTesting("");
  }
};

std::string net_name() { return "ipx" + std::to_string(::getpid()); }

// host-local config: one v4 range and one v6 range, two routes. `single`: the v4 range holds one
// address and comes second, so exhausting it happens after a v6 address was allocated (and
// must be released again).
std::string ipamConf(std::string_view version, const fs::path& data_dir, bool single = false,
                     std::string_view extra = "") {
  std::string v4 = R"({"subnet":"10.77.0.0/24","gateway":"10.77.0.1")";
  if (single) v4 += R"(,"rangeStart":"10.77.0.2","rangeEnd":"10.77.0.2")";
  v4 += "}";
  return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + net_name() +
         R"(","type":"bridge","ipam":{"type":"host-local","dataDir":")" + data_dir.string() +
         R"(","ranges":)" +
         (single ? R"([[{"subnet":"fd77::/64"}],[)" + v4 + "]],"
                 : "[[" + v4 + R"(],[{"subnet":"fd77::/64"}]],)") +
         R"("routes":[{"dst":"0.0.0.0/0"},{"dst":"10.88.0.0/16","gw":"10.77.0.9"}]})" +
         std::string(extra) + "}";
}

class IpamExec : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (a netns for CNI_NETNS)";
    if (!fs::exists(kReferenceDir + "/host-local")) GTEST_SKIP() << "no reference host-local";
    ns_.emplace("ipx");
    ASSERT_TRUE(ns_->ok()) << ns_->error().toString();
  }
  void TearDown() override {
    setInProcessFinder(nullptr);
    setSelfExecutableForTesting("");
  }

  skel::CmdArgs args(Mode m, std::string stdin_data, std::string container = "ctr-a",
                     std::string cni_args = "") {
    skel::CmdArgs a;
    a.container_id = std::move(container);
    a.netns = ns_->path();
    a.ifname = "eth0";
    a.args = std::move(cni_args);
    a.path = m == Mode::kReference ? kReferenceDir : kOurDir;
    a.stdin_data = std::move(stdin_data);
    return a;
  }

  // Runs `f` with the delegation set up for mode `m`.
  template <class F>
  auto in(Mode m, F&& f) {
    if (m == Mode::kInProcess) {
      InProcessScope scope(&plugins::findPlugin, kOurDir + "/host-local");
      return f();
    }
    InProcessScope scope(&plugins::findPlugin, "");  // set, but the binary is not "self"
    return f();
  }

  std::optional<testutil::TestNetNs> ns_;
};

void expectSameError(const Error& a, const Error& b, const char* what) {
  EXPECT_EQ(a.code, b.code) << what;
  EXPECT_EQ(a.msg, b.msg) << what;
  EXPECT_EQ(a.details, b.details) << what;
}

TEST_F(IpamExec, AddCheckDelIdenticalOnEveryPath) {
  std::vector<spec::Result> results, pinned;
  std::vector<Error> check_after_del;
  for (Mode m : kAllModes) {
    SCOPED_TRACE(modeName(m));
    testutil::TempDir data;
    const std::string conf = ipamConf("1.0.0", data.path());
    const fs::path lease4 = data.path() / net_name() / "10.77.0.2";
    const fs::path lease6 = data.path() / net_name() / "fd77::2";

    auto r = in(m, [&] { return ipamAdd("host-local", args(m, conf)); });
    ASSERT_TRUE(r) << r.error().toString();
    results.push_back(*r);
    EXPECT_TRUE(fs::exists(lease4));
    EXPECT_TRUE(fs::exists(lease6));
    EXPECT_NE(testutil::readFile(lease4).find("ctr-a"), std::string::npos);

    // CNI_ARGS from CmdArgs reaches the delegate (the process environment has none).
    auto pin = in(m, [&] {
      return ipamAdd("host-local", args(m, conf, "ctr-b", "IgnoreUnknown=1;IP=10.77.0.50"));
    });
    ASSERT_TRUE(pin) << pin.error().toString();
    pinned.push_back(*pin);
    EXPECT_TRUE(fs::exists(data.path() / net_name() / "10.77.0.50"));

    auto check = in(m, [&] { return ipamCheck("host-local", args(m, conf)); });
    EXPECT_TRUE(check) << check.error().toString();

    auto del = in(m, [&] { return ipamDel("host-local", args(m, conf)); });
    ASSERT_TRUE(del) << del.error().toString();
    EXPECT_FALSE(fs::exists(lease4));
    EXPECT_FALSE(fs::exists(lease6));
    EXPECT_TRUE(fs::exists(data.path() / net_name() / "10.77.0.50"));  // ctr-b keeps its lease

    auto del_again = in(m, [&] { return ipamDel("host-local", args(m, conf)); });
    EXPECT_TRUE(del_again) << del_again.error().toString();

    auto check_gone = in(m, [&] { return ipamCheck("host-local", args(m, conf)); });
    ASSERT_FALSE(check_gone);
    check_after_del.push_back(check_gone.error());
  }
  // The reference's 1.0.0 result, converted to the current version.
  const spec::Result& ref = results[0];
  EXPECT_EQ(ref.cni_version, "1.1.0");
  ASSERT_EQ(ref.ips.size(), 2u);
  EXPECT_EQ(ref.ips[0].address, "10.77.0.2/24");
  EXPECT_EQ(ref.ips[0].gateway, "10.77.0.1");
  EXPECT_EQ(ref.ips[1].address, "fd77::2/64");
  EXPECT_FALSE(ref.ips[0].interface);
  ASSERT_EQ(ref.routes.size(), 2u);
  EXPECT_EQ(ref.routes[0].dst, "0.0.0.0/0");
  EXPECT_EQ(ref.routes[1].gw, "10.77.0.9");
  EXPECT_EQ(pinned[0].ips[0].address, "10.77.0.50/24");
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(results[i], ref) << modeName(kAllModes[i]);
    EXPECT_EQ(pinned[i], pinned[0]) << modeName(kAllModes[i]);
    expectSameError(check_after_del[i], check_after_del[0], modeName(kAllModes[i]));
  }
  EXPECT_NE(check_after_del[0].msg.find("Failed to find address added by container ctr-a"),
            std::string::npos)
      << check_after_del[0].msg;
}

TEST_F(IpamExec, RangeExhaustedErrorIdenticalOnEveryPath) {
  std::vector<Error> errors;
  for (Mode m : kAllModes) {
    SCOPED_TRACE(modeName(m));
    testutil::TempDir data;
    const std::string conf = ipamConf("1.0.0", data.path(), /*single=*/true);
    auto first = in(m, [&] { return ipamAdd("host-local", args(m, conf, "ctr-a")); });
    ASSERT_TRUE(first) << first.error().toString();
    auto second = in(m, [&] { return ipamAdd("host-local", args(m, conf, "ctr-b")); });
    ASSERT_FALSE(second);
    errors.push_back(second.error());
    // The v6 address picked for ctr-b before the v4 range ran dry was released again.
    EXPECT_TRUE(fs::exists(data.path() / net_name() / "fd77::2"));
    EXPECT_FALSE(fs::exists(data.path() / net_name() / "fd77::3"));
  }
  EXPECT_NE(errors[0].msg.find("no IP addresses available in range set"), std::string::npos)
      << errors[0].msg;
  for (size_t i = 1; i < errors.size(); ++i) {
    expectSameError(errors[i], errors[0], modeName(kAllModes[i]));
  }
}

TEST_F(IpamExec, BadConfigErrorIdenticalOnEveryPath) {
  const std::string bad = R"({"cniVersion":"1.0.0","name":")" + net_name() +
                          R"(","type":"bridge","ipam":{"type":"host-local",)"
                          R"("ranges":[[{"subnet":"10.77.0.0/33"}]]}})";
  const std::string no_name = R"({"cniVersion":"1.0.0","ipam":{"type":"host-local"}})";
  for (const std::string& conf : {bad, no_name}) {
    std::vector<Error> errors;
    for (Mode m : kAllModes) {
      auto r = in(m, [&] { return ipamAdd("host-local", args(m, conf)); });
      ASSERT_FALSE(r) << modeName(m);
      errors.push_back(r.error());
    }
    EXPECT_FALSE(errors[0].msg.empty());
    for (size_t i = 1; i < errors.size(); ++i) {
      expectSameError(errors[i], errors[0], modeName(kAllModes[i]));
    }
  }
}

TEST_F(IpamExec, StatusAndGcOursAndInProcessAgree) {
  for (Mode m : {Mode::kExec, Mode::kInProcess}) {
    SCOPED_TRACE(modeName(m));
    testutil::TempDir data;
    const std::string conf = ipamConf("1.1.0", data.path());
    ASSERT_TRUE(in(m, [&] { return ipamAdd("host-local", args(m, conf, "ctr-a")); }));
    ASSERT_TRUE(in(m, [&] { return ipamAdd("host-local", args(m, conf, "ctr-b")); }));
    EXPECT_TRUE(fs::exists(data.path() / net_name() / "10.77.0.3"));

    auto status = in(m, [&] { return ipamStatus("host-local", args(m, conf)); });
    EXPECT_TRUE(status) << status.error().toString();

    const std::string gc =
        ipamConf("1.1.0", data.path(), false,
                 R"(,"cni.dev/valid-attachments":[{"containerID":"ctr-a","ifname":"eth0"}])");
    auto r = in(m, [&] { return ipamGc("host-local", args(m, gc)); });
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_TRUE(fs::exists(data.path() / net_name() / "10.77.0.2"));   // ctr-a is valid
    EXPECT_FALSE(fs::exists(data.path() / net_name() / "10.77.0.3"));  // ctr-b was collected
    EXPECT_FALSE(fs::exists(data.path() / net_name() / "fd77::3"));
  }
}

// The reference (spec <= 1.0.0) does not know STATUS/GC: its error object comes back as is,
// exactly what the plugin printed.
TEST_F(IpamExec, ReferenceErrorObjectPassedThroughUnchanged) {
  testutil::TempDir data;
  const std::string conf = ipamConf("1.1.0", data.path());
  for (std::string_view verb : {"STATUS", "GC"}) {
    SCOPED_TRACE(std::string(verb));
    skel::CmdArgs a = args(Mode::kReference, conf);
    auto got = verb == "GC" ? ipamGc("host-local", a) : ipamStatus("host-local", a);
    ASSERT_FALSE(got);
    auto env = plugintest::cniEnv(verb, a.netns, a.container_id, a.ifname, a.path);
    plugintest::Outcome o = plugintest::runProcess(kReferenceDir + "/host-local", {}, env, conf);
    ASSERT_EQ(o.exit_code, 1) << o.err;
    auto printed = spec::decodeErrorJson(o.out);
    ASSERT_TRUE(printed) << o.out;
    expectSameError(got.error(), *printed, "reference");
  }
}

TEST_F(IpamExec, PluginNotFound) {
  skel::CmdArgs a = args(Mode::kExec, ipamConf("1.0.0", "/nonexistent"));
  a.path = "/nonexistent-a:/nonexistent-b";
  for (Mode m : {Mode::kExec, Mode::kInProcess}) {
    auto r = in(m, [&] { return ipamAdd("no-such-ipam", a); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg,
              R"(failed to find plugin "no-such-ipam" in path [/nonexistent-a /nonexistent-b])");
    auto d = in(m, [&] { return ipamDel("no-such-ipam", a); });
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().msg, r.error().msg);
  }
  a.path = "";
  auto r = ipamAdd("host-local", a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().msg, "no paths provided");
}

// A "host-local" that cannot be executed (mode 0644, not an ELF): declared to be us, the call
// succeeds, so it ran in-process; with no finder, or a finder that does not know the name, the
// same file is exec'd and fails the way exec fails.
TEST_F(IpamExec, InProcessOnlyWhenSelfAndKnown) {
  testutil::TempDir bin;
  testutil::TempDir data;
  const fs::path fake = bin.write("host-local", "not a binary\n", 0644);
  const std::string conf = ipamConf("1.0.0", data.path());
  skel::CmdArgs a = args(Mode::kExec, conf);
  a.path = bin.path().string();
  const std::string exec_failure =
      "netplugin failed with no error message: fork/exec " + fake.string() + ": permission denied";
  {
    InProcessScope scope(&plugins::findPlugin, fake.string());
    auto r = ipamAdd("host-local", a);
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(r->ips.at(0).address, "10.77.0.2/24");
    EXPECT_TRUE(ipamDel("host-local", a));
    EXPECT_FALSE(fs::exists(data.path() / net_name() / "10.77.0.2"));
  }
  {
    InProcessScope scope(nullptr, fake.string());
    auto r = ipamAdd("host-local", a);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnknown);
    EXPECT_EQ(r.error().msg, exec_failure);
  }
  {
    PluginFinder knows_nothing = [](std::string_view) -> const skel::PluginSpec* {
      return nullptr;
    };
    InProcessScope scope(knows_nothing, fake.string());
    auto r = ipamAdd("host-local", a);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, exec_failure);
  }
}

// The in-process environment is CmdArgs over ours: an attachment variable missing from CmdArgs
// is missing for the delegate even if our own process has it, exactly as for an exec'd call.
TEST_F(IpamExec, EnvironmentComesFromCmdArgs) {
  ::setenv("CNI_CONTAINERID", "from-process-env", 1);
  ScopeGuard unset([] { ::unsetenv("CNI_CONTAINERID"); });
  std::vector<Error> errors;
  for (Mode m : {Mode::kExec, Mode::kInProcess}) {
    testutil::TempDir data;
    skel::CmdArgs a = args(m, ipamConf("1.0.0", data.path()));
    a.container_id.clear();
    auto r = in(m, [&] { return ipamAdd("host-local", a); });
    ASSERT_FALSE(r) << modeName(m);
    errors.push_back(r.error());
  }
  EXPECT_EQ(errors[0].code, ErrorCode::kInvalidEnvironmentVariables);
  EXPECT_EQ(errors[0].msg, "required env variables [CNI_CONTAINERID] missing");
  expectSameError(errors[1], errors[0], "in-process");
}

}  // namespace
}  // namespace cni::pluginkit
