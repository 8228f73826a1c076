// plugins/main/ipvlan.cc — the ipvlan plugin (reference doc §6.4): an ipvlan link on a node
// interface ("master") in the pod namespace, sharing the master's MAC address.
//
//   ADD    the link is created directly in the pod namespace (IFLA_NET_NS_FD) under a random
//          temporary name and renamed to CNI_IFNAME there (the reference's flow); addresses
//          come from IPAM or, when chained without `ipam`, from the prevResult's IPs;
//          arp_notify/ndisc_notify; any failure deletes the link and releases the lease.
//   DEL    IPAM release (when `ipam` is set), then the pod link; empty/vanished CNI_NETNS or a
//          missing link is success.
//   CHECK  IPAM CHECK, master exists, the pod link is an ipvlan in the configured mode with
//          the prevResult's MAC, addresses and routes.
//   GC / STATUS: the IPAM plugin's, when there is one.
//
// Keys: master (default: the node's first default-route interface, or — chained, without
// master — the single named interface of prevResult), mode (l2 default, l3, l3s), mtu,
// linkInContainer (master looked up in the pod namespace), ipam, dns (copied to the result).
//
// Differences from Go, on purpose: DEL only decodes the config (Go also resolves the default
// master, so a node without a default route could never DEL); CHECK resolves the default master
// like ADD (Go looks up an empty name and fails).
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "src/common/rollback.h"
#include "src/netlink/attr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/message.h"
#include "src/netlink/route.h"
#include "src/netns/netns.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/pluginkit/plain_error.h"
#include "src/pluginkit/veth.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"
#include "src/sysctl/sysctl.h"

namespace cni::plugins::ipvlan {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

struct IpvlanConf {
  skel::NetConf net;
  std::string master;
  std::string mode;
  int mtu = 0;
  bool link_in_container = false;
  std::optional<spec::Result> prev;  // prevResult in the current version, when given
  spec::Dns dns;
};

Expected<IpvlanConf> decodeConf(std::string_view stdin_data) {
  IpvlanConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError("failed to load netconf: " + net.error().msg));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "NetConf");
  Status s = f.string("master", &c.master);
  if (s) s = f.string("mode", &c.mode);
  if (s) s = f.integer("mtu", &c.mtu);
  if (s) s = f.boolean("linkInContainer", &c.link_in_container);
  if (!s) return fail(plainError("failed to load netconf: " + s.error().msg));
  if (auto d = pluginkit::configDns(c.net.raw)) c.dns = *d;
  return c;
}

// Go getDefaultRouteInterfaceName: the device of the first default route of the main table.
Expected<std::string> defaultRouteInterface(Socket& sock) {
  CNI_ASSIGN_OR_RETURN(auto routes, netlink::listRoutes(sock, {.table = RT_TABLE_MAIN}));
  for (const netlink::Route& r : routes) {
    if (!r.isDefault()) continue;
    int dev = r.dev != 0 ? r.dev : (r.multipath.empty() ? 0 : r.multipath[0].dev);
    CNI_ASSIGN_OR_RETURN(Link l, netlink::getLinkByIndex(sock, dev));
    return l.name;
  }
  return fail(plainError("no default route interface found"));
}

// Runs `f(sock)` in the namespace the master lives in (node, or pod with linkInContainer).
template <class F>
auto inMasterNs(const IpvlanConf& c, const netns::NetNs& pod, F&& f) {
  using R = decltype(f(std::declval<Socket&>()));
  auto body = [&]() -> R {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    return f(sock);
  };
  if (c.link_in_container) return R(pod.run(body));
  return body();
}

