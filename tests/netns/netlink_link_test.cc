// tests/netns/netlink_link_test.cc — link creation/changes/deletion and bridge ports against the
// real kernel, in throwaway namespaces: the veth peer is created directly in a second namespace.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "src/netlink/bridge_port.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/outcome.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/wait.h"

namespace cni::netlink {
namespace {

using testutil::NetNsTest;
using testutil::TestNetNs;

const std::vector<uint8_t> kPeerMac = {0x0a, 0x58, 0x0a, 0x01, 0x00, 0x05};

Socket socketIn(const TestNetNs& ns) {
  auto s = ns.run([] { return Socket::open(); });
  EXPECT_TRUE(s) << s.error().toString();
  return std::move(*s);
}

// Oper state follows the carrier asynchronously (linkwatch, shared by every namespace and
// delaying events by up to a second under link churn): poll for up to 5 s.
uint8_t waitOperState(Socket& sock, int index, uint8_t want) {
  uint8_t got = 0;
  testutil::waitUntil(
      [&] {
        auto l = getLinkByIndex(sock, index);
        got = l ? l->oper_state : 0;
        return !l || got == want;  // a vanished link ends the wait with 0
      },
      std::chrono::seconds(5), std::chrono::milliseconds(10));
  return got;
}

TEST_F(NetNsTest, VethPeerCreatedDirectlyInThePodNamespace) {
  TestNetNs pod("pod");
  ASSERT_TRUE(pod.ok()) << pod.error().toString();
  Socket host = socketIn(netns());
  Socket in_pod = socketIn(pod);

  ASSERT_TRUE(createBridge(host, BridgeOptions{.name = "br0", .up = true}));
  auto br = getLinkByName(host, "br0");
  ASSERT_TRUE(br);
  EXPECT_EQ(br->kind, "bridge");
  EXPECT_TRUE(br->isUp());

  VethOptions o{.host_name = "veth0",
                .peer_name = "eth0",
                .peer_netns_fd = pod.ns().fd(),
                .mtu = 1400,
                .peer_mac = kPeerMac,
                .host_master = br->index,
                .host_up = true,
                .host_group = 4242};
  Status s = createVeth(host, o);
  ASSERT_TRUE(s) << s.error().toString();

  auto h = getLinkByName(host, "veth0");
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(h->kind, "veth");
  EXPECT_EQ(h->mtu, 1400u);
  EXPECT_EQ(h->master, br->index);
  EXPECT_TRUE(h->isUp());
  EXPECT_EQ(h->group, 4242u);
  EXPECT_GE(h->link_netnsid, 0) << "the peer lives in another namespace";
  EXPECT_FALSE(findLinkByName(host, "eth0").value().has_value()) << "peer not in the host ns";

  auto p = getLinkByName(in_pod, "eth0");
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_EQ(p->kind, "veth");
  EXPECT_EQ(p->mtu, 1400u);
  EXPECT_EQ(p->mac, kPeerMac);
  EXPECT_EQ(p->macString(), "0a:58:0a:01:00:05");
  EXPECT_FALSE(p->isUp()) << "the peer cannot be created up";
  EXPECT_EQ(p->parent, h->index) << "IFLA_LINK of the peer is the host end's index";
  EXPECT_EQ(p->master, 0);

  // Host end is up but has no carrier until the peer is up (DOWN: the peer is not in this
  // namespace, so the kernel cannot report LOWERLAYERDOWN), then UP.
  EXPECT_EQ(h->oper_state, IF_OPER_DOWN);
  EXPECT_EQ(h->flags & IFF_LOWER_UP, 0u);
  ASSERT_TRUE(setLinkUp(in_pod, p->index));
  EXPECT_EQ(waitOperState(in_pod, p->index, IF_OPER_UP), IF_OPER_UP);
  EXPECT_EQ(waitOperState(host, h->index, IF_OPER_UP), IF_OPER_UP);

  // Deleting one end removes the pair, in both namespaces.
  EXPECT_EQ(deleteLink(host, h->index).value(), DeleteResult::kDeleted);
  EXPECT_FALSE(findLinkByName(in_pod, "eth0").value().has_value());
}

TEST_F(NetNsTest, PeerCannotBeCreatedUpAndDuplicateNamesAreEexist) {
  Socket sock = socketIn(netns());
  ASSERT_TRUE(createVeth(sock, VethOptions{.host_name = "va", .peer_name = "vb"}));
  Status dup = createVeth(sock, VethOptions{.host_name = "va", .peer_name = "vc"});
  ASSERT_FALSE(dup);
  EXPECT_TRUE(isKernelErrno(dup.error(), EEXIST)) << dup.error().toString();
  EXPECT_FALSE(isKernelErrno(dup.error(), ENODEV));
}

TEST_F(NetNsTest, BridgePortHairpinIsolatedAndPromiscReadBack) {
  Socket sock = socketIn(netns());
  ASSERT_TRUE(createBridge(
      sock,
      BridgeOptions{.name = "br0", .mtu = 1450, .promisc = true, .mac = {0x02, 0, 0, 0, 0, 0x01}}));
  auto br = getLinkByName(sock, "br0").value();
  EXPECT_TRUE(br.flags & IFF_PROMISC);
  EXPECT_EQ(br.macString(), "02:00:00:00:00:01");
  ASSERT_TRUE(createVeth(sock, VethOptions{.host_name = "p1", .peer_name = "p1c"}));
  auto port = getLinkByName(sock, "p1").value();

  auto not_port = getBridgePort(sock, port.index);
  EXPECT_FALSE(not_port) << "not enslaved yet";

  ASSERT_TRUE(setLinkMaster(sock, port.index, br.index));
  auto bp = getBridgePort(sock, port.index);
  ASSERT_TRUE(bp) << bp.error().toString();
  EXPECT_FALSE(bp->hairpin);
  EXPECT_FALSE(bp->isolated);
  EXPECT_TRUE(bp->learning) << "kernel default";

  ASSERT_TRUE(setBridgePortHairpin(sock, port.index, true));
  ASSERT_TRUE(setBridgePortIsolated(sock, port.index, true));
  bp = getBridgePort(sock, port.index);
  ASSERT_TRUE(bp);
  EXPECT_TRUE(bp->hairpin);
  EXPECT_TRUE(bp->isolated);
  Status f =
      setBridgePortFlags(sock, port.index, BridgePortFlags{.hairpin = false, .learning = false});
  ASSERT_TRUE(f) << f.error().toString();
  bp = getBridgePort(sock, port.index);
  EXPECT_FALSE(bp->hairpin);
  EXPECT_FALSE(bp->learning);
  EXPECT_TRUE(bp->isolated) << "flags not in the request keep their value";

  ASSERT_TRUE(setLinkPromisc(sock, br.index, false));
  EXPECT_FALSE(getLinkByIndex(sock, br.index)->flags & IFF_PROMISC);
  ASSERT_TRUE(setLinkNoMaster(sock, port.index));
  EXPECT_EQ(getLinkByIndex(sock, port.index)->master, 0);
}

TEST_F(NetNsTest, BridgeVlansOnAPort) {
  Socket sock = socketIn(netns());
  Status c = createBridge(sock, BridgeOptions{.name = "brv", .vlan_filtering = true});
  if (!c && isKernelErrno(c.error(), EOPNOTSUPP)) {
    GTEST_SKIP() << "kernel built without CONFIG_BRIDGE_VLAN_FILTERING (creating a bridge with "
                    "vlan_filtering=1 answered: "
                 << c.error().toString() << ")";
  }
  ASSERT_TRUE(c) << c.error().toString();
  auto br = getLinkByName(sock, "brv").value();
  ASSERT_TRUE(createVeth(
      sock, VethOptions{.host_name = "vp", .peer_name = "vpc", .host_master = br.index}));
  auto port = getLinkByName(sock, "vp").value();

  Status a = addBridgeVlan(sock, port.index, 100, /*pvid=*/true, /*untagged=*/true);
  ASSERT_TRUE(a) << a.error().toString();
  ASSERT_TRUE(addBridgeVlanRange(sock, port.index, 200, 202, false));
  ASSERT_TRUE(delBridgeVlan(sock, port.index, 1)) << "default PVID 1 removed";
  auto vlans = listBridgeVlans(sock, port.index);
  ASSERT_TRUE(vlans) << vlans.error().toString();
  std::vector<BridgeVlan> want = {
      {100, true, true}, {200, false, false}, {201, false, false}, {202, false, false}};
  EXPECT_EQ(*vlans, want);
  // Turning filtering off on an existing bridge.
  ASSERT_TRUE(setBridgeVlanFiltering(sock, br.index, false));
}

TEST_F(NetNsTest, LinkSettersAndTypedNotFoundOnDelete) {
  Socket sock = socketIn(netns());
  TestNetNs other("other");
  ASSERT_TRUE(other.ok());
  // veth, not dummy: the kernel kind every CNI host has (this test kernel has no dummy).
  ASSERT_TRUE(createVeth(sock, VethOptions{.host_name = "d0", .peer_name = "d0p"}));
  int idx = getLinkByName(sock, "d0")->index;
  ASSERT_TRUE(setLinkMtu(sock, idx, 1234));
  auto mac = parseMac("02:11:22:33:44:55").value();
  ASSERT_TRUE(setLinkMac(sock, idx, mac));
  ASSERT_TRUE(setLinkAlias(sock, idx, "pod uplink"));
  ASSERT_TRUE(setLinkGroup(sock, idx, 9));
  ASSERT_TRUE(setLinkName(sock, idx, "d0.renamed"));
  auto l = getLinkByIndex(sock, idx).value();
  EXPECT_EQ(l.name, "d0.renamed");
  EXPECT_EQ(l.mtu, 1234u);
  EXPECT_EQ(l.mac, mac);
  EXPECT_EQ(l.alias, "pod uplink");
  EXPECT_EQ(l.group, 9u);

  // Move to another namespace by fd: gone here, present there under the same name.
  ASSERT_TRUE(setLinkNetNsFd(sock, idx, other.ns().fd()));
  EXPECT_FALSE(findLinkByIndex(sock, idx).value().has_value());
  Socket there = socketIn(other);
  auto moved = getLinkByName(there, "d0.renamed");
  ASSERT_TRUE(moved) << moved.error().toString();
  EXPECT_EQ(moved->mtu, 1234u);

  // Idempotent deletes: first kDeleted, then kNotFound (by name and by index), never an error.
  EXPECT_EQ(deleteLinkByName(there, "d0.renamed").value(), DeleteResult::kDeleted);
  EXPECT_EQ(deleteLinkByName(there, "d0.renamed").value(), DeleteResult::kNotFound);
  EXPECT_EQ(deleteLink(there, moved->index).value(), DeleteResult::kNotFound);

  // Group delete: every member in one request.
  for (const char* n : {"g1", "g2", "g3"}) {
    ASSERT_TRUE(createVeth(
        sock, VethOptions{.host_name = n, .peer_name = std::string(n) + "p", .host_group = 31}));
  }
  ASSERT_TRUE(createVeth(sock, VethOptions{.host_name = "keep", .peer_name = "keepp"}));
  EXPECT_EQ(deleteLinkGroup(sock, 31).value(), DeleteResult::kDeleted);
  auto all = listLinks(sock).value();
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const Link& x) { return x.group == 31; }), 0);
  EXPECT_TRUE(findLinkByName(sock, "keep").value().has_value());
  EXPECT_EQ(deleteLinkGroup(sock, 31).value(), DeleteResult::kNotFound);
}

