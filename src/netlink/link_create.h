// src/netlink/link_create.h — RTM_NEWLINK requests creating virtual links (veth, bridge, ...).
//
// Each kind has a build*() function producing the request (pure, tested byte-level without
// root) and a create*() function sending it. Creation is always NLM_F_CREATE | NLM_F_EXCL: an
// existing name is the kernel's EEXIST ("file exists", see isKernelErrno), which the bridge
// plugin tolerates for its bridge.
//
// Veth: the peer is created directly in the pod namespace (IFLA_NET_NS_FD inside
// VETH_INFO_PEER) — moving it afterwards costs an extra RCU barrier (~20 ms per pod, see
// docs kernel-floor). The host end may be created UP and enslaved in the same message; the peer
// cannot be created UP (the kernel answers ENOTCONN), so VethOptions has no peer_up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/netlink/message.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

// Attributes every new link may carry.
struct LinkAttrs {
  std::string name;
  uint32_t mtu = 0;                // 0 = kernel default
  std::vector<uint8_t> mac;        // empty = kernel-chosen random address
  int master = 0;                  // IFLA_MASTER: enslave at creation (0 = none)
  int parent = 0;                  // IFLA_LINK: lower device (macvlan, ipvlan, vlan)
  bool up = false;                 // create with IFF_UP
  bool promisc = false;            // create with IFF_PROMISC
  std::optional<uint32_t> group;   // IFLA_GROUP (lets DEL remove many links with one request)
  int netns_fd = -1;               // IFLA_NET_NS_FD: create in that namespace (-1 = here)
  std::optional<uint32_t> txqlen;  // IFLA_TXQLEN
};

struct VethOptions {
  std::string host_name;
  std::string peer_name;
  int peer_netns_fd = -1;         // the pod namespace (-1 = same namespace as the host end)
  uint32_t mtu = 0;               // both ends (0 = kernel default)
  std::vector<uint8_t> host_mac;  // empty = random
  std::vector<uint8_t> peer_mac;  // empty = random
  int host_master = 0;            // enslave the host end (bridge) at creation
  bool host_up = false;
  std::optional<uint32_t> host_group;
  std::optional<uint32_t> txqlen;  // both ends (nullopt = kernel default, 1000)
};

struct BridgeOptions {
  std::string name;
  uint32_t mtu = 0;
  bool promisc = false;
  std::optional<bool> vlan_filtering;  // IFLA_BR_VLAN_FILTERING (nullopt = kernel default, off)
  std::vector<uint8_t> mac;
  bool up = false;
};

enum class MacvlanMode : uint32_t { kPrivate = 1, kVepa = 2, kBridge = 4, kPassthru = 8 };
enum class IpvlanMode : uint16_t { kL2 = 0, kL3 = 1, kL3S = 2 };

struct VxlanOptions {
  uint32_t vni = 0;
  std::optional<IpAddress> local;  // source address (IPv4 or IPv6)
  std::optional<IpAddress> group;  // multicast group / remote (IPv4 or IPv6)
  int underlay = 0;                // IFLA_VXLAN_LINK (0 = none)
  uint16_t port = 4789;            // UDP destination port (host order here; sent big-endian)
  bool learning = true;
};

Message buildVethRequest(const VethOptions& o);
Message buildBridgeRequest(const BridgeOptions& o);
Message buildMacvlanRequest(const LinkAttrs& a, MacvlanMode mode);
Message buildIpvlanRequest(const LinkAttrs& a, IpvlanMode mode);
Message buildVlanRequest(const LinkAttrs& a, uint16_t vlan_id);
Message buildVxlanRequest(const LinkAttrs& a, const VxlanOptions& o);
// Kinds without kind-specific data: "dummy", "ifb", ...
Message buildSimpleLinkRequest(const LinkAttrs& a, std::string_view kind);
Message buildVrfRequest(const LinkAttrs& a, uint32_t table);
// IFLA_BR_VLAN_FILTERING on an existing bridge (RTM_NEWLINK without NLM_F_CREATE).
Message buildBridgeVlanFilteringRequest(int bridge_index, bool on);

Status createVeth(Socket& sock, const VethOptions& o);
Status createBridge(Socket& sock, const BridgeOptions& o);
Status createMacvlan(Socket& sock, const LinkAttrs& a, MacvlanMode mode);
Status createIpvlan(Socket& sock, const LinkAttrs& a, IpvlanMode mode);
Status createVlan(Socket& sock, const LinkAttrs& a, uint16_t vlan_id);
Status createVxlan(Socket& sock, const LinkAttrs& a, const VxlanOptions& o);
Status createDummy(Socket& sock, const LinkAttrs& a);
Status createIfb(Socket& sock, const LinkAttrs& a);
Status createVrf(Socket& sock, const LinkAttrs& a, uint32_t table);
Status setBridgeVlanFiltering(Socket& sock, int bridge_index, bool on);

}  // namespace cni::netlink