// Go loadConf(args, false): prevResult, then the default master.
Expected<IpvlanConf> loadConf(const skel::CmdArgs& args, const netns::NetNs& pod) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (c.net.has_prev_result) {
    auto prev = spec::parsePrevResult(c.net.raw);
    if (!prev) return fail(plainError("could not parse prevResult: " + prev.error().msg));
    auto cur = spec::convertResult(**prev, spec::kCurrentVersion);
    if (!cur)
      return fail(plainError("could not convert result to current version: " + cur.error().msg));
    c.prev = std::move(*cur);
  }
  if (c.master.empty()) {
    if (!c.prev) {
      CNI_ASSIGN_OR_RETURN(c.master,
                           inMasterNs(c, pod, [](Socket& s) { return defaultRouteInterface(s); }));
    } else if (c.prev->interfaces.size() == 1 && !c.prev->interfaces[0].name.empty()) {
      c.master = c.prev->interfaces[0].name;
    } else {
      return fail(plainError("chained master failure. PrevResult lacks a single named interface"));
    }
  }
  return c;
}

Expected<netlink::IpvlanMode> modeFromString(std::string_view s) {
  if (s.empty() || s == "l2") return netlink::IpvlanMode::kL2;
  if (s == "l3") return netlink::IpvlanMode::kL3;
  if (s == "l3s") return netlink::IpvlanMode::kL3S;
  return fail(plainError("unknown ipvlan mode: " + spec::goQuote(s)));
}

std::string modeToString(uint32_t mode) {
  switch (mode) {
    case IPVLAN_MODE_L2:
      return "l2";
    case IPVLAN_MODE_L3:
      return "l3";
    case IPVLAN_MODE_L3S:
      return "l3s";
    default:
      return std::to_string(mode);
  }
}

// IFLA_INFO_DATA / IFLA_IPVLAN_MODE of a link (Link does not decode kind-specific data).
Expected<std::optional<uint16_t>> ipvlanMode(Socket& sock, int index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  netlink::Message req(RTM_GETLINK, 0);
  req.putHeader(ifi).putU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  CNI_ASSIGN_OR_RETURN(auto msgs, sock.query(req));
  for (const netlink::RawMessage& msg : msgs) {
    if (msg.type() != RTM_NEWLINK) continue;
    CNI_ASSIGN_OR_RETURN(netlink::AttrList attrs, msg.attrs(sizeof(ifinfomsg)));
    const netlink::Attr* li = attrs.find(IFLA_LINKINFO);
    if (li == nullptr) break;
    CNI_ASSIGN_OR_RETURN(netlink::AttrList info, li->nested());
    const netlink::Attr* data = info.find(IFLA_INFO_DATA);
    if (data == nullptr) break;
    CNI_ASSIGN_OR_RETURN(netlink::AttrList d, data->nested());
    if (const netlink::Attr* mode = d.find(IFLA_IPVLAN_MODE)) return mode->u16();
  }
  return std::optional<uint16_t>();
}