TEST_F(NetNsTest, ExtendedAckTextOnAnInvalidMtu) {
  Socket sock = socketIn(netns());
  ASSERT_TRUE(createVeth(sock, VethOptions{.host_name = "m0", .peer_name = "m1"}));
  int idx = getLinkByName(sock, "m0")->index;
  Status s = setLinkMtu(sock, idx, 70000);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg, "invalid argument");
  EXPECT_EQ(s.error().details, "mtu greater than device maximum");
  EXPECT_EQ(s.error().toString(), "invalid argument; mtu greater than device maximum");
}

// Each remaining kind: created for real, or skipped when this kernel lacks it.
void createOrSkip(Socket& sock, const char* kind, const Status& s, const char* name) {
  if (!s && isKernelErrno(s.error(), EOPNOTSUPP)) {
    GTEST_SKIP() << "kernel has no '" << kind << "' link support: " << s.error().toString();
  }
  ASSERT_TRUE(s) << kind << ": " << s.error().toString();
  auto l = getLinkByName(sock, name);
  ASSERT_TRUE(l) << l.error().toString();
  EXPECT_EQ(l->kind, kind);
}

class NetlinkKinds : public NetNsTest {
 protected:
  void SetUp() override {
    NetNsTest::SetUp();
    if (IsSkipped()) return;
    sock_.emplace(socketIn(netns()));
    ASSERT_TRUE(createVeth(
        *sock_, VethOptions{.host_name = "lower0", .peer_name = "lower0p", .host_up = true}));
    lower_ = getLinkByName(*sock_, "lower0")->index;
  }
  std::optional<Socket> sock_;
  int lower_ = 0;
};

