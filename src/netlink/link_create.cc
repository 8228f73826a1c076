// src/netlink/link_create.cc — RTM_NEWLINK encodings of the virtual link kinds.
#include "src/netlink/link_create.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

namespace cni::netlink {
namespace {

constexpr uint16_t kCreate = NLM_F_CREATE | NLM_F_EXCL;

ifinfomsg ifiFor(bool up, bool promisc) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  // Only the bits we mean to set are in ifi_change: the rest keep the kernel defaults.
  if (up) {
    ifi.ifi_flags |= IFF_UP;
    ifi.ifi_change |= IFF_UP;
  }
  if (promisc) {
    ifi.ifi_flags |= IFF_PROMISC;
    ifi.ifi_change |= IFF_PROMISC;
  }
  return ifi;
}

// The IFLA_* attributes shared by every kind (after the family header).
void putCommon(Message& m, const LinkAttrs& a) {
  m.putString(IFLA_IFNAME, a.name);
  if (a.mtu != 0) m.putU32(IFLA_MTU, a.mtu);
  if (!a.mac.empty()) m.putBytes(IFLA_ADDRESS, a.mac);
  if (a.master != 0) m.putU32(IFLA_MASTER, static_cast<uint32_t>(a.master));
  if (a.parent != 0) m.putU32(IFLA_LINK, static_cast<uint32_t>(a.parent));
  if (a.group) m.putU32(IFLA_GROUP, *a.group);
  if (a.netns_fd >= 0) m.putU32(IFLA_NET_NS_FD, static_cast<uint32_t>(a.netns_fd));
  if (a.txqlen) m.putU32(IFLA_TXQLEN, *a.txqlen);
}

Message newLink(const LinkAttrs& a) {
  Message m(RTM_NEWLINK, kCreate);
  m.putHeader(ifiFor(a.up, a.promisc));
  putCommon(m, a);
  return m;
}

// IFLA_LINKINFO { IFLA_INFO_KIND = kind, IFLA_INFO_DATA { fill_data() } }: the shape every
// kind-specific request shares.
template <class F>
void putLinkInfo(Message& m, std::string_view kind, F&& fill_data) {
  Nest info = m.beginNest(IFLA_LINKINFO);
  m.putString(IFLA_INFO_KIND, kind);
  Nest data = m.beginNest(IFLA_INFO_DATA);
  fill_data();
  m.endNest(data);
  m.endNest(info);
}

}  // namespace

Message buildVethRequest(const VethOptions& o) {
  LinkAttrs host;
  host.name = o.host_name;
  host.mtu = o.mtu;
  host.mac = o.host_mac;
  host.master = o.host_master;
  host.up = o.host_up;
  host.group = o.host_group;
  host.txqlen = o.txqlen;
  Message m = newLink(host);
  Nest info = m.beginNest(IFLA_LINKINFO);
  m.putString(IFLA_INFO_KIND, "veth");
  Nest data = m.beginNest(IFLA_INFO_DATA);
  // The peer is a whole link description: ifinfomsg, then its own IFLA_* attributes.
  Nest peer = m.beginNest(VETH_INFO_PEER);
  m.putInnerHeader(ifiFor(false, false));
  LinkAttrs p;
  p.name = o.peer_name;
  p.mtu = o.mtu;
  p.mac = o.peer_mac;
  p.netns_fd = o.peer_netns_fd;
  p.txqlen = o.txqlen;
  putCommon(m, p);
  m.endNest(peer);
  m.endNest(data);
  m.endNest(info);
  return m;
}

Message buildBridgeRequest(const BridgeOptions& o) {
  LinkAttrs a;
  a.name = o.name;
  a.mtu = o.mtu;
  a.mac = o.mac;
  a.up = o.up;
  a.promisc = o.promisc;
  Message m = newLink(a);
  Nest info = m.beginNest(IFLA_LINKINFO);
  m.putString(IFLA_INFO_KIND, "bridge");
  if (o.vlan_filtering) {
    Nest data = m.beginNest(IFLA_INFO_DATA);
    m.putU8(IFLA_BR_VLAN_FILTERING, *o.vlan_filtering ? 1 : 0);
    m.endNest(data);
  }
  m.endNest(info);
  return m;
}

