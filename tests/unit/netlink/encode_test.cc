// tests/unit/netlink/encode_test.cc — byte-level checks of every request the link, bridge,
// address, route, rule and neighbour modules build, decoded with the same parser the socket
// uses. No kernel needed: these pin the wire format the kernel tests then exercise for real.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "src/netlink/addr.h"
#include "src/netlink/bridge_port.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/neigh.h"
#include "src/netlink/route.h"
#include "src/netlink/rule.h"

namespace cni::netlink {
namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s).value(); }
IpPrefix pfx(const char* s) { return IpPrefix::parse(s).value(); }

AttrList top(const RawMessage& r, size_t hdr) {
  auto a = r.attrs(hdr);
  EXPECT_TRUE(a);
  return a ? *a : AttrList();
}

AttrList nestedOf(const AttrList& l, uint16_t type) {
  const Attr* a = l.find(type);
  EXPECT_NE(a, nullptr) << "missing attribute " << type;
  if (!a) return {};
  auto n = a->nested();
  EXPECT_TRUE(n);
  return n ? *n : AttrList();
}

TEST(LinkEncoding, VethPeerIsAFullLinkDescriptionInThePodNamespace) {
  VethOptions o;
  o.host_name = "veth1234";
  o.peer_name = "eth0";
  o.peer_netns_fd = 17;
  o.mtu = 1450;
  o.peer_mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
  o.host_master = 5;
  o.host_up = true;
  o.host_group = 77;
  Message m = buildVethRequest(o);
  ASSERT_TRUE(m.status()) << m.status().error().toString();
  RawMessage r(m.bytes());
  EXPECT_EQ(r.type(), RTM_NEWLINK);
  EXPECT_EQ(r.header().nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  auto ifi = r.familyHeader<ifinfomsg>();
  EXPECT_EQ(ifi->ifi_flags & IFF_UP, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi->ifi_change, static_cast<unsigned>(IFF_UP)) << "only the bits we set change";
  AttrList host = top(r, sizeof(ifinfomsg));
  EXPECT_EQ(host.find(IFLA_IFNAME)->str(), "veth1234");
  EXPECT_EQ(host.find(IFLA_MTU)->u32(), 1450u);
  EXPECT_EQ(host.find(IFLA_MASTER)->u32(), 5u);
  EXPECT_EQ(host.find(IFLA_GROUP)->u32(), 77u);
  EXPECT_EQ(host.find(IFLA_NET_NS_FD), nullptr) << "host end stays here";
  EXPECT_EQ(host.find(IFLA_ADDRESS), nullptr) << "random host MAC";
  AttrList info = nestedOf(host, IFLA_LINKINFO);
  EXPECT_EQ(info.find(IFLA_INFO_KIND)->str(), "veth");
  AttrList data = nestedOf(info, IFLA_INFO_DATA);
  const Attr* peer = data.find(VETH_INFO_PEER);
  ASSERT_NE(peer, nullptr);
  ASSERT_GE(peer->data.size(), sizeof(ifinfomsg));
  ifinfomsg pifi;
  std::memcpy(&pifi, peer->data.data(), sizeof pifi);
  EXPECT_EQ(pifi.ifi_flags & IFF_UP, 0u) << "the peer cannot be created up (ENOTCONN)";
  auto pattrs = AttrList::parse(peer->data.subspan(sizeof(ifinfomsg)));
  ASSERT_TRUE(pattrs);
  EXPECT_EQ(pattrs->find(IFLA_IFNAME)->str(), "eth0");
  EXPECT_EQ(pattrs->find(IFLA_NET_NS_FD)->u32(), 17u);
  EXPECT_EQ(pattrs->find(IFLA_MTU)->u32(), 1450u);
  ASSERT_NE(pattrs->find(IFLA_ADDRESS), nullptr);
  EXPECT_EQ(std::vector<uint8_t>(pattrs->find(IFLA_ADDRESS)->data.begin(),
                                 pattrs->find(IFLA_ADDRESS)->data.end()),
            o.peer_mac);
  EXPECT_EQ(pattrs->find(IFLA_MASTER), nullptr);
}

TEST(LinkEncoding, BridgeWithVlanFilteringPromiscAndMac) {
  BridgeOptions o{.name = "cni0",
                  .mtu = 1400,
                  .promisc = true,
                  .vlan_filtering = true,
                  .mac = {2, 0, 0, 0, 0, 1}};
  Message m = buildBridgeRequest(o);
  ASSERT_TRUE(m.status());
  RawMessage r(m.bytes());
  auto ifi = r.familyHeader<ifinfomsg>();
  EXPECT_EQ(ifi->ifi_flags, static_cast<unsigned>(IFF_PROMISC));
  EXPECT_EQ(ifi->ifi_change, static_cast<unsigned>(IFF_PROMISC));
  AttrList a = top(r, sizeof(ifinfomsg));
  EXPECT_EQ(a.find(IFLA_IFNAME)->str(), "cni0");
  EXPECT_EQ(a.find(IFLA_ADDRESS)->data.size(), 6u);
  AttrList info = nestedOf(a, IFLA_LINKINFO);
  EXPECT_EQ(info.find(IFLA_INFO_KIND)->str(), "bridge");
  EXPECT_EQ(nestedOf(info, IFLA_INFO_DATA).find(IFLA_BR_VLAN_FILTERING)->u8(), 1u);

  BridgeOptions plain{.name = "cni1"};
  RawMessage r2(buildBridgeRequest(plain).bytes());
  EXPECT_EQ(nestedOf(top(r2, sizeof(ifinfomsg)), IFLA_LINKINFO).find(IFLA_INFO_DATA), nullptr)
      << "no vlan_filtering attribute unless asked";
}

TEST(LinkEncoding, KindSpecificData) {
  LinkAttrs a{.name = "mv0", .parent = 3, .netns_fd = 9};
  {
    RawMessage r(buildMacvlanRequest(a, MacvlanMode::kBridge).bytes());
    AttrList t = top(r, sizeof(ifinfomsg));
    EXPECT_EQ(t.find(IFLA_LINK)->u32(), 3u);
    EXPECT_EQ(t.find(IFLA_NET_NS_FD)->u32(), 9u);
    AttrList info = nestedOf(t, IFLA_LINKINFO);
    EXPECT_EQ(info.find(IFLA_INFO_KIND)->str(), "macvlan");
    EXPECT_EQ(nestedOf(info, IFLA_INFO_DATA).find(IFLA_MACVLAN_MODE)->u32(),
              static_cast<uint32_t>(MACVLAN_MODE_BRIDGE));
  }
  {
    RawMessage r(buildIpvlanRequest(a, IpvlanMode::kL3).bytes());
    AttrList info = nestedOf(top(r, sizeof(ifinfomsg)), IFLA_LINKINFO);
    EXPECT_EQ(info.find(IFLA_INFO_KIND)->str(), "ipvlan");
    EXPECT_EQ(nestedOf(info, IFLA_INFO_DATA).find(IFLA_IPVLAN_MODE)->u16(), IPVLAN_MODE_L3);
  }
  {
    RawMessage r(buildVlanRequest(a, 100).bytes());
    AttrList info = nestedOf(top(r, sizeof(ifinfomsg)), IFLA_LINKINFO);
    EXPECT_EQ(nestedOf(info, IFLA_INFO_DATA).find(IFLA_VLAN_ID)->u16(), 100u);
  }
  {
    VxlanOptions v{.vni = 42, .local = ip("10.0.0.1"), .group = ip("ff02::1"), .underlay = 2};
    RawMessage r(buildVxlanRequest(a, v).bytes());
    AttrList d = nestedOf(nestedOf(top(r, sizeof(ifinfomsg)), IFLA_LINKINFO), IFLA_INFO_DATA);
    EXPECT_EQ(d.find(IFLA_VXLAN_ID)->u32(), 42u);
    EXPECT_EQ(d.find(IFLA_VXLAN_LOCAL)->data.size(), 4u);
    EXPECT_EQ(d.find(IFLA_VXLAN_GROUP6)->data.size(), 16u);
    EXPECT_EQ(d.find(IFLA_VXLAN_PORT)->u16(), htons(4789)) << "port is big-endian";
    EXPECT_EQ(d.find(IFLA_VXLAN_LINK)->u32(), 2u);
  }
  {
    RawMessage r(buildVrfRequest(a, 1001).bytes());
    AttrList info = nestedOf(top(r, sizeof(ifinfomsg)), IFLA_LINKINFO);
    EXPECT_EQ(info.find(IFLA_INFO_KIND)->str(), "vrf");
    EXPECT_EQ(nestedOf(info, IFLA_INFO_DATA).find(IFLA_VRF_TABLE)->u32(), 1001u);
  }
  {
    RawMessage r(buildSimpleLinkRequest(LinkAttrs{.name = "ifb0"}, "ifb").bytes());
    AttrList info = nestedOf(top(r, sizeof(ifinfomsg)), IFLA_LINKINFO);
    EXPECT_EQ(info.find(IFLA_INFO_KIND)->str(), "ifb");
    EXPECT_EQ(info.find(IFLA_INFO_DATA), nullptr);
  }
}

TEST(LinkEncoding, ParseMacAcceptsGoFormsOnly) {
  EXPECT_EQ(parseMac("02:42:AC:11:00:02").value(),
            (std::vector<uint8_t>{0x02, 0x42, 0xac, 0x11, 0x00, 0x02}));
  EXPECT_EQ(parseMac("02-42-ac-11-00-02").value().size(), 6u);
  for (const char* bad :
       {"", "02:42:ac:11:00", "02:42:ac:11:00:0g", "02:42-ac:11:00:02", "02:42:ac:11:00:02:"}) {
    EXPECT_FALSE(parseMac(bad)) << bad;
  }
}

TEST(BridgeEncoding, PortFlagsAreNestedProtinfoOfFamilyBridge) {
  Message m = buildBridgePortFlagsRequest(8, BridgePortFlags{.hairpin = true, .isolated = false});
  ASSERT_TRUE(m.status());
  RawMessage r(m.bytes());
  EXPECT_EQ(r.type(), RTM_SETLINK);
  EXPECT_EQ(r.familyHeader<ifinfomsg>()->ifi_family, AF_BRIDGE);
  EXPECT_EQ(r.familyHeader<ifinfomsg>()->ifi_index, 8);
  // The raw type must carry NLA_F_NESTED, or the kernel reads the legacy STP-state byte.
  nlattr raw;
  std::memcpy(&raw, r.payload().data() + NLMSG_ALIGN(sizeof(ifinfomsg)), sizeof raw);
  EXPECT_EQ(raw.nla_type, IFLA_PROTINFO | NLA_F_NESTED);
  AttrList p = nestedOf(top(r, sizeof(ifinfomsg)), IFLA_PROTINFO);
  EXPECT_EQ(p.find(IFLA_BRPORT_MODE)->u8(), 1u);
  EXPECT_EQ(p.find(IFLA_BRPORT_ISOLATED)->u8(), 0u);
  EXPECT_EQ(p.find(IFLA_BRPORT_LEARNING), nullptr) << "unset flags are not sent";
}

TEST(BridgeEncoding, VlanEntriesSinglesAndRanges) {
  RawMessage one(buildBridgeVlanRequest(true, 4, 10, 10, true, true, false).bytes());
  EXPECT_EQ(one.type(), RTM_SETLINK);
  AttrList spec = nestedOf(top(one, sizeof(ifinfomsg)), IFLA_AF_SPEC);
  auto v = spec.find(IFLA_BRIDGE_VLAN_INFO)->scalar<bridge_vlan_info>();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->vid, 10);
  EXPECT_EQ(v->flags, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
  EXPECT_EQ(spec.find(IFLA_BRIDGE_FLAGS), nullptr);

  RawMessage range(buildBridgeVlanRequest(true, 4, 100, 200, false, false, true).bytes());
  AttrList rs = nestedOf(top(range, sizeof(ifinfomsg)), IFLA_AF_SPEC);
  EXPECT_EQ(rs.find(IFLA_BRIDGE_FLAGS)->u16(), BRIDGE_FLAGS_SELF);
  std::vector<bridge_vlan_info> infos;
  for (const Attr& a : rs.all()) {
    if (a.type == IFLA_BRIDGE_VLAN_INFO) infos.push_back(*a.scalar<bridge_vlan_info>());
  }
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].vid, 100);
  EXPECT_TRUE(infos[0].flags & BRIDGE_VLAN_INFO_RANGE_BEGIN);
  EXPECT_EQ(infos[1].vid, 200);
  EXPECT_TRUE(infos[1].flags & BRIDGE_VLAN_INFO_RANGE_END);

  RawMessage del(buildBridgeVlanRequest(false, 4, 10, 10, false, false, false).bytes());
  EXPECT_EQ(del.type(), RTM_DELLINK);
}

