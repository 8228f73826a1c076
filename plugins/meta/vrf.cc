// plugins/meta/vrf.cc — the vrf meta plugin (reference doc §6.10; spec >= 0.3.1), chained after
// an interface plugin. Inside the pod netns:
//
//   ADD    needs prevResult. Finds the VRF device `vrfname` or creates it (table `table`, else
//          the lowest id >= 1 no other VRF uses) and sets it up; an existing VRF with another
//          table than a configured one is an error. Enslaves CNI_IFNAME (refused when it already
//          has a master). Enslaving cycles the interface, which drops its IPv6 addresses (unless
//          keep_addr_on_down) and its routes: the global IPv6 addresses are re-added, and the
//          interface's main-table routes (universe scope) are re-added into the VRF's table, as
//          the reference (HEAD) does. Output: prevResult converted to the config's version.
//   DEL    releases CNI_IFNAME from the VRF and deletes the VRF once no interface is left in
//          it. A missing netns, VRF or interface is success.
//   CHECK  the interface is enslaved to the VRF.
//
// Deliberate difference from the Go reference: DEL tolerates the interface being gone while
// the VRF still exists (Go fails "resetMaster: could not get link by name"), so a shared VRF
// does not make a repeated DEL fail.
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <array>
#include <map>
#include <set>

#include "src/netlink/addr.h"
#include "src/netlink/attr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/route.h"
#include "src/netns/netns.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/go_json.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::vrf {
namespace {

using netlink::Socket;

constexpr std::array<std::string_view, 4> kVersions = {"0.3.1", "0.4.0", "1.0.0", "1.1.0"};

using pluginkit::failPlain;
using pluginkit::plainNoDetails;

struct VrfConf {
  skel::NetConf net;
  std::string vrf_name;
  uint32_t table = 0;
  std::optional<spec::Result> prev;  // converted to the current version
};

Expected<VrfConf> parseConf(std::string_view stdin_data) {
  VrfConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainNoDetails(net.error(), "failed to load netconf"));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "VRFNetConf");
  Status s = f.string("vrfname", &c.vrf_name);
  if (s) {
    if (const Json* t = f.raw("table")) {
      if (t->is_number_unsigned() || (t->is_number_integer() && t->get<int64_t>() >= 0)) {
        const uint64_t v = t->get<uint64_t>();
        if (v <= UINT32_MAX) {
          c.table = static_cast<uint32_t>(v);
        } else {
          s = failPlain("json: cannot unmarshal number " + std::to_string(v) +
                        " into Go struct field VRFNetConf.table of type uint32");
        }
      } else if (t->is_number()) {
        s = failPlain("json: cannot unmarshal number " + spec::goFormatFloat(t->get<double>()) +
                      " into Go struct field VRFNetConf.table of type uint32");
      } else {
        s = fail(f.typeError(*t, "table", "uint32"));
      }
    }
  }
  if (!s) return fail(plainNoDetails(s.error(), "failed to load netconf"));
  if (c.vrf_name.empty()) return failPlain("configuration is expected to have a valid vrf name");
  if (c.net.has_prev_result) {
    auto prev = spec::parsePrevResult(c.net.raw);
    if (!prev) return fail(plainNoDetails(prev.error(), "could not parse prevResult"));
    auto cur = spec::convertResult(**prev, spec::kCurrentVersion);
    if (!cur)
      return fail(plainNoDetails(cur.error(), "could not convert result to current version"));
    c.prev = std::move(*cur);
  }
  return c;
}

// What the netlink layer's Link does not carry: a VRF's table (IFLA_VRF_TABLE).
struct LinkInfo {
  netlink::Link link;
  std::optional<uint32_t> vrf_table;  // set for kind "vrf"
};

Expected<LinkInfo> toInfo(const netlink::RawMessage& m) {
  CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::parseLink(m));
  LinkInfo info{.link = std::move(l)};
  if (info.link.kind != "vrf") return info;
  info.vrf_table = 0;
  CNI_ASSIGN_OR_RETURN(netlink::AttrList attrs, m.attrs(sizeof(ifinfomsg)));
  if (const netlink::Attr* li = attrs.find(IFLA_LINKINFO)) {
    CNI_ASSIGN_OR_RETURN(netlink::AttrList nested, li->nested());
    if (const netlink::Attr* data = nested.find(IFLA_INFO_DATA)) {
      CNI_ASSIGN_OR_RETURN(netlink::AttrList vrf, data->nested());
      if (const netlink::Attr* t = vrf.find(IFLA_VRF_TABLE)) info.vrf_table = t->u32().value_or(0);
    }
  }
  return info;
}

