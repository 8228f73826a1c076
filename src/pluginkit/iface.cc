// src/pluginkit/iface.cc — ConfigureIface and the CHECK validators (see iface.h).
//
// Behaviour and texts follow the reference (plugins pkg/ipam/ipam_linux.go, pkg/ip/addr_linux.go,
// pkg/ip/utils_linux.go, vishvananda/netlink), with these deliberate differences:
//   * every ips[].interface is validated before anything is changed (Go validates while adding,
//     leaving earlier addresses behind on error); the error text is the same;
//   * IPv6 addresses are added with IFA_F_NODAD unless opts.dad, and only then does anything wait;
//     with opts.dad the wait covers every IPv6 address of the link once any IPv6 address was
//     added (Go waits only when a v6 gateway exists). A DADFAILED address is an error (Go ignores
//     the SettleAddresses result); still tentative after 5 s is not, as in Go;
//   * Go prints ips[].interface (an *int) as a pointer address; we print the index;
//   * validateRoutes looks in the route's own table when it has one (Go only lists main, so a
//     result route with a table always fails the reference's CHECK).
// Route adds use what netlink.RouteAddEcmp sends: RTM_NEWROUTE with NLM_F_CREATE and without
// NLM_F_EXCL. The kernel then treats a second route to an existing dst/metric with another
// gateway per family: IPv6 joins it as an ECMP next hop (one multipath route); IPv4 inserts it as
// a separate route in front of the existing one (the first is used). An identical route is
// EEXIST ("file exists") in both families.
#include "src/pluginkit/iface.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <thread>

#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/route.h"
#include "src/spec/go_text.h"
#include "src/sysctl/sysctl.h"

