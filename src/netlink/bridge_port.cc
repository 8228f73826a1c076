// src/netlink/bridge_port.cc — AF_BRIDGE port flags and VLAN requests (see bridge_port.h).
#include "src/netlink/bridge_port.h"

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

namespace cni::netlink {
namespace {

Message bridgeMessage(uint16_t type, int port_index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = port_index;
  Message m(type, 0);
  m.putHeader(ifi);
  return m;
}

bool flagOf(const AttrList& l, uint16_t type) {
  const Attr* a = l.find(type);
  return a && a->u8().value_or(0) != 0;
}

}  // namespace

Message buildBridgePortFlagsRequest(int port_index, const BridgePortFlags& f) {
  Message m = bridgeMessage(RTM_SETLINK, port_index);
  Nest p = m.beginNest(IFLA_PROTINFO);  // NLA_F_NESTED: selects the attribute form
  if (f.hairpin) m.putU8(IFLA_BRPORT_MODE, *f.hairpin ? 1 : 0);
  if (f.learning) m.putU8(IFLA_BRPORT_LEARNING, *f.learning ? 1 : 0);
  if (f.isolated) m.putU8(IFLA_BRPORT_ISOLATED, *f.isolated ? 1 : 0);
  if (f.flood) m.putU8(IFLA_BRPORT_UNICAST_FLOOD, *f.flood ? 1 : 0);
  m.endNest(p);
  return m;
}

Message buildBridgeVlanRequest(bool add, int port_index, uint16_t vid, uint16_t vid_end, bool pvid,
                               bool untagged, bool self) {
  Message m = bridgeMessage(add ? RTM_SETLINK : RTM_DELLINK, port_index);
  Nest spec = m.beginNest(IFLA_AF_SPEC, /*nested_flag=*/false);
  if (self) m.putU16(IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF);
  uint16_t flags = 0;
  if (pvid) flags |= BRIDGE_VLAN_INFO_PVID;
  if (untagged) flags |= BRIDGE_VLAN_INFO_UNTAGGED;
  if (vid_end > vid) {
    bridge_vlan_info begin{static_cast<uint16_t>(flags | BRIDGE_VLAN_INFO_RANGE_BEGIN), vid};
    bridge_vlan_info end{static_cast<uint16_t>(flags | BRIDGE_VLAN_INFO_RANGE_END), vid_end};
    m.putStruct(IFLA_BRIDGE_VLAN_INFO, begin);
    m.putStruct(IFLA_BRIDGE_VLAN_INFO, end);
  } else {
    bridge_vlan_info one{flags, vid};
    m.putStruct(IFLA_BRIDGE_VLAN_INFO, one);
  }
  m.endNest(spec);
  return m;
}

Status setBridgePortFlags(Socket& sock, int port_index, const BridgePortFlags& f) {
  Message m = buildBridgePortFlagsRequest(port_index, f);
  return sock.request(m);
}

Status setBridgePortHairpin(Socket& sock, int port_index, bool on) {
  return setBridgePortFlags(sock, port_index, BridgePortFlags{.hairpin = on});
}

Status setBridgePortIsolated(Socket& sock, int port_index, bool on) {
  return setBridgePortFlags(sock, port_index, BridgePortFlags{.isolated = on});
}

Expected<BridgePort> getBridgePort(Socket& sock, int port_index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = port_index;
  Message req(RTM_GETLINK, 0);
  req.putHeader(ifi).putU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  for (const RawMessage& msg : msgs) {
    if (msg.type() != RTM_NEWLINK) continue;
    CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(ifinfomsg)));
    const Attr* li = attrs.find(IFLA_LINKINFO);
    if (!li) break;
    CNI_ASSIGN_OR_RETURN(AttrList info, li->nested());
    const Attr* kind = info.find(IFLA_INFO_SLAVE_KIND);
    const Attr* data = info.find(IFLA_INFO_SLAVE_DATA);
    if (!kind || kind->str() != "bridge" || !data) break;
    CNI_ASSIGN_OR_RETURN(AttrList port, data->nested());
    BridgePort p;
    p.hairpin = flagOf(port, IFLA_BRPORT_MODE);
    p.learning = flagOf(port, IFLA_BRPORT_LEARNING);
    p.isolated = flagOf(port, IFLA_BRPORT_ISOLATED);
    p.flood = flagOf(port, IFLA_BRPORT_UNICAST_FLOOD);
    if (const Attr* s = port.find(IFLA_BRPORT_STATE)) p.state = s->u8().value_or(0);
    return p;
  }
  return fail(ErrorCode::kInternal, "link " + std::to_string(port_index) + " is not a bridge port");
}

Status addBridgeVlan(Socket& sock, int port_index, uint16_t vid, bool pvid, bool untagged,
                     bool self) {
  Message m = buildBridgeVlanRequest(true, port_index, vid, vid, pvid, untagged, self);
  return sock.request(m);
}

Status addBridgeVlanRange(Socket& sock, int port_index, uint16_t vid_begin, uint16_t vid_end,
                          bool untagged, bool self) {
  Message m = buildBridgeVlanRequest(true, port_index, vid_begin, vid_end, false, untagged, self);
  return sock.request(m);
}

Status delBridgeVlan(Socket& sock, int port_index, uint16_t vid, bool self) {
  Message m = buildBridgeVlanRequest(false, port_index, vid, vid, false, false, self);
  return sock.request(m);
}

Expected<std::vector<BridgeVlan>> listBridgeVlans(Socket& sock, int port_index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  Message req(RTM_GETLINK, NLM_F_DUMP);
  req.putHeader(ifi).putU32(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  std::vector<BridgeVlan> out;
  for (const RawMessage& msg : msgs) {
    auto h = msg.familyHeader<ifinfomsg>();
    if (msg.type() != RTM_NEWLINK || !h || h->ifi_index != port_index) continue;
    CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(ifinfomsg)));
    const Attr* spec = attrs.find(IFLA_AF_SPEC);
    if (!spec) continue;
    CNI_ASSIGN_OR_RETURN(AttrList entries, spec->nested());
    uint16_t range_begin = 0;
    for (const Attr& a : entries.all()) {
      if (a.type != IFLA_BRIDGE_VLAN_INFO) continue;
      auto v = a.scalar<bridge_vlan_info>();
      if (!v) return fail(ErrorCode::kInternal, "malformed IFLA_BRIDGE_VLAN_INFO");
      const bool pvid = v->flags & BRIDGE_VLAN_INFO_PVID;
      const bool untagged = v->flags & BRIDGE_VLAN_INFO_UNTAGGED;
      if (v->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
        range_begin = v->vid;
        continue;
      }
      uint16_t first = (v->flags & BRIDGE_VLAN_INFO_RANGE_END) ? range_begin : v->vid;
      for (uint32_t vid = first; vid <= v->vid; ++vid) {
        out.push_back(BridgeVlan{static_cast<uint16_t>(vid), pvid, untagged});
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cni::netlink
