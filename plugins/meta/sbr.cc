// plugins/meta/sbr.cc — the sbr (source-based routing) meta plugin (reference doc §6.18),
// chained after an interface plugin. Inside the pod netns, for each IP that prevResult gives
// CNI_IFNAME:
//
//   ADD    `ip rule add from <ip>/32 (/128) lookup <T>`, with T the first table id >= 100 that no
//          rule (and no route) uses, one table per IP; a default route via the IP's gateway (or
//          the configured `gateways` entry of its family) in T; the interface's main-table
//          routes that belong to the IP (src or gateway inside its subnet, or neither set) copied
//          into T; then the interface's main-table routes are deleted (with `addSourceHints`
//          the subnet routes stay, re-added with the IP as source hint, and only the others go).
//          With a fixed `table`, only the rules are added (the operator fills that table).
//          Serialised per pod by an flock on the netns file, as the reference.
//   DEL    deletes every rule whose source is an address of the interface (only rules of
//          `table` when set), and (our addition) the routes through the interface in the tables
//          those rules pointed to, when the table was picked by ADD. The interface or the netns
//          being gone is success.
//   CHECK  (the reference checks nothing) each IP of the interface still has its rule.
//   Output: prevResult converted to the config's version.
//
// Deliberate differences from the Go reference: DEL with an empty or vanished CNI_NETNS
// succeeds (Go fails to open the lock file); DEL also removes the routes it copied into the
// picked tables (Go leaves them to die with the link); table selection also skips tables that
// hold routes in any table (Go only ever sees main-table routes, i.e. effectively rules only).
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sys/file.h>

#include <set>

#include "src/common/errno_text.h"
#include "src/common/unique_fd.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/route.h"
#include "src/netlink/rule.h"
#include "src/netns/netns.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::sbr {
namespace {

using netlink::Socket;

constexpr uint32_t kFirstTableId = 100;

using pluginkit::failPlain;
using pluginkit::plainNoDetails;

struct SbrConf {
  skel::NetConf net;
  std::optional<spec::Result> prev;  // converted to the current version
  std::optional<int> table;
  std::vector<std::string> gateways;
  bool add_source_hints = false;
};

Expected<SbrConf> parseConf(std::string_view stdin_data) {
  SbrConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainNoDetails(net.error(), "failed to parse network configuration"));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "PluginConf");
  Status s = f.optionalInteger("table", &c.table);
  if (s) s = f.boolean("addSourceHints", &c.add_source_hints);
  if (s) {
    if (const Json* g = f.raw("gateways")) {
      if (!g->is_array()) {
        s = fail(f.typeError(*g, "gateways", "[]string"));
      } else {
        for (const Json& e : *g) {
          if (e.is_null()) {
            c.gateways.emplace_back();
          } else if (!e.is_string()) {
            s = fail(f.typeError(e, "gateways", "string"));
            break;
          } else {
            c.gateways.push_back(e.get<std::string>());
          }
        }
      }
    }
  }
  if (!s) return fail(plainNoDetails(s.error(), "failed to parse network configuration"));
  if (c.net.has_prev_result) {
    // sbr decodes prevResult with the config's version as is (Go version.NewResult): one
    // without its own cniVersion fails the creator's check, unlike ParsePrevResult.
    const Json* pr = spec::findKey(c.net.raw, "prevResult");
    const Json* pv = pr && pr->is_object() ? spec::findKey(*pr, "cniVersion") : nullptr;
    const bool v020 =
        c.net.cni_version.empty() || c.net.cni_version == "0.1.0" || c.net.cni_version == "0.2.0";
    if (!v020 && (!pv || (pv->is_string() && pv->get<std::string>().empty()))) {
      const bool v04 = c.net.cni_version.starts_with("0.");
      return failPlain(std::string("could not parse prevResult: result type supports ") +
                       (v04 ? "[0.3.0 0.3.1 0.4.0]" : "[1.0.0 1.1.0]") +
                       " but unmarshalled CNIVersion is \"\"");
    }
    auto prev = spec::parsePrevResult(c.net.raw);
    if (!prev) return fail(plainNoDetails(prev.error()));
    auto cur = spec::convertResult(**prev, spec::kCurrentVersion);
    if (!cur)
      return fail(plainNoDetails(cur.error(), "could not convert result to current version"));
    c.prev = std::move(*cur);
  }
  return c;
}

