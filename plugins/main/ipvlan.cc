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
#include "src/pluginkit/pod_link.h"
#include "src/pluginkit/veth.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

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
  return pluginkit::inMasterNs(c.link_in_container, &pod, std::forward<F>(f));
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

// Go createIpvlan: the link in the pod namespace, named CNI_IFNAME; returns its MAC.
Expected<std::string> createIpvlan(const IpvlanConf& c, const skel::CmdArgs& args,
                                   const netns::NetNs& pod) {
  CNI_ASSIGN_OR_RETURN(netlink::IpvlanMode mode, modeFromString(c.mode));
  netlink::LinkAttrs a{.name = pluginkit::randomVethName(),
                       .mtu = static_cast<uint32_t>(c.mtu),
                       .netns_fd = pod.fd()};
  CNI_TRY(inMasterNs(c, pod, [&](Socket& s) -> Status {
    CNI_ASSIGN_OR_RETURN(Link m, pluginkit::lookupMaster(s, c.master));
    a.parent = m.index;
    if (Status st = netlink::createIpvlan(s, a, mode); !st) {
      return fail(plainError(st.error(), "failed to create ipvlan"));
    }
    return {};
  }));
  return pluginkit::renameTempLink(pod, a.name, args.ifname, "ipvlan");
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, loadConf(args, ns));
  CNI_ASSIGN_OR_RETURN(std::string mac, createIpvlan(c, args, ns));
  Rollback undo;
  pluginkit::undoPodLink(undo, ns, args.ifname);
  // Chained without IPAM: the previous plugin's addresses go on the ipvlan link.
  spec::Result result;
  if (c.net.ipam_type.empty() && c.prev && !c.prev->ips.empty()) {
    result = *c.prev;
    for (spec::IpConfig& ipc : result.ips) ipc.interface = 0;
  } else {
    CNI_ASSIGN_OR_RETURN(result, pluginkit::ipamAddWithUndo(c.net.ipam_type, args, undo));
  }
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  CNI_TRY(pluginkit::configurePodIface(ns, args.ifname, result, {.arp = true, .ndisc = true}));
  result.dns = c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  return pluginkit::deletePodLink(args);
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(auto prev, pluginkit::prevPodIface(c.net, args));
  CNI_ASSIGN_OR_RETURN(c, loadConf(args, ns));
  CNI_TRY(inMasterNs(c, ns, [&](Socket& s) { return pluginkit::lookupMaster(s, c.master); }));
  CNI_ASSIGN_OR_RETURN(netlink::IpvlanMode want, modeFromString(c.mode));
  return ns.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link l, pluginkit::checkPodLink(s, prev.iface, "ipvlan"));
    CNI_ASSIGN_OR_RETURN(auto mode, netlink::linkInfoDataU16(s, l.index, IFLA_IPVLAN_MODE));
    if (mode.value_or(0) != static_cast<uint16_t>(want)) {
      return fail(plainError(
          "Container IPVlan mode " + modeToString(mode.value_or(0)) +
          " does not match expected value: " + modeToString(static_cast<uint16_t>(want))));
    }
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, prev.result.ips));
    return pluginkit::validateRoutes(s, prev.result.routes);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  return pluginkit::ipamGcIfAny(c.net, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(IpvlanConf c, decodeConf(args.stdin_data));
  return pluginkit::ipamStatusIfAny(c.net, args);
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