namespace cni::pluginkit {
namespace {

constexpr auto kSettleTimeout = std::chrono::seconds(5);
constexpr auto kSettleInterval = std::chrono::milliseconds(50);
constexpr uint32_t kMainTable = RT_TABLE_MAIN;

// v4-mapped IPv6 values become plain IPv4, as Go's To4()-based family decisions treat them.
IpPrefix unmappedPrefix(const IpPrefix& p) {
  if (!p.address().isV4Mapped()) return p;
  auto v4 = IpPrefix::make(p.address().unmapped(), std::max(0, p.length() - 96));
  return v4 ? *v4 : p;
}

std::optional<IpAddress> parseIp(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto ip = IpAddress::parse(text);
  if (!ip) return std::nullopt;
  return ip->unmapped();
}

std::string hexBytes(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// fmt "%v" / "%+v" of a net.IPNet value (no String method on the value): {IP Mask} with the
// mask in hex, 4 bytes for IPv4 and 16 for IPv6.
std::string goIpNetValue(std::string_view cidr, bool plus) {
  auto p = IpPrefix::parse(cidr);
  if (!p) return "{" + std::string(plus ? "IP:" : "") + "<nil> " + (plus ? "Mask:" : "") + "}";
  std::string ip = p->address().str();
  std::string mask = hexBytes(p->mask().bytes());
  return plus ? "{IP:" + ip + " Mask:" + mask + "}" : "{" + ip + " " + mask + "}";
}

// fmt "%v" of a net.IP: "<nil>" when absent.
std::string goIpText(const std::string& text) {
  if (text.empty()) return "<nil>";
  auto ip = IpAddress::parse(text);
  return ip ? ip->str() : text;
}

// current.IPConfig.String(): fmt "%+v" of the struct.
std::string goIpConfig(const spec::IpConfig& ip) {
  std::string iface = ip.interface ? std::to_string(*ip.interface) : "<nil>";
  return "{Interface:" + iface + " Address:" + goIpNetValue(ip.address, true) +
         " Gateway:" + goIpText(ip.gateway) + "}";
}

// types.Route.String().
std::string goRoute(const spec::Route& r) {
  auto opt = [](const std::optional<int>& v) { return v ? std::to_string(*v) : "<nil>"; };
  return "{Dst:" + goIpNetValue(r.dst, true) + " GW:" + goIpText(r.gw) +
         " MTU:" + std::to_string(r.mtu) + " AdvMSS:" + std::to_string(r.advmss) +
         " Priority:" + std::to_string(r.priority) + " Table:" + opt(r.table) +
         " Scope:" + opt(r.scope) + "}";
}

void warn(const std::string& line) {
  std::string text = line + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
}

// Go's loop over {"lo", ifname}: an unreadable value is reported and skipped, "0" is left alone.
Status enableIpv6(std::string_view ifname) {
  for (std::string_view iface : {std::string_view("lo"), ifname}) {
    const std::string key = sysctl::ifaceKey(IpFamily::kV6, iface, "disable_ipv6");
    auto value = sysctl::get(key);
    if (!value) {
      warn("ipam_linux: failed to read sysctl " + spec::goQuote(key) + ": " + value.error().msg);
      continue;
    }
    if (*value == "0") continue;
    if (auto set = sysctl::set(key, "0"); !set) {
      return fail(ErrorCode::kInternal, "failed to enable IPv6 for interface " +
                                            spec::goQuote(iface) + " (" + key + "=" + *value +
                                            "): " + set.error().msg);
    }
  }
  // Keep the addresses across a down/up of the link (IPv6 drops them by default, IPv4 keeps
  // them). Best effort, like the read above: a kernel without the knob still works.
  const std::string keep = sysctl::ifaceKey(IpFamily::kV6, ifname, "keep_addr_on_down");
  if (auto set = sysctl::set(keep, "1"); !set) {
    warn("ipam_linux: failed to set sysctl " + spec::goQuote(keep) + ": " + set.error().msg);
  }
  return {};
}

// Go ip.SettleAddresses over the link's IPv6 addresses.
Status settleAddresses(netlink::Socket& sock, std::string_view ifname, int index) {
  const auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
  while (true) {
    CNI_ASSIGN_OR_RETURN(auto addrs, netlink::listAddresses(sock, index, IpFamily::kV6));
    bool tentative = false;
    for (const netlink::Address& a : addrs) {
      if (a.flags & IFA_F_DADFAILED) {
        return fail(ErrorCode::kInternal, "link " + std::string(ifname) + " has address " +
                                              a.ip().str() + " in DADFAILED state");
      }
      tentative = tentative || (a.flags & IFA_F_TENTATIVE);
    }
    if (!tentative || std::chrono::steady_clock::now() >= deadline) return {};
    std::this_thread::sleep_for(kSettleInterval);
  }
}

struct PlannedAddress {
  const spec::IpConfig* config;
  IpPrefix prefix;
};

}  // namespace

Status configureIface(netlink::Socket& sock, std::string_view ifname, const spec::Result& result,
                      const ConfigureOptions& opts) {
  if (result.interfaces.empty()) return fail(ErrorCode::kInternal, "no interfaces to configure");
  auto link = netlink::getLinkByName(sock, ifname);
  if (!link) {
    return fail(ErrorCode::kInternal,
                "failed to lookup " + spec::goQuote(ifname) + ": " + link.error().msg);
  }
  const int index = link->index;
  const std::string qname = spec::goQuote(ifname);

  // Which addresses go on this link (ips without an interface index are not ours), and the
  // first gateway of each family.
  std::vector<PlannedAddress> planned;
  std::optional<IpAddress> v4gw, v6gw;
  bool has_v6 = false;
  for (const spec::IpConfig& ip : result.ips) {
    if (!ip.interface) continue;
    const int idx = *ip.interface;
    if (idx < 0 || static_cast<size_t>(idx) >= result.interfaces.size() ||
        result.interfaces[static_cast<size_t>(idx)].name != ifname) {
      return fail(ErrorCode::kInternal, "failed to add IP addr " + goIpConfig(ip) + " to " + qname +
                                            ": invalid interface index");
    }
    auto prefix = IpPrefix::parse(ip.address);
    if (!prefix) {
      return fail(ErrorCode::kInternal, "failed to add IP addr " + goIpConfig(ip) + " to " + qname +
                                            ": " + prefix.error().msg);
    }
    planned.push_back({&ip, unmappedPrefix(*prefix)});
    has_v6 = has_v6 || planned.back().prefix.isV6();
    if (auto gw = parseIp(ip.gateway)) {
      std::optional<IpAddress>& slot = gw->isV4() ? v4gw : v6gw;
      if (!slot) slot = *gw;
    }
  }

  if (has_v6) CNI_TRY(enableIpv6(ifname));

  for (const PlannedAddress& p : planned) {
    netlink::AddressOptions ao;
    if (p.prefix.isV6() && !opts.dad) ao.flags = IFA_F_NODAD;
    // vishvananda/netlink's AddrAdd fills in the IPv4 broadcast address; so do we.
    if (p.prefix.isV4() && p.prefix.length() < 31) ao.broadcast = p.prefix.lastAddress();
    if (auto s = netlink::addAddress(sock, index, p.prefix, ao); !s) {
      return fail(ErrorCode::kInternal, "failed to add IP addr " + goIpConfig(*p.config) + " to " +
                                            qname + ": " + s.error().msg);
    }
  }

  if (opts.up) {
    if (auto s = netlink::setLinkUp(sock, index); !s) {
      return fail(ErrorCode::kInternal, "failed to set " + qname + " UP: " + s.error().msg);
    }
  }

  if (opts.dad && has_v6) CNI_TRY(settleAddresses(sock, ifname, index));

  for (const spec::Route& r : result.routes) {
    auto parsed = IpPrefix::parse(r.dst);
    std::optional<IpAddress> gw = parseIp(r.gw);
    const bool is_v4 = parsed && parsed->address().isV4Like();
    if (!gw) gw = is_v4 ? v4gw : v6gw;
    auto route_error = [&](const std::string& why) {
      return fail(ErrorCode::kInternal, "failed to add route '" + goIpNetValue(r.dst, false) +
                                            " via " + (gw ? gw->str() : "<nil>") + " dev " +
                                            std::string(ifname) + "': " + why);
    };
    if (!parsed) return route_error(parsed.error().msg);
    netlink::Route nr;
    nr.dst = unmappedPrefix(*parsed);
    nr.gateway = gw;
    nr.dev = index;
    nr.priority = static_cast<uint32_t>(r.priority);
    nr.mtu = static_cast<uint32_t>(r.mtu);
    nr.advmss = static_cast<uint32_t>(r.advmss);
    if (r.table) nr.table = static_cast<uint32_t>(*r.table);
    if (r.scope) nr.scope = static_cast<uint8_t>(*r.scope);
    // RouteAddEcmp: create, but neither exclusive nor replace (see the file comment).
    netlink::Message m = netlink::buildRouteRequest(RTM_NEWROUTE, NLM_F_CREATE, nr);
    if (auto s = sock.request(m); !s) return route_error(s.error().msg);
  }
  return {};
}

Status validateInterfaceIps(netlink::Socket& sock, std::string_view ifname,
                            const std::vector<spec::IpConfig>& ips) {
  for (const spec::IpConfig& ip : ips) {
    auto link = netlink::getLinkByName(sock, ifname);
    if (!link) {
      return fail(ErrorCode::kInternal, "Cannot find container link " + std::string(ifname));
    }
    auto addrs = netlink::listAddresses(sock, link->index);
    if (!addrs) return fail(ErrorCode::kInternal, "Cannot obtain List of IP Addresses");
    auto want = IpPrefix::parse(ip.address);
    std::string shown = want ? want->str() : ip.address;
    bool match = false;
    if (want) {
      const IpPrefix w = unmappedPrefix(*want);
      for (const netlink::Address& a : *addrs) match = match || unmappedPrefix(a.prefix) == w;
    }
    if (!match) {
      return fail(ErrorCode::kInternal,
                  "Failed to match addr " + shown + " on interface " + std::string(ifname));
    }
    // Go then looks for the address's prefix route (the kernel adds it with the address).
    const IpPrefix net = unmappedPrefix(*want).network();
    auto routes = netlink::listRoutes(sock, {.family = net.family(), .table = kMainTable});
    if (!routes) {
      return fail(ErrorCode::kInternal, "Error " + routes.error().msg + " trying to find Gateway " +
                                            goIpText(ip.gateway) + " for interface " +
                                            std::string(ifname));
    }
    bool found = false;
    for (const netlink::Route& r : *routes) found = found || r.dst == net;
    if (!found) {
      return fail(ErrorCode::kInternal, "Failed to find Gateway " + goIpText(ip.gateway) +
                                            " for interface " + std::string(ifname));
    }
  }
  return {};
}

Status validateRoutes(netlink::Socket& sock, const std::vector<spec::Route>& routes) {
  for (const spec::Route& r : routes) {
    auto parsed = IpPrefix::parse(r.dst);
    if (!parsed) return fail(ErrorCode::kInternal, "Invalid static route found " + goRoute(r));
    const IpPrefix dst = unmappedPrefix(*parsed);
    // Go drops the gateway filter for the default route (any default route matches).
    const bool is_default = parsed->str() == "0.0.0.0/0" || parsed->str() == "::/0";
    std::optional<IpAddress> gw = is_default ? std::nullopt : parseIp(r.gw);
    const uint32_t table = r.table ? static_cast<uint32_t>(*r.table) : kMainTable;
    auto list = netlink::listRoutes(sock, {.family = dst.family(), .table = table});
    if (!list) {
      return fail(ErrorCode::kInternal, "Expected Route " + goRoute(r) +
                                            " not route table lookup error " + list.error().msg);
    }
    bool found = false;
    for (const netlink::Route& k : *list) {
      if (k.dst != dst.network()) continue;
      if (!gw) {
        found = true;
        break;
      }
      bool via = k.gateway && *k.gateway == *gw;
      for (const netlink::NextHop& nh : k.multipath)
        via = via || (nh.gateway && *nh.gateway == *gw);
      if (via) {
        found = true;
        break;
      }
    }
    if (!found) {
      return fail(ErrorCode::kInternal,
                  "Expected Route " + goRoute(r) + " not found in routing table");
    }
  }
  return {};
}

}  // namespace cni::pluginkit