// The IPs of prevResult that belong to `ifname` (an IP without interface index is assumed to).
Expected<std::vector<IpPrefix>> ipsOf(std::string_view ifname, const spec::Result& r) {
  if (r.ips.empty()) {
    return failPlain("No IP addresses supplied on interface: " + std::string(ifname));
  }
  std::vector<IpPrefix> ips;
  for (const spec::IpConfig& ipc : r.ips) {
    if (ipc.interface) {
      const int i = *ipc.interface;
      if (i >= 0 && i < static_cast<int>(r.interfaces.size()) && r.interfaces[i].name != ifname) {
        continue;
      }
    }
    auto p = IpPrefix::parse(ipc.address);
    if (!p) return fail(plainNoDetails(p.error()));
    ips.push_back(*p);
  }
  return ips;
}

std::optional<IpAddress> gatewayOf(std::string_view ifname, const spec::Result& r,
                                   const IpPrefix& ip) {
  for (const spec::IpConfig& ipc : r.ips) {
    if (ipc.address.empty() || ipc.gateway.empty()) continue;
    auto p = IpPrefix::parse(ipc.address);
    if (!p || *p != ip) continue;
    (void)ifname;
    if (auto g = IpAddress::parse(ipc.gateway)) return *g;
  }
  return std::nullopt;
}

IpPrefix hostPrefix(const IpAddress& ip) { return *IpPrefix::make(ip, ip.bitLength()); }

// Serialises sbr runs on one pod (Go: filemutex on the netns path). The fd keeps the lock.
Expected<UniqueFd> lockNetns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0600));
  if (!fd) return failPlain(goErrnoText(errno));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return failPlain(goErrnoText(errno));
  }
  return fd;
}

Expected<std::vector<netlink::Rule>> allRules(Socket& sock) {
  std::vector<netlink::Rule> out;
  for (IpFamily fam : {IpFamily::kV4, IpFamily::kV6}) {
    CNI_ASSIGN_OR_RETURN(auto rules, netlink::listRules(sock, fam));
    out.insert(out.end(), rules.begin(), rules.end());
  }
  return out;
}

uint32_t nextFreeTable(const std::vector<netlink::Rule>& rules,
                       const std::vector<netlink::Route>& routes, uint32_t candidate) {
  for (;; ++candidate) {
    bool used = false;
    for (const auto& r : rules) used = used || r.table == candidate;
    for (const auto& r : routes) used = used || r.table == candidate;
    if (!used) return candidate;
  }
}

netlink::Rule sourceRule(const IpPrefix& ip, uint32_t table) {
  return netlink::Rule{.family = ip.family(), .src = hostPrefix(ip.address()), .table = table};
}

Status addRulesOnly(Socket& sock, const std::vector<IpPrefix>& ips, uint32_t table) {
  for (const IpPrefix& ip : ips) {
    if (Status s = netlink::addRule(sock, sourceRule(ip, table)); !s) {
      return fail(plainNoDetails(s.error(), "failed to add rule"));
    }
  }
  return {};
}

struct StaticGateways {
  std::optional<IpAddress> v4, v6;
};