// Go createIpvlan: the link in the pod namespace, named CNI_IFNAME; returns its MAC.
Expected<std::string> createIpvlan(const IpvlanConf& c, const skel::CmdArgs& args,
                                   const netns::NetNs& pod) {
  CNI_ASSIGN_OR_RETURN(netlink::IpvlanMode mode, modeFromString(c.mode));
  netlink::LinkAttrs a{.name = pluginkit::randomVethName(),
                       .mtu = static_cast<uint32_t>(c.mtu),
                       .netns_fd = pod.fd()};
  CNI_TRY(inMasterNs(c, pod, [&](Socket& s) -> Status {
    auto m = netlink::getLinkByName(s, c.master);
    if (!m) {
      return fail(
          plainError("failed to lookup master " + spec::goQuote(c.master) + ": " + m.error().msg));
    }
    a.parent = m->index;
    if (Status st = netlink::createIpvlan(s, a, mode); !st) {
      return fail(plainError(st.error(), "failed to create ipvlan"));
    }
    return {};
  }));
  return pod.run([&]() -> Expected<std::string> {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link tmp, netlink::getLinkByName(s, a.name));
    if (Status st = netlink::setLinkName(s, tmp.index, args.ifname); !st) {
      (void)netlink::deleteLink(s, tmp.index);
      return fail(
          plainError(st.error(), "failed to rename ipvlan to " + spec::goQuote(args.ifname)));
    }
    auto l = netlink::getLinkByName(s, args.ifname);
    if (!l) {
      return fail(plainError(l.error(), "failed to refetch ipvlan " + spec::goQuote(args.ifname)));
    }
    return l->macString();
  });
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  }
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, loadConf(args, *ns));
  CNI_ASSIGN_OR_RETURN(std::string mac, createIpvlan(c, args, *ns));
  Rollback undo;
  undo.add([&] {
    (void)ns->run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
      CNI_TRY(netlink::deleteLinkByName(s, args.ifname));
      return {};
    });
  });
  // Chained without IPAM: the previous plugin's addresses go on the ipvlan link.
  spec::Result result;
  if (c.net.ipam_type.empty() && c.prev && !c.prev->ips.empty()) {
    result = *c.prev;
  } else {
    CNI_ASSIGN_OR_RETURN(result, pluginkit::ipamAdd(c.net.ipam_type, args));
    undo.add([&] { (void)pluginkit::ipamDel(c.net.ipam_type, args); });
    if (result.ips.empty()) return fail(plainError("IPAM plugin returned missing IP config"));
  }
  for (spec::IpConfig& ipc : result.ips) ipc.interface = 0;
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  CNI_TRY(ns->run([&]() -> Status {
    (void)sysctl::set(sysctl::ifaceKey(IpFamily::kV4, args.ifname, "arp_notify"), "1");
    (void)sysctl::set(sysctl::ifaceKey(IpFamily::kV6, args.ifname, "ndisc_notify"), "1");
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    return pluginkit::configureIface(s, args.ifname, result);
  }));
  result.dns = c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  if (args.netns.empty()) return {};
  CNI_ASSIGN_OR_RETURN(auto ns, netns::NetNs::openIfExists(args.netns));
  if (!ns) return {};
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(auto gone, netlink::deleteLinkByName(s, args.ifname));
    (void)gone;  // kNotFound: a repeated DEL
    return {};
  });
}

Status cmdCheck(const skel::CmdArgs& args) {
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  }
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  if (!c.net.has_prev_result) return fail(plainError("Required prevResult missing"));
  CNI_ASSIGN_OR_RETURN(c, loadConf(args, *ns));
  const spec::Result& result = *c.prev;
  spec::Interface cont;
  for (const spec::Interface& intf : result.interfaces) {
    if (intf.name == args.ifname && intf.sandbox == args.netns) cont = intf;
  }
  if (cont.sandbox != args.netns) {
    return fail(plainError("Sandbox in prevResult " + cont.sandbox +
                           " doesn't match configured netns: " + args.netns));
  }
  CNI_TRY(inMasterNs(c, *ns, [&](Socket& s) -> Status {
    auto m = netlink::getLinkByName(s, c.master);
    if (!m) {
      return fail(
          plainError("failed to lookup master " + spec::goQuote(c.master) + ": " + m.error().msg));
    }
    return {};
  }));
  CNI_ASSIGN_OR_RETURN(netlink::IpvlanMode want, modeFromString(c.mode));
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    auto l = netlink::getLinkByName(s, cont.name);
    if (!l) {
      return fail(
          plainError("Container Interface name in prevResult: " + cont.name + " not found"));
    }
    if (l->kind != "ipvlan") {
      return fail(plainError("Error: Container interface " + l->name + " not of type ipvlan"));
    }
    CNI_ASSIGN_OR_RETURN(auto mode, ipvlanMode(s, l->index));
    if (mode.value_or(0) != static_cast<uint16_t>(want)) {
      return fail(plainError(
          "Container IPVlan mode " + modeToString(mode.value_or(0)) +
          " does not match expected value: " + modeToString(static_cast<uint16_t>(want))));
    }
    if (!cont.mac.empty() && cont.mac != l->macString()) {
      return fail(plainError("Interface " + cont.name + " Mac " + cont.mac +
                             " doesn't match container Mac: " + l->macString()));
    }
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, result.ips));
    return pluginkit::validateRoutes(s, result.routes);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (c.net.ipam_type.empty()) return {};
  return pluginkit::ipamGc(c.net.ipam_type, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (c.net.ipam_type.empty()) return {};
  return pluginkit::ipamStatus(c.net.ipam_type, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "ipvlan",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::ipvlan
