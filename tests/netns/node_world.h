// tests/netns/node_world.h — a throwaway "node" for main-plugin tests: a node namespace that
// plays the host (bridges, host veths, nft rules and sysctls all live there, never in the real
// host namespace), any number of pod namespaces, and a private IPAM data dir. Plugins run as the
// real static binary (build/cni-bin/<type>) started inside the node namespace, with CNI_PATH =
// build/cni-bin, exactly as a runtime on that node would run them — with an environment of
// only the CNI_* variables (no PATH): the plugins need no `ip`, `iptables` or `nft` binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/route.h"
#include "src/spec/json.h"
#include "tests/netns/plugin_runner.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/temp_dir.h"

namespace cni::plugintest {

// gtest parameter names for spec versions: "1.0.0" -> "v1_0_0".
inline std::string versionTestName(const ::testing::TestParamInfo<std::string_view>& info) {
  std::string s(info.param);
  for (char& ch : s) ch = ch == '.' ? '_' : ch;
  return "v" + s;
}

// Whether the kernel creates a link kind (for plugins this kernel may lack: dummy, ipvlan, vlan).
// `create` runs in a scratch namespace with a veth `p0` whose index it gets as a possible
// parent; only EOPNOTSUPP means "no" (any other failure is left for the test to show).
bool kernelCreatesLink(const std::function<Status(netlink::Socket&, int parent)>& create);

inline std::string ourBinDir() { return std::string(CNIKIT_BINARY_DIR) + "/cni-bin"; }

class NodeWorld : public ::testing::Test {
 protected:
  void SetUp() override;

  // A new pod namespace; the returned reference stays valid for the test.
  testutil::TestNetNs& addPod();
  const testutil::TestNetNs& node() const { return *node_; }
  std::string dataDir() const { return (dir_.path() / "ipam").string(); }
  // CNI_ARGS for the following calls ("" = unset).
  void setCniArgs(std::string args) { cni_args_ = std::move(args); }

  // Runs build/cni-bin/<type> inside the node namespace with the CNI_* environment.
  Outcome call(std::string_view type, std::string_view cmd, std::string_view netns,
               std::string_view cid, std::string_view stdin_data, std::string_view ifname = "eth0",
               std::string_view bin_dir = {}) const;
  // Same, parsing a successful ADD's stdout (fails the test otherwise).
  Json add(std::string_view type, std::string_view netns, std::string_view cid,
           std::string_view stdin_data, std::string_view ifname = "eth0") const;

  // Kernel state, read with our netlink layer inside a namespace.
  std::vector<netlink::Link> links(const testutil::TestNetNs& ns) const;
  std::optional<netlink::Link> link(const testutil::TestNetNs& ns, std::string_view name) const;
  std::vector<std::string> addrs(const testutil::TestNetNs& ns, std::string_view ifname) const;
  std::vector<netlink::Route> routes(const testutil::TestNetNs& ns) const;
  // Names of the files in the IPAM data dir of network `net` (empty when the dir is absent).
  std::vector<std::string> leaseFiles(std::string_view net) const;
  // The leased addresses of network `net` (lease files only: no lock, last_reserved_ip, index).
  std::vector<std::string> leasedIps(std::string_view net) const;
  // `nft list ruleset` inside the node namespace.
  std::string nftRuleset() const;
  // Whether an ICMP echo from `from` to `ip` is answered (up to three tries of 1 s each).
  bool ping(const testutil::TestNetNs& from, std::string_view ip) const;
  // Whether a single ICMP echo (1 s) goes unanswered: for paths that must be cut.
  bool unreachable(const testutil::TestNetNs& from, std::string_view ip) const;

  // The node's "NIC" for plugins with a master device (macvlan, ipvlan): one end (`name`) of a
  // veth pair, both ends up, with 192.0.2.1/24 and the node's default route via 192.0.2.254.
  void addNodeUplink(std::string_view name, std::string_view peer) const;

  // A plugin config (a JSON object text) with "prevResult": prev added, for CHECK/DEL.
  static std::string withPrev(std::string conf, const Json& prev) {
    conf.pop_back();
    return conf + R"(,"prevResult":)" + prev.dump() + "}";
  }
  // Only lo is left in the pod: nothing the plugin made remains.
  void expectPodEmpty(const testutil::TestNetNs& pod) const {
    for (const auto& l : links(pod)) EXPECT_EQ(l.name, "lo");
  }

 private:
  testutil::TempDir dir_;
  std::unique_ptr<testutil::TestNetNs> node_;
  std::vector<std::unique_ptr<testutil::TestNetNs>> pods_;
  std::string cni_args_;
};

}  // namespace cni::plugintest
