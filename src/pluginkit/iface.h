// src/pluginkit/iface.h — configuring a container interface from a result, and checking it
// (Go pkg/ipam.ConfigureIface, pkg/ip.ValidateExpectedInterfaceIPs / ValidateExpectedRoute).
//
// All functions run inside the container namespace (NetNs::run) on a Socket created there.
#pragma once

#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/netlink/socket.h"
#include "src/spec/result.h"

namespace cni::pluginkit {

struct ConfigureOptions {
  // false (default): addresses are added with IFA_F_NODAD and nothing waits for DAD, which is
  // what makes ADD fast; the reference waits up to 5 s for IPv6 DAD to settle instead.
  // true (bridge `enabledad`): addresses go through DAD and configureIface waits (up to 5 s)
  // until none is tentative; DADFAILED is an error.
  bool dad = false;
  // Leave the link down (bridge disableContainerInterface): addresses/routes are not allowed.
  bool up = true;
};

// Go ipam.ConfigureIface, with the reference's texts:
//   * every ips[].interface must point at an interface named `ifname` in result.interfaces
//     ("failed to add IP addr {...} to \"eth0\": invalid interface index" etc.);
//   * IPv6 present: net.ipv6.conf.<if>.disable_ipv6=0 and keep_addr_on_down=1 first;
//   * addresses added, link set up, routes added: gateway defaults to the first ips[].gateway of
//     the route's family; priority/table/scope/mtu/advmss honoured; routes are added the way Go's
//     netlink.RouteAddEcmp does (NLM_F_CREATE without NLM_F_EXCL): a second route to the same
//     dst/metric with another gateway becomes an ECMP next hop for IPv6 and a separate route in
//     front of the first for IPv4; an identical route fails with "file exists".
//   * ips without an interface index are skipped (as Go); every index is validated before
//     anything is changed. See iface.cc for the other (documented) differences from Go.
Status configureIface(netlink::Socket& sock, std::string_view ifname, const spec::Result& result,
                      const ConfigureOptions& opts = {});

// CHECK helpers (texts as Go's):
//   every entry of `ips` must be on `ifname` (callers pass the result's ips, as Go does):
//   "Failed to match addr 10.1.0.5/24 on interface eth0" when the address (with its prefix length)
//   is missing, "Failed to find Gateway <gw> for interface eth0" when its prefix route is missing
//   from the main table, "Cannot find container link eth0";
Status validateInterfaceIps(netlink::Socket& sock, std::string_view ifname,
                            const std::vector<spec::IpConfig>& ips);
//   "Expected Route {Dst:{IP:.. Mask:..} GW:.. MTU:0 ...} not found in routing table" when a
//   result route (dst, and gw when set; any default route matches a default route) is absent
//   from its table (route.table, else main; Go only ever looks in main).
Status validateRoutes(netlink::Socket& sock, const std::vector<spec::Route>& routes);

}  // namespace cni::pluginkit
