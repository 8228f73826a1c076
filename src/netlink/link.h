// src/netlink/link.h — rtnetlink links (RTM_GETLINK / RTM_NEWLINK): lookup and up/down.
//
// All functions act in the namespace the Socket was created in. Lookup by name fails with the
// text Go's netlink library uses ("Link not found"), which reference plugins print unchanged;
// findLink*() report absence as nullopt instead, for idempotent DEL paths. Later link kinds
// (veth, bridge, ...) are created in link_create.h; changes and deletion are in link_set.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

struct Link {
  int index = 0;
  std::string name;
  uint32_t flags = 0;  // IFF_UP, IFF_LOOPBACK, IFF_RUNNING, ... (ifinfomsg.ifi_flags)
  uint16_t type = 0;   // ARPHRD_* (ifinfomsg.ifi_type)
  uint32_t mtu = 0;
  std::vector<uint8_t> mac;  // IFLA_ADDRESS (empty for devices without one)
  std::string kind;          // IFLA_INFO_KIND: "veth", "bridge", ...; empty for plain devices
  int master = 0;            // IFLA_MASTER (0 = none)
  int parent = 0;            // IFLA_LINK: the peer/lower device index (0 = none)
  uint8_t oper_state = 0;    // IF_OPER_*
  std::string alias;         // IFLA_IFALIAS
  uint32_t group = 0;        // IFLA_GROUP (0 = default group)
  int link_netnsid = -1;     // IFLA_LINK_NETNSID: the peer lives in another netns (-1 = here)

  bool isUp() const;
  // "aa:bb:cc:dd:ee:ff" (lower-case hex, as Go's net.HardwareAddr.String()).
  std::string macString() const;
};

// Lookups. getLink*() fail with "Link not found" when absent.
Expected<Link> getLinkByName(Socket& sock, std::string_view name);
Expected<Link> getLinkByIndex(Socket& sock, int index);
Expected<std::optional<Link>> findLinkByName(Socket& sock, std::string_view name);
Expected<std::optional<Link>> findLinkByIndex(Socket& sock, int index);
// Every link of the namespace (a dump).
Expected<std::vector<Link>> listLinks(Socket& sock);

// Administrative state (IFF_UP), like `ip link set dev X up|down`.
Status setLinkUp(Socket& sock, int index);
Status setLinkDown(Socket& sock, int index);

// One kind-specific attribute of a link (IFLA_LINKINFO / IFLA_INFO_DATA: IFLA_MACVLAN_MODE,
// IFLA_IPVLAN_MODE, IFLA_VLAN_ID, ...), which Link does not decode; nullopt when absent.
Expected<std::optional<uint32_t>> linkInfoDataU32(Socket& sock, int index, uint16_t type);
Expected<std::optional<uint16_t>> linkInfoDataU16(Socket& sock, int index, uint16_t type);

// Decodes one RTM_NEWLINK message (exposed for the dump-based callers of later modules).
Expected<Link> parseLink(const RawMessage& m);

}  // namespace cni::netlink