TEST(AddrEncoding, FlagsBeyondEightBitsGoInIfaFlags) {
  AddressOptions o{
      .scope = RT_SCOPE_LINK, .flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE, .replace = true};
  Message m = buildAddressRequest(3, pfx("fd00::5/64"), o);
  ASSERT_TRUE(m.status());
  RawMessage r(m.bytes());
  EXPECT_EQ(r.header().nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
  auto ifa = r.familyHeader<ifaddrmsg>();
  EXPECT_EQ(ifa->ifa_family, AF_INET6);
  EXPECT_EQ(ifa->ifa_prefixlen, 64);
  EXPECT_EQ(ifa->ifa_scope, RT_SCOPE_LINK);
  EXPECT_EQ(ifa->ifa_flags, IFA_F_NODAD) << "NOPREFIXROUTE (0x200) does not fit the u8";
  AttrList a = top(r, sizeof(ifaddrmsg));
  EXPECT_EQ(a.find(IFA_FLAGS)->u32(), static_cast<uint32_t>(IFA_F_NODAD | IFA_F_NOPREFIXROUTE));
  EXPECT_EQ(a.find(IFA_LOCAL)->data.size(), 16u);

  AddressOptions ptp{.peer = ip("10.0.0.1")};
  RawMessage r2(buildAddressRequest(3, pfx("10.0.0.2/32"), ptp).bytes());
  AttrList a2 = top(r2, sizeof(ifaddrmsg));
  EXPECT_EQ(IpAddress::fromBytes(a2.find(IFA_ADDRESS)->data), ip("10.0.0.1"));
  EXPECT_EQ(IpAddress::fromBytes(a2.find(IFA_LOCAL)->data), ip("10.0.0.2"));
  EXPECT_EQ(r2.header().nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  EXPECT_EQ(a2.find(IFA_FLAGS), nullptr);
}

TEST(RouteEncoding, EveryAttributeRoundTripsThroughTheParser) {
  Route rt;
  rt.dst = pfx("10.10.0.7/16");  // host bits are cleared on the wire
  rt.gateway = ip("192.168.1.1");
  rt.dev = 4;
  rt.src = ip("192.168.1.5");
  rt.table = 1000;
  rt.scope = RT_SCOPE_UNIVERSE;
  rt.priority = 300;
  rt.mtu = 1400;
  rt.advmss = 1360;
  rt.onlink = true;
  Message m = buildRouteRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, rt);
  ASSERT_TRUE(m.status());
  RawMessage r(m.bytes());
  auto h = r.familyHeader<rtmsg>();
  EXPECT_EQ(h->rtm_table, RT_TABLE_UNSPEC) << "tables > 255 only in RTA_TABLE";
  EXPECT_EQ(h->rtm_flags, static_cast<unsigned>(RTNH_F_ONLINK));
  EXPECT_EQ(h->rtm_protocol, RTPROT_BOOT);
  auto back = parseRoute(r);
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->dst.str(), "10.10.0.0/16");
  EXPECT_EQ(back->gateway, rt.gateway);
  EXPECT_EQ(back->dev, 4);
  EXPECT_EQ(back->src, rt.src);
  EXPECT_EQ(back->table, 1000u);
  EXPECT_EQ(back->priority, 300u);
  EXPECT_EQ(back->mtu, 1400u);
  EXPECT_EQ(back->advmss, 1360u);
  EXPECT_TRUE(back->onlink);

  Route def;
  def.dst = pfx("::/0");
  def.multipath = {NextHop{.gateway = ip("fe80::1"), .dev = 2, .weight = 1},
                   NextHop{.gateway = ip("fe80::2"), .dev = 3, .weight = 5, .onlink = true}};
  RawMessage r2(buildRouteRequest(RTM_NEWROUTE, NLM_F_CREATE, def).bytes());
  AttrList a2 = top(r2, sizeof(rtmsg));
  EXPECT_EQ(a2.find(RTA_DST), nullptr) << "default route: no RTA_DST";
  EXPECT_EQ(a2.find(RTA_TABLE)->u32(), 254u);
  auto back2 = parseRoute(r2);
  ASSERT_TRUE(back2) << back2.error().toString();
  EXPECT_TRUE(back2->isDefault());
  EXPECT_EQ(back2->family(), IpFamily::kV6);
  EXPECT_EQ(back2->multipath, def.multipath);
  EXPECT_EQ(back2->gateway, std::nullopt);

  Route del = rt;
  del.scope = RT_SCOPE_UNIVERSE;
  RawMessage r3(buildRouteRequest(RTM_DELROUTE, 0, del).bytes());
  EXPECT_EQ(r3.familyHeader<rtmsg>()->rtm_scope, RT_SCOPE_NOWHERE) << "delete matches any scope";
  EXPECT_EQ(r3.familyHeader<rtmsg>()->rtm_protocol, 0);
}