TEST_F(NetlinkKinds, Dummy) {
  createOrSkip(*sock_, "dummy", createDummy(*sock_, {.name = "dum9"}), "dum9");
}
TEST_F(NetlinkKinds, Ifb) {
  createOrSkip(*sock_, "ifb", createIfb(*sock_, {.name = "ifb9"}), "ifb9");
}
TEST_F(NetlinkKinds, Vrf) {
  createOrSkip(*sock_, "vrf", createVrf(*sock_, {.name = "vrf9"}, 1009), "vrf9");
}
TEST_F(NetlinkKinds, Macvlan) {
  createOrSkip(*sock_, "macvlan",
               createMacvlan(*sock_, {.name = "mv9", .parent = lower_}, MacvlanMode::kBridge),
               "mv9");
}
TEST_F(NetlinkKinds, Ipvlan) {
  createOrSkip(*sock_, "ipvlan",
               createIpvlan(*sock_, {.name = "ipv9", .parent = lower_}, IpvlanMode::kL2), "ipv9");
}
TEST_F(NetlinkKinds, Vlan) {
  createOrSkip(*sock_, "vlan", createVlan(*sock_, {.name = "lower0.9", .parent = lower_}, 9),
               "lower0.9");
}
TEST_F(NetlinkKinds, Vxlan) {
  VxlanOptions v{.vni = 9, .local = IpAddress::v4(0x0a000001u), .underlay = lower_};
  createOrSkip(*sock_, "vxlan", createVxlan(*sock_, {.name = "vx9"}, v), "vx9");
}

}  // namespace
}  // namespace cni::netlink
