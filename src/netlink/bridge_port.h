// src/netlink/bridge_port.h — bridge port flags (IFLA_PROTINFO) and bridge VLANs (IFLA_AF_SPEC).
//
// Both are RTM_SETLINK requests of family AF_BRIDGE addressed to the *port* (the enslaved veth):
//   * port flags: IFLA_PROTINFO, which must carry NLA_F_NESTED (without it the kernel reads the
//     payload as the legacy one-byte STP state), holding IFLA_BRPORT_MODE (hairpin),
//     IFLA_BRPORT_LEARNING, IFLA_BRPORT_ISOLATED, ...;
//   * VLANs: IFLA_AF_SPEC with IFLA_BRIDGE_VLAN_INFO {flags, vid} entries (a range is a
//     RANGE_BEGIN entry followed by a RANGE_END entry); RTM_DELLINK removes them. They need
//     vlan_filtering on the bridge to have any effect on forwarding, not to be configured.
// Reading back uses the port's IFLA_INFO_SLAVE_DATA (flags) and an AF_BRIDGE dump with
// RTEXT_FILTER_BRVLAN (VLANs).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "src/common/error.h"
#include "src/netlink/message.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

// What to change; nullopt leaves the kernel's current value.
struct BridgePortFlags {
  std::optional<bool> hairpin;   // IFLA_BRPORT_MODE (reflect frames back out of their port)
  std::optional<bool> learning;  // IFLA_BRPORT_LEARNING
  std::optional<bool> isolated;  // IFLA_BRPORT_ISOLATED (no forwarding between isolated ports)
  std::optional<bool> flood;     // IFLA_BRPORT_UNICAST_FLOOD
};

// The port state as the kernel reports it.
struct BridgePort {
  bool hairpin = false;
  bool learning = false;
  bool isolated = false;
  bool flood = false;
  uint8_t state = 0;  // BR_STATE_* (3 = forwarding)
};

struct BridgeVlan {
  uint16_t vid = 0;
  bool pvid = false;      // BRIDGE_VLAN_INFO_PVID: untagged ingress goes to this VLAN
  bool untagged = false;  // BRIDGE_VLAN_INFO_UNTAGGED: egress without a tag
  auto operator<=>(const BridgeVlan&) const = default;
};

Message buildBridgePortFlagsRequest(int port_index, const BridgePortFlags& f);
// vid_end > vid encodes the range [vid, vid_end] (pvid must be false for a range).
// self = the request targets the bridge device's own VLAN table (`bridge vlan ... self`).
Message buildBridgeVlanRequest(bool add, int port_index, uint16_t vid, uint16_t vid_end, bool pvid,
                               bool untagged, bool self);

Status setBridgePortFlags(Socket& sock, int port_index, const BridgePortFlags& f);
// Convenience wrappers of the two flags the bridge plugin sets.
Status setBridgePortHairpin(Socket& sock, int port_index, bool on);
Status setBridgePortIsolated(Socket& sock, int port_index, bool on);
// Fails with "not a bridge port" when the link has no bridge master.
Expected<BridgePort> getBridgePort(Socket& sock, int port_index);

Status addBridgeVlan(Socket& sock, int port_index, uint16_t vid, bool pvid, bool untagged,
                     bool self = false);
Status addBridgeVlanRange(Socket& sock, int port_index, uint16_t vid_begin, uint16_t vid_end,
                          bool untagged, bool self = false);
Status delBridgeVlan(Socket& sock, int port_index, uint16_t vid, bool self = false);
// The VLANs of one port (or of the bridge itself when port_index is the bridge), ranges
// expanded, sorted by vid.
Expected<std::vector<BridgeVlan>> listBridgeVlans(Socket& sock, int port_index);

}  // namespace cni::netlink