Expected<std::vector<LinkInfo>> listLinkInfos(Socket& sock) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  netlink::Message m(RTM_GETLINK, NLM_F_DUMP);
  m.putHeader(ifi).putU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  CNI_ASSIGN_OR_RETURN(auto msgs, sock.query(m));
  std::vector<LinkInfo> out;
  for (const auto& msg : msgs) {
    if (msg.type() != RTM_NEWLINK) continue;
    CNI_ASSIGN_OR_RETURN(LinkInfo i, toInfo(msg));
    out.push_back(std::move(i));
  }
  return out;
}

// Go findVRF: absent = nullopt; present but not a VRF = error.
Expected<std::optional<LinkInfo>> findVrf(Socket& sock, std::string_view name) {
  CNI_ASSIGN_OR_RETURN(auto links, listLinkInfos(sock));
  for (LinkInfo& l : links) {
    if (l.link.name != name) continue;
    if (!l.vrf_table) return failPlain("Netlink " + std::string(name) + " is not a VRF");
    return std::optional<LinkInfo>(std::move(l));
  }
  return std::optional<LinkInfo>();
}

// The lowest table id >= 1 that no VRF of the namespace uses.
uint32_t freeTable(const std::vector<LinkInfo>& links) {
  std::set<uint32_t> taken;
  for (const auto& l : links) {
    if (l.vrf_table) taken.insert(*l.vrf_table);
  }
  uint32_t t = 1;
  while (taken.contains(t)) ++t;
  return t;
}

Expected<LinkInfo> createVrf(Socket& sock, const std::string& name, uint32_t table) {
  auto links = listLinkInfos(sock);
  if (!links) return fail(plainNoDetails(links.error(), "createVRF: Failed to find links"));
  if (table == 0) table = freeTable(*links);
  if (Status s = netlink::createVrf(sock, {.name = name}, table); !s) {
    return fail(plainNoDetails(s.error(), "could not add VRF " + name));
  }
  auto l = netlink::getLinkByName(sock, name);
  if (!l) return fail(plainNoDetails(l.error(), "could not add VRF " + name));
  if (Status s = netlink::setLinkUp(sock, l->index); !s) {
    return fail(plainNoDetails(s.error(), "could not set link up for VRF " + name));
  }
  return LinkInfo{.link = std::move(*l), .vrf_table = table};
}

bool isGlobalUnicast(const IpAddress& ip) {
  const auto b = ip.bytes();
  if (ip.isUnspecified() || ip.isLoopback()) return false;
  if (ip.isV6()) {
    if (b[0] == 0xff) return false;                           // multicast
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // link-local
    return true;
  }
  if (b[0] >= 224) return false;         // multicast, broadcast
  return !(b[0] == 169 && b[1] == 254);  // link-local
}

