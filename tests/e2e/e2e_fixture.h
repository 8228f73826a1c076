// tests/e2e/e2e_fixture.h — a throwaway world for end-to-end tests: a private "node" network
// namespace standing in for the host (bridges, masquerade and portmap rules, ip_forward all land
// there, never in the machine's own namespace), a named pod namespace, a config dir, a cache dir,
// an IPAM data dir, a unique bridge name and subnet; everything is removed in TearDown, even
// after a failure. Tests run side by side (ctest -j), so nothing here may be host-global: two
// demos in the root namespace saw each other's masquerade rules as stale.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "src/netns/netns.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::e2e {

inline const std::string kReferenceDir = "/usr/lib/cni";
inline std::string cnikitBin() { return std::string(CNIKIT_BINARY_DIR) + "/bin/cnikit"; }
inline std::string ourPluginDir() { return std::string(CNIKIT_BINARY_DIR) + "/cni-bin"; }

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    if (!std::filesystem::exists(kReferenceDir + "/bridge")) {
      GTEST_SKIP() << "reference plugins missing (apt-get install containernetworking-plugins)";
    }
    const int pid = ::getpid();
    tag_ = std::to_string(pid);
    netns_name_ = "cnikit-e2e-" + tag_;
    node_name_ = "cnikit-e2en-" + tag_;
    bridge_ = "ck" + std::to_string(pid % 1000000) + "br";
    subnet_prefix_ = "10." + std::to_string(200 + pid % 50) + "." + std::to_string(pid / 50 % 250);
    auto node = netns::NetNs::createNamed(node_name_);
    ASSERT_TRUE(node) << node.error().toString();
    node_.emplace(std::move(*node));
    ASSERT_EQ(onNode("ip link set lo up").status, 0);
    auto ns = netns::NetNs::createNamed(netns_name_);
    ASSERT_TRUE(ns) << ns.error().toString();
    ns_.emplace(std::move(*ns));
  }

  void TearDown() override {
    ns_.reset();
    if (!netns_name_.empty()) (void)netns::NetNs::removeNamed(netns_name_);
    // Links go with the node namespace; deleting the bridge first makes that synchronous.
    if (node_) testutil::run("ip -n " + node_name_ + " link del " + bridge_ + " 2>/dev/null");
    node_.reset();
    if (!node_name_.empty()) (void)netns::NetNs::removeNamed(node_name_);
  }

  std::string netnsPath() const { return netns::NetNs::namedPath(netns_name_); }
  std::string nodePath() const { return netns::NetNs::namedPath(node_name_); }
  std::string subnet() const { return subnet_prefix_ + ".0/24"; }
  std::string gateway() const { return subnet_prefix_ + ".1"; }
  std::string ipamDir() const { return (state_.path() / "ipam").string(); }
  std::string cacheDir() const { return (state_.path() / "cache").string(); }
  std::string confDir() const { return (state_.path() / "net.d").string(); }

  // A bridge + host-local conflist (ipMasq off: nothing is NATed towards the host's network).
  std::string bridgeConflist(const std::string& name, const std::string& version,
                             const std::string& extra_plugins = "",
                             const std::string& first_plugins = "") const {
    return R"({"cniVersion":")" + version + R"(","name":")" + name + R"(","plugins":[)" +
           first_plugins + R"({"type":"bridge","bridge":")" + bridge_ +
           R"(","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","ranges":[[{"subnet":")" +
           subnet() + R"("}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + ipamDir() + R"("}})" +
           extra_plugins + "]}";
  }

  // A shell command run in the node namespace. nsenter, not `ip netns exec`: the latter's
  // private mount namespace would hide the /run/netns mounts the command makes (cnikit demo).
  testutil::CmdResult onNode(const std::string& cmd,
                             const std::map<std::string, std::string>& env = {}) const {
    return testutil::run("nsenter --net=" + nodePath() + " " + cmd, env);
  }

  // Runs the cnikit CLI on the node with NETCONFPATH/CNI_PATH set for this world.
  testutil::CmdResult cnikit(const std::string& args, const std::string& cni_path,
                             std::map<std::string, std::string> env = {}) const {
    env["NETCONFPATH"] = confDir();
    env["CNI_PATH"] = cni_path;
    return onNode(cnikitBin() + " --cache-dir " + cacheDir() + " " + args, env);
  }

  // `ip` inside the test namespace.
  testutil::CmdResult inNs(const std::string& cmd) const {
    return testutil::run("ip netns exec " + netns_name_ + " " + cmd);
  }

  testutil::TempDir state_;
  std::string tag_, netns_name_, node_name_, bridge_, subnet_prefix_;
  std::optional<netns::NetNs> node_, ns_;
};

}  // namespace cni::e2e