Expected<StaticGateways> parseGateways(const std::vector<std::string>& list) {
  StaticGateways g;
  if (list.size() > 2) {
    return failPlain("gateways list cannot contain more than 2 entries (one IPv4, one IPv6)");
  }
  for (const std::string& text : list) {
    auto ip = IpAddress::parse(text);
    if (!ip) return failPlain("invalid static gateway IP address: " + text);
    const IpAddress a = ip->unmapped();
    auto& slot = a.isV4() ? g.v4 : g.v6;
    if (slot) {
      return failPlain(std::string("gateways list contains multiple ") +
                       (a.isV4() ? "IPv4" : "IPv6") + " addresses: " + slot->str() + " and " +
                       text);
    }
    slot = a;
  }
  return g;
}

Status doRoutes(Socket& sock, const SbrConf& c, std::string_view ifname,
                const std::vector<IpPrefix>& ips) {
  auto rules = allRules(sock);
  if (!rules) return fail(plainNoDetails(rules.error(), "Failed to list all rules"));
  auto all_routes = netlink::listRoutes(sock);
  if (!all_routes) return fail(plainNoDetails(all_routes.error(), "Failed to list all routes"));
  uint32_t table = nextFreeTable(*rules, *all_routes, kFirstTableId);
  auto link = netlink::getLinkByName(sock, ifname);
  if (!link) {
    return fail(
        plainNoDetails(link.error(), "Cannot find network interface " + std::string(ifname)));
  }
  auto routes = netlink::listRoutes(sock, {.table = RT_TABLE_MAIN, .dev = link->index});
  if (!routes) return fail(plainNoDetails(routes.error(), "Unable to list routes"));
  CNI_ASSIGN_OR_RETURN(StaticGateways gws, parseGateways(c.gateways));

  for (const IpPrefix& ip : ips) {
    if (Status s = netlink::addRule(sock, sourceRule(ip, table)); !s) {
      return fail(plainNoDetails(s.error(), "Failed to add rule"));
    }
    std::optional<IpAddress> gw = ip.isV4() ? gws.v4 : gws.v6;
    if (!gw) gw = gatewayOf(ifname, *c.prev, ip);
    if (gw) {
      netlink::Route def{
          .dst = *IpPrefix::make(ip.isV4() ? IpAddress::v4(0u) : IpAddress::v6({}), 0),
          .gateway = gw,
          .dev = link->index,
          .table = table};
      if (Status s = netlink::addRoute(sock, def); !s) {
        return fail(plainNoDetails(s.error(), "Failed to add default route to " + gw->str()));
      }
    }
    for (netlink::Route r : *routes) {
      const bool mine = (r.src && ip.contains(*r.src)) || (r.gateway && ip.contains(*r.gateway)) ||
                        (!r.src && !r.gateway);
      if (!mine) continue;
      r.table = table;
      r.onlink = false;  // Go resets the route flags before re-adding
      if (Status s = netlink::replaceRoute(sock, r); !s) {
        return fail(plainNoDetails(s.error(), "Failed to readd route"));
      }
    }
    table = nextFreeTable(*rules, *all_routes, table + 1);
  }

  if (c.add_source_hints) {
    for (const IpPrefix& ip : ips) {
      netlink::Route subnet{.dst = ip.network(),
                            .dev = link->index,
                            .src = ip.address(),
                            .table = RT_TABLE_MAIN,
                            .scope = RT_SCOPE_LINK};
      (void)netlink::replaceRoute(sock, subnet);  // a warning in the reference
    }
    for (const netlink::Route& r : *routes) {
      if (r.scope != RT_SCOPE_LINK) (void)netlink::delRoute(sock, r);
    }
    return {};
  }
  for (const netlink::Route& r : *routes) {
    auto d = netlink::delRoute(sock, r);
    if (!d) return fail(plainNoDetails(d.error(), "Failed to delete route"));
  }
  return {};
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(SbrConf c, parseConf(args.stdin_data));
  if (!c.prev) return failPlain("This plugin must be called as chained plugin");
  CNI_ASSIGN_OR_RETURN(std::vector<IpPrefix> ips, ipsOf(args.ifname, *c.prev));
  // The namespace first: the lock opens CNI_NETNS with O_CREAT (Go's filemutex), which must
  // only ever happen on a real namespace file, never create one at a path from input (issue #7).
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainNoDetails(ns.error()));
  CNI_ASSIGN_OR_RETURN(UniqueFd lock, lockNetns(args.netns));
  CNI_TRY(ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    if (c.table) return addRulesOnly(sock, ips, static_cast<uint32_t>(*c.table));
    return doRoutes(sock, c, args.ifname, ips);
  }));
  auto out = spec::convertResult(*c.prev, c.net.cni_version);
  if (!out) return fail(plainNoDetails(out.error()));
  return spec::encodeResult(*out);
}