Status addInterface(Socket& sock, const LinkInfo& vrf, const std::string& ifname) {
  auto link = netlink::getLinkByName(sock, ifname);
  if (!link) return failPlain("could not get link by name " + ifname);
  if (link->master != 0) {
    auto master = netlink::getLinkByIndex(sock, link->master);
    if (!master) {
      return fail(plainNoDetails(
          master.error(),
          "interface " + ifname + " has already a master set, could not retrieve the name"));
    }
    return failPlain("interface " + ifname + " has already a master set: " + master->name);
  }
  auto before = netlink::listAddresses(sock, link->index, IpFamily::kV6);
  if (!before) return failPlain("failed getting ipv6 addresses for " + ifname);
  // Routes the enslaving will flush: the interface's own (not kernel-made connected/local).
  auto routes = netlink::listRoutes(sock, {.table = RT_TABLE_MAIN, .dev = link->index});
  if (!routes) return fail(plainNoDetails(routes.error(), "failed getting routes for " + ifname));
  if (Status s = netlink::setLinkMaster(sock, link->index, vrf.link.index); !s) {
    return fail(plainNoDetails(s.error(),
                               "could not set vrf " + vrf.link.name + " as master of " + ifname));
  }
  auto after = netlink::listAddresses(sock, link->index, IpFamily::kV6);
  if (!after) return failPlain("failed getting ipv6 new addresses for " + ifname);
  for (const netlink::Address& a : *before) {
    if (!isGlobalUnicast(a.ip())) continue;
    bool kept = false;
    for (const netlink::Address& b : *after) kept = kept || b.prefix == a.prefix;
    if (kept) continue;
    netlink::AddressOptions o{.scope = a.scope,
                              .flags = a.flags & (IFA_F_NODAD | IFA_F_NOPREFIXROUTE)};
    if (Status s = netlink::addAddress(sock, link->index, a.prefix, o); !s) {
      return fail(plainNoDetails(s.error(), "could not restore address " + a.cidr() + " to " +
                                                ifname + " @ " + vrf.link.name));
    }
  }
  for (netlink::Route r : *routes) {
    if (r.scope != RT_SCOPE_UNIVERSE) continue;  // connected/local routes come back by themselves
    r.table = *vrf.vrf_table;
    r.onlink = false;
    Status s = netlink::addRoute(sock, r);
    if (!s && !netlink::isKernelErrno(s.error(), EEXIST)) {
      return fail(plainNoDetails(s.error(), "could not add route '" + r.dst.str() + "'"));
    }
  }
  return {};
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VrfConf c, parseConf(args.stdin_data));
  if (!c.prev) return failPlain("missing prevResult from earlier plugin");
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainNoDetails(ns.error()));
  Status s = ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_ASSIGN_OR_RETURN(auto vrf, findVrf(sock, c.vrf_name));
    if (vrf && c.table != 0 && *vrf->vrf_table != c.table) {
      return failPlain("VRF " + c.vrf_name + " already exist with different routing table " +
                       std::to_string(*vrf->vrf_table));
    }
    if (!vrf) {
      CNI_ASSIGN_OR_RETURN(vrf, createVrf(sock, c.vrf_name, c.table));
    }
    return addInterface(sock, *vrf, args.ifname);
  });
  if (!s) return fail(plainNoDetails(s.error(), "cmdAdd failed"));
  auto out = spec::convertResult(*c.prev, c.net.cni_version);
  if (!out) return fail(plainNoDetails(out.error()));
  return spec::encodeResult(*out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VrfConf c, parseConf(args.stdin_data));
  if (args.netns.empty()) return {};
  CNI_ASSIGN_OR_RETURN(auto ns, netns::NetNs::openIfExists(args.netns));
  if (!ns) return {};
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_ASSIGN_OR_RETURN(auto vrf, findVrf(sock, c.vrf_name));
    if (!vrf) return {};
    CNI_ASSIGN_OR_RETURN(auto link, netlink::findLinkByName(sock, args.ifname));
    if (link && link->master == vrf->link.index) {
      if (Status s = netlink::setLinkNoMaster(sock, link->index); !s) {
        return failPlain("resetMaster: could reset master to " + args.ifname);
      }
    }
    CNI_ASSIGN_OR_RETURN(auto links, netlink::listLinks(sock));
    for (const auto& l : links) {
      if (l.master == vrf->link.index) return {};  // still in use by another interface
    }
    CNI_ASSIGN_OR_RETURN(auto gone, netlink::deleteLink(sock, vrf->link.index));
    (void)gone;
    return {};
  });
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VrfConf c, parseConf(args.stdin_data));
  if (!c.prev) return failPlain("missing prevResult from earlier plugin");
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainNoDetails(ns.error()));
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_ASSIGN_OR_RETURN(auto vrf, findVrf(sock, c.vrf_name));
    if (!vrf) return failPlain("Link not found");
    CNI_ASSIGN_OR_RETURN(auto links, netlink::listLinks(sock));
    for (const auto& l : links) {
      if (l.master == vrf->link.index && l.name == args.ifname) return {};
    }
    return failPlain("Failed to find " + args.ifname + " associated to vrf " + c.vrf_name);
  });
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "vrf",
    .versions = kVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
};

}  // namespace cni::plugins::vrf