Message buildBridgeVlanFilteringRequest(int bridge_index, bool on) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = bridge_index;
  Message m(RTM_NEWLINK, 0);
  m.putHeader(ifi);
  putLinkInfo(m, "bridge", [&] { m.putU8(IFLA_BR_VLAN_FILTERING, on ? 1 : 0); });
  return m;
}

Message buildMacvlanRequest(const LinkAttrs& a, MacvlanMode mode) {
  Message m = newLink(a);
  putLinkInfo(m, "macvlan", [&] { m.putU32(IFLA_MACVLAN_MODE, static_cast<uint32_t>(mode)); });
  return m;
}

Message buildIpvlanRequest(const LinkAttrs& a, IpvlanMode mode) {
  Message m = newLink(a);
  putLinkInfo(m, "ipvlan", [&] { m.putU16(IFLA_IPVLAN_MODE, static_cast<uint16_t>(mode)); });
  return m;
}

Message buildVlanRequest(const LinkAttrs& a, uint16_t vlan_id) {
  Message m = newLink(a);
  putLinkInfo(m, "vlan", [&] { m.putU16(IFLA_VLAN_ID, vlan_id); });
  return m;
}

Message buildVxlanRequest(const LinkAttrs& a, const VxlanOptions& o) {
  Message m = newLink(a);
  putLinkInfo(m, "vxlan", [&] {
    m.putU32(IFLA_VXLAN_ID, o.vni);
    if (o.local)
      m.putBytes(o.local->isV4() ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, o.local->bytes());
    if (o.group)
      m.putBytes(o.group->isV4() ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, o.group->bytes());
    if (o.underlay != 0) m.putU32(IFLA_VXLAN_LINK, static_cast<uint32_t>(o.underlay));
    m.putU16(IFLA_VXLAN_PORT, htons(o.port));  // the one big-endian attribute here
    m.putU8(IFLA_VXLAN_LEARNING, o.learning ? 1 : 0);
  });
  return m;
}

Message buildSimpleLinkRequest(const LinkAttrs& a, std::string_view kind) {
  Message m = newLink(a);
  Nest info = m.beginNest(IFLA_LINKINFO);
  m.putString(IFLA_INFO_KIND, kind);
  m.endNest(info);
  return m;
}

Message buildVrfRequest(const LinkAttrs& a, uint32_t table) {
  Message m = newLink(a);
  putLinkInfo(m, "vrf", [&] { m.putU32(IFLA_VRF_TABLE, table); });
  return m;
}

Status createVeth(Socket& sock, const VethOptions& o) {
  Message m = buildVethRequest(o);
  return sock.request(m);
}
Status createBridge(Socket& sock, const BridgeOptions& o) {
  Message m = buildBridgeRequest(o);
  return sock.request(m);
}
Status createMacvlan(Socket& sock, const LinkAttrs& a, MacvlanMode mode) {
  Message m = buildMacvlanRequest(a, mode);
  return sock.request(m);
}
Status createIpvlan(Socket& sock, const LinkAttrs& a, IpvlanMode mode) {
  Message m = buildIpvlanRequest(a, mode);
  return sock.request(m);
}
Status createVlan(Socket& sock, const LinkAttrs& a, uint16_t vlan_id) {
  Message m = buildVlanRequest(a, vlan_id);
  return sock.request(m);
}
Status createVxlan(Socket& sock, const LinkAttrs& a, const VxlanOptions& o) {
  Message m = buildVxlanRequest(a, o);
  return sock.request(m);
}
Status createDummy(Socket& sock, const LinkAttrs& a) {
  Message m = buildSimpleLinkRequest(a, "dummy");
  return sock.request(m);
}
Status createIfb(Socket& sock, const LinkAttrs& a) {
  Message m = buildSimpleLinkRequest(a, "ifb");
  return sock.request(m);
}
Status createVrf(Socket& sock, const LinkAttrs& a, uint32_t table) {
  Message m = buildVrfRequest(a, table);
  return sock.request(m);
}
Status setBridgeVlanFiltering(Socket& sock, int bridge_index, bool on) {
  Message m = buildBridgeVlanFilteringRequest(bridge_index, on);
  return sock.request(m);
}

}  // namespace cni::netlink
