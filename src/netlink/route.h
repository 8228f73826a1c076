// src/netlink/route.h — rtnetlink routes (RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE).
//
// One Route value describes what `ip route add|replace|del` accepts and what a dump returns:
// destination (a prefix; length 0 = default route of its family), gateway, output device,
// preferred source, table (> 255 goes in RTA_TABLE; RTA_TABLE is always sent), scope, metric
// (RTA_PRIORITY), RTA_METRICS mtu/advmss, onlink (RTNH_F_ONLINK) and ECMP next hops
// (RTA_MULTIPATH: rtnexthop records, each followed by its own RTA_GATEWAY). Addresses are
// network order on the wire; everything else host order.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/netlink/message.h"
#include "src/netlink/outcome.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

struct NextHop {
  std::optional<IpAddress> gateway;
  int dev = 0;         // output interface index
  uint8_t weight = 1;  // 1..256 on the wire as rtnh_hops = weight - 1
  bool onlink = false;
  bool operator==(const NextHop&) const = default;
};

struct Route {
  IpPrefix dst;  // 0.0.0.0/0 or ::/0 = default route
  std::optional<IpAddress> gateway;
  int dev = 0;                     // RTA_OIF (0 = none)
  std::optional<IpAddress> src;    // RTA_PREFSRC
  uint32_t table = 254;            // RT_TABLE_MAIN
  uint8_t scope = 0;               // RT_SCOPE_UNIVERSE; RT_SCOPE_LINK = 253, HOST = 254
  uint8_t protocol = 3;            // RTPROT_BOOT (what `ip route add` uses)
  uint8_t type = 1;                // RTN_UNICAST
  uint32_t priority = 0;           // metric
  uint32_t mtu = 0;                // RTAX_MTU (0 = none)
  uint32_t advmss = 0;             // RTAX_ADVMSS (0 = none)
  bool onlink = false;             // RTNH_F_ONLINK
  std::vector<NextHop> multipath;  // ECMP; gateway/dev must then be unset

  IpFamily family() const { return dst.family(); }
  bool isDefault() const { return dst.length() == 0; }
};

struct RouteFilter {
  std::optional<IpFamily> family;
  std::optional<uint32_t> table;  // nullopt = every table
  int dev = 0;                    // 0 = any; else routes via this device (also in a next hop)
};

Message buildRouteRequest(uint16_t type, uint16_t flags, const Route& r);
Expected<Route> parseRoute(const RawMessage& m);

// `ip route add` (EEXIST if present), `ip route replace`, `ip route del`.
Status addRoute(Socket& sock, const Route& r);
Status replaceRoute(Socket& sock, const Route& r);
// Matches on dst/table/metric and whichever of gateway/dev/scope are set. ESRCH = kNotFound.
Expected<DeleteResult> delRoute(Socket& sock, const Route& r);
// Unicast/local/... routes in kernel dump order (cached clones excluded).
Expected<std::vector<Route>> listRoutes(Socket& sock, const RouteFilter& f = {});

}  // namespace cni::netlink
