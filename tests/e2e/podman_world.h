// tests/e2e/podman_world.h — a throwaway world in which Debian's podman (CNI backend) runs
// containers whose networking is done by our plugin binaries only.
//
// The world is private, never the machine's:
//   node    a network namespace playing the host: podman runs inside it (nsenter --net), so the
//           bridge, veths, nft/iptables rules and sysctls its CNI calls create live there.
//   client  a second namespace, joined to the node by a veth pair (192.0.2.1/30 on the node,
//           192.0.2.2/30 on the client, TEST-NET-1), from which published ports are reached.
//   config  CONTAINERS_CONF and CONTAINERS_STORAGE_CONF point at files in a temp dir (network
//           config dir, storage, libpod tmp dir, file locks, events log all in it), so neither
//           /etc/containers nor /etc/cni is read or written.
// What podman does not let us relocate: libcni's cache (/var/lib/cni/results/<net>-<cid>-<if>)
// and host-local's default dataDir (/var/lib/cni/networks/<net>). The network name is unique per
// run (it contains the pid), so those entries are ours: the tests assert what is left there and
// TearDown removes them.
//
// Why nsenter and not `ip netns exec`: ip netns exec also unshares the mount namespace and
// remounts /sys for the target netns, which hides the cgroup v1 hierarchies mounted under
// /sys/fs/cgroup: runc/crun then fail ("invalid file system type on '/sys/fs/cgroup'"), and
// podman's container netns bind mount (/run/netns/netns-<uuid>) would be made in a private mount
// namespace, invisible to the next podman command. nsenter --net changes only the netns.
// Why runc: crun 1.8 refuses this machine's hybrid cgroup layout ("cgroups in hybrid mode not
// supported"); runc runs it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/spec/json.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::e2e {

// What podman's CNI backend reports for one container attached to one network.
struct PodmanContainer {
  std::string id;
  std::string ip;  // eth0's IPv4 address, without prefix
  int prefix_len = 0;
  std::string gateway;
  std::string mac;
  std::string sandbox;  // the container's netns path (/run/netns/netns-<uuid>)
  int pid = 0;          // the container's init process
  int conmon_pid = 0;
};

class PodmanTest : public ::testing::Test {
 protected:
  static constexpr const char* kNodeAddr = "192.0.2.1";
  static constexpr const char* kClientAddr = "192.0.2.2";
  // The plugins podman's bridge conflist chains (network create, CNI backend, podman 4.3).
  static const std::vector<std::string>& conflistPlugins();

  void SetUp() override;
  void TearDown() override;

  // `podman <args>` inside the node netns with the private configuration.
  testutil::CmdResult podman(const std::string& args) const;
  // `<cmd>` (a shell command line) inside the node netns, or inside any netns file.
  testutil::CmdResult inNode(const std::string& cmd) const;
  static testutil::CmdResult inNetns(const std::string& netns_path, const std::string& cmd);

  // `podman network create --subnet <subnet()> <net_>`, then the conflist podman wrote (parsed).
  // Sets bridge_. Fails the test (fatally) on any error.
  void createNetwork(Json* conflist);
  // `podman inspect` of a container, reduced to what the tests need.
  Expected<PodmanContainer> inspect(const std::string& name) const;
  // Remembers a running container's processes and netns, so TearDown can clean up after a
  // podman that failed to.
  void track(const PodmanContainer& c);

  // GET / from the client namespace to kNodeAddr:port; retried until `patience` runs out (a
  // freshly started server may not listen yet). The whole response, headers included.
  Expected<std::string> fetchFromClient(uint16_t port, std::chrono::milliseconds patience);

  // --- what the node and the machine hold (for the leftover assertions) -----------------------
  std::vector<std::string> nodeLinks(const std::string& filter = "") const;  // `ip link show` names
  // `nft list ruleset`, `iptables-nft -S` (filter, nat) and `ip6tables-nft -S` in the node.
  std::string nodeRules() const;
  // Lines of `text` that name one of the network's pod addresses (subnet hosts other than the
  // network address itself) or the given container ID.
  std::vector<std::string> linesAboutPods(const std::string& text,
                                          const std::string& container_id = "") const;
  std::filesystem::path leaseDir() const { return "/var/lib/cni/networks/" + net_; }
  std::filesystem::path cacheEntry(const std::string& container_id) const {
    return "/var/lib/cni/results/" + net_ + "-" + container_id + "-eth0";
  }
  // Files in leaseDir() other than host-local's bookkeeping (lock, last_reserved_ip.N, and our
  // host-local's lookup index dir .cnikit-index, see src/ipam/lease_index.h).
  std::vector<std::string> leases() const;
  // Per-attachment entries of that index (all but its `stamp`): one per live attachment.
  std::vector<std::string> leaseIndexEntries() const;
  // Files in /var/lib/cni/results that belong to this network.
  std::vector<std::string> cacheEntries() const;

  std::string subnet() const { return subnet_prefix_ + ".0/24"; }
  std::string gateway() const { return subnet_prefix_ + ".1"; }
  std::string rootfs() const { return (dir_.path() / "rootfs").string(); }
  std::string ourPluginDir() const;

  testutil::TempDir dir_;
  std::optional<testutil::TestNetNs> node_, client_;
  std::string tag_;            // unique per run (pid)
  std::string net_;            // podman network name
  std::string subnet_prefix_;  // "10.A.B"
  std::string bridge_;         // read from the conflist
  std::string node_if_;        // node end of the node<->client veth
  std::string body_;           // what the test web server serves

 private:
  void writeConfig();
  void makeRootfs();
  void cleanupLeftovers();

  std::vector<PodmanContainer> tracked_;
  bool podman_usable_ = false;
};

// Milliseconds since `start`.
double elapsedMs(std::chrono::steady_clock::time_point start);

}  // namespace cni::e2e