Status tidyRules(Socket& sock, std::string_view ifname, std::optional<int> table) {
  std::vector<netlink::Rule> rules;
  if (auto all = allRules(sock)) {
    for (auto& r : *all) {
      if (!table || r.table == static_cast<uint32_t>(*table)) rules.push_back(std::move(r));
    }
  } else if (table) {
    return fail(plainNoDetails(
        all.error(), "failed to list rules of table " + std::to_string(*table) + " to tidy"));
  } else {
    return fail(plainNoDetails(all.error(), "Failed to list all rules to tidy"));
  }
  auto link = netlink::findLinkByName(sock, ifname);
  if (!link) return fail(plainNoDetails(link.error(), "Failed to get link " + std::string(ifname)));
  if (!*link) return {};  // the interface is gone: nothing of ours can be found any more
  auto addrs = netlink::listAddresses(sock, (*link)->index);
  if (!addrs) return fail(plainNoDetails(addrs.error(), "Failed to list all addrs"));
  std::optional<Error> last;
  std::set<uint32_t> tables;
  for (const netlink::Rule& r : rules) {
    if (!r.src) continue;
    bool ours = false;
    for (const auto& a : *addrs) ours = ours || a.ip() == r.src->address();
    if (!ours) continue;
    auto d = netlink::delRule(sock, r);
    if (!d) {
      last = plainNoDetails(d.error(), "Failed to delete rule");
    } else if (!table && r.table >= kFirstTableId) {
      tables.insert(r.table);
    }
  }
  // The routes ADD copied into the picked tables: they would otherwise outlive the rules until
  // the link itself goes.
  for (uint32_t t : tables) {
    auto routes = netlink::listRoutes(sock, {.table = t, .dev = (*link)->index});
    if (!routes) continue;
    for (const auto& r : *routes) (void)netlink::delRoute(sock, r);
  }
  if (last) return fail(std::move(*last));
  return {};
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(SbrConf c, parseConf(args.stdin_data));
  if (args.netns.empty()) return {};
  CNI_ASSIGN_OR_RETURN(auto ns, netns::NetNs::openIfExists(args.netns));
  if (!ns) return {};  // the pod is gone, and its rules with it
  CNI_ASSIGN_OR_RETURN(UniqueFd lock, lockNetns(args.netns));
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    return tidyRules(sock, args.ifname, c.table);
  });
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(SbrConf c, parseConf(args.stdin_data));
  if (!c.prev) return failPlain("Required prevResult missing");
  CNI_ASSIGN_OR_RETURN(std::vector<IpPrefix> ips, ipsOf(args.ifname, *c.prev));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainNoDetails(ns.error()));
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    auto rules = allRules(sock);
    if (!rules) return fail(plainNoDetails(rules.error(), "Failed to list all rules"));
    for (const IpPrefix& ip : ips) {
      bool found = false;
      for (const auto& r : *rules) {
        found = found || (r.src && *r.src == hostPrefix(ip.address()) &&
                          (!c.table || r.table == static_cast<uint32_t>(*c.table)));
      }
      if (!found) {
        return failPlain("sbr: no source routing rule for " + ip.address().str() + " on " +
                         args.ifname);
      }
    }
    return {};
  });
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "sbr",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
};

}  // namespace cni::plugins::sbr
