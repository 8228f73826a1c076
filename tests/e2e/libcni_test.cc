// tests/e2e/libcni_test.cc — libcnikit's C++ API running real plugin processes: the reference
// bridge in a real namespace, plus scripted plugins that fail, hang or flood their pipes.
#include <gtest/gtest.h>

#include <chrono>

#include "src/conf/conf.h"
#include "src/invoke/raw_exec.h"
#include "src/libcni/api.h"
#include "tests/e2e/e2e_fixture.h"

namespace cni::e2e {
namespace {

using Clock = std::chrono::steady_clock;

class LibcniTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (IsSkipped()) return;
    // Scripted plugins live in their own CNI_PATH directory before the reference one.
    fake_dir_ = (state_.path() / "fakebin").string();
    state_.write("fakebin/failer",
                 "#!/bin/sh\ncat >/dev/null\n"
                 "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                 "  echo '{\"code\":107,\"msg\":\"failer refuses\",\"details\":\"by design\"}'\n"
                 "  exit 1\nfi\nexit 0\n",
                 0755);
    // Its background child's pid goes to a file: a test may only look for its own processes.
    state_.write("fakebin/hang",
                 "#!/bin/sh\nsleep 30 &\necho $! > \"$(dirname \"$0\")/bg.pid\"\nsleep 30\n", 0755);
    // 1 MiB on stderr, then a 1 MiB result on stdout (a long dns domain), then success.
    state_.write("fakebin/flood",
                 "#!/bin/sh\ncat >/dev/null\n"
                 "head -c 1048576 /dev/zero | tr '\\0' 'e' >&2\n"
                 "printf '{\"cniVersion\":\"1.0.0\",\"dns\":{\"domain\":\"'\n"
                 "head -c 1048576 /dev/zero | tr '\\0' 'd'\n"
                 "printf '\"}}'\n",
                 0755);
  }

  libcni::CniConfig makeCni(std::chrono::milliseconds timeout = {}) {
    libcni::Options o;
    o.path = {fake_dir_, kReferenceDir};
    o.cache_dir = cacheDir();
    o.timeout = timeout;
    return libcni::CniConfig(o);
  }

  libcni::RuntimeConf rt() const {
    return {.container_id = "e2e" + tag_, .netns = netnsPath(), .ifname = "eth0"};
  }

  std::string fake_dir_;
};

TEST_F(LibcniTest, PluginFailingMidChainReportsItsErrorAndDelCleansUp) {
  auto list = conf::confListFromBytes(bridgeConflist("e2efail", "1.0.0", R"(,{"type":"failer"})"));
  ASSERT_TRUE(list) << list.error().toString();
  auto cni = makeCni();
  // The plugins run on the node (their bridge is the node's, not the machine's).
  auto r = node_->run([&] { return cni.addNetworkList(*list, rt()); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().codeValue(), 107u);
  EXPECT_EQ(r.error().toString(), "plugin type=\"failer\" failed (add): failer refuses; by design");
  EXPECT_EQ(inNs("ip link show eth0").status, 0) << "the bridge did its part before the failure";
  EXPECT_FALSE(std::filesystem::exists(cacheDir() + "/results/e2efail-e2e" + tag_ + "-eth0"));
  // The runtime's duty after a failed ADD: DEL the whole list. Everything goes away.
  auto d = node_->run([&] { return cni.delNetworkList(*list, rt()); });
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_NE(inNs("ip link show eth0").status, 0);
  EXPECT_EQ(testutil::run("ls " + ipamDir() + "/e2efail | grep -c '^10\\.'").out, "0\n");
}

TEST_F(LibcniTest, HangingPluginIsKilledAtTheTimeout) {
  auto list = conf::confListFromBytes(
      R"({"cniVersion":"1.0.0","name":"e2ehang","plugins":[{"type":"hang"}]})");
  ASSERT_TRUE(list);
  auto cni = makeCni(std::chrono::milliseconds(1500));  // bg.pid is written by then
  auto start = Clock::now();
  auto r = cni.addNetworkList(*list, rt());
  auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("timed out"), std::string::npos) << r.error().toString();
  EXPECT_LT(took, std::chrono::seconds(5));
  // Its background child died with it (process group kill).
  const auto bg = static_cast<pid_t>(std::stol(testutil::readFile(fake_dir_ + "/bg.pid")));
  EXPECT_TRUE(testutil::waitGone(bg, std::chrono::seconds(2))) << "the plugin's child survived";
}

TEST_F(LibcniTest, MegabytesOnStdoutAndStderrDoNotDeadlock) {
  auto list = conf::confListFromBytes(
      R"({"cniVersion":"1.0.0","name":"e2eflood","plugins":[{"type":"flood"}]})");
  ASSERT_TRUE(list);
  libcni::Options o;
  o.path = {fake_dir_};
  o.cache_dir = cacheDir();
  o.timeout = std::chrono::seconds(20);
  size_t stderr_bytes = 0;
  invoke::RawExecOptions ro;
  ro.timeout = o.timeout;
  ro.stderr_sink = [&](std::string_view s) { stderr_bytes += s.size(); };
  o.exec = std::make_shared<invoke::RawExec>(ro);
  libcni::CniConfig cni(o);
  auto r = cni.addNetworkList(*list, rt());
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->dns.domain.size(), 1048576u);
  EXPECT_EQ(stderr_bytes, 1048576u);
}

}  // namespace
}  // namespace cni::e2e