TEST(RuleEncoding, PrefixesTableAndPriority) {
  Rule rule{.family = IpFamily::kV4,
            .src = pfx("10.1.2.3/24"),
            .dst = pfx("10.9.0.0/16"),
            .table = 500,
            .priority = 100,
            .iif = "eth0"};
  RawMessage r(buildRuleRequest(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule).bytes());
  auto h = r.familyHeader<fib_rule_hdr>();
  EXPECT_EQ(h->action, FR_ACT_TO_TBL);
  EXPECT_EQ(h->src_len, 24);
  EXPECT_EQ(h->dst_len, 16);
  EXPECT_EQ(h->table, RT_TABLE_UNSPEC);
  auto back = parseRule(r);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->src->str(), "10.1.2.0/24");
  EXPECT_EQ(back->dst->str(), "10.9.0.0/16");
  EXPECT_EQ(back->table, 500u);
  EXPECT_EQ(back->priority, 100u);
  EXPECT_EQ(back->iif, "eth0");
  EXPECT_EQ(back->oif, "");
}

TEST(NeighEncoding, IpNeighbourAndFdbEntry) {
  Neighbour n{.index = 3, .ip = ip("fd00::9"), .mac = {2, 0, 0, 0, 0, 9}};
  RawMessage r(buildNeighbourRequest(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, n).bytes());
  auto h = r.familyHeader<ndmsg>();
  EXPECT_EQ(h->ndm_family, AF_INET6);
  EXPECT_EQ(h->ndm_state, NUD_PERMANENT);
  auto back = parseNeighbour(r);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ip, n.ip);
  EXPECT_EQ(back->mac, n.mac);
  EXPECT_FALSE(back->fdb);

  Neighbour f{.index = 6, .mac = {2, 0, 0, 0, 0, 7}, .flags = NTF_MASTER, .vlan = 10, .fdb = true};
  RawMessage r2(buildNeighbourRequest(RTM_NEWNEIGH, 0, f).bytes());
  EXPECT_EQ(r2.familyHeader<ndmsg>()->ndm_family, AF_BRIDGE);
  EXPECT_EQ(r2.familyHeader<ndmsg>()->ndm_flags, NTF_MASTER);
  EXPECT_EQ(top(r2, sizeof(ndmsg)).find(NDA_VLAN)->u16(), 10u);
  EXPECT_EQ(top(r2, sizeof(ndmsg)).find(NDA_DST), nullptr);
}

}  // namespace
}  // namespace cni::netlink
