// plugins/main/macvlan.cc — the macvlan plugin (reference doc §6.3): a macvlan link on a node
// interface ("master"), living in the pod namespace with its own MAC address.
//
//   ADD    the link is created directly in the pod namespace (IFLA_NET_NS_FD; the lower device
//          stays in the node namespace) under a random temporary name and renamed to
//          CNI_IFNAME there, as the reference does; then IPAM (optional: without `ipam` the
//          link is only set up, L2 only), arp_notify/ndisc_notify, addresses and routes. Any
//          failure deletes the link and releases the IPAM lease (rollback).
//   DEL    IPAM release, then the pod link; an empty or vanished CNI_NETNS or a missing link
//          is success (DEL is idempotent).
//   CHECK  IPAM CHECK, master exists, the pod link is a macvlan in the configured mode with the
//          prevResult's MAC, and carries the prevResult's addresses and routes.
//   GC / STATUS: the IPAM plugin's, when there is one.
//
// Keys (plugins v1.9): master (default: the interface of the node's first default route; with
// linkInContainer the master is looked up in the pod namespace), mode (bridge, private, vepa,
// passthru), mtu (0..master MTU), mac (also CNI_ARGS MAC and runtimeConfig.mac, the latter
// wins), bcqueuelen, linkInContainer, ipam, dns (copied into the result as is, replacing the
// IPAM plugin's DNS, as the reference does).
//
// Deliberate differences from Go: DEL with a vanished namespace path releases IPAM and succeeds
// (Go too, but only after IPAM); an ADD whose result cannot be printed in the requested version
// (an L2-only result for 0.1.0/0.2.0) removes the link it created (Go leaks it).
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
#include "src/spec/cni_args.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

namespace cni::plugins::macvlan {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

struct MacvlanConf {
  skel::NetConf net;
  std::string master;
  std::string mode;
  int mtu = 0;
  std::string mac;     // "mac" < CNI_ARGS MAC < runtimeConfig.mac (the last set one wins)
  std::string rc_mac;  // runtimeConfig.mac
  bool link_in_container = false;
  uint32_t bc_queue_len = 0;
  spec::Dns dns;
};

// Go json.Unmarshal into the plugin's NetConf: types only, no lookups (what DEL and STATUS do).
Expected<MacvlanConf> decodeConf(std::string_view stdin_data, std::string_view prefix) {
  MacvlanConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError(std::string(prefix) + net.error().msg));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "NetConf");
  Status s = f.string("master", &c.master);
  if (s) s = f.string("mode", &c.mode);
  if (s) s = f.integer("mtu", &c.mtu);
  if (s) s = f.string("mac", &c.mac);
  if (s) s = f.boolean("linkInContainer", &c.link_in_container);
  std::optional<int> bcq;
  if (s) s = f.optionalInteger("bcqueuelen", &bcq);
  if (s && bcq && *bcq < 0) {
    s = fail(plainError("json: cannot unmarshal number " + std::to_string(*bcq) +
                        " into Go struct field NetConf.bcqueuelen of type uint32"));
  }
  if (s && bcq) c.bc_queue_len = static_cast<uint32_t>(*bcq);
  if (const Json* rc = spec::findKey(c.net.raw, "runtimeConfig"); s && rc && rc->is_object()) {
    s = pluginkit::FieldReader(*rc, "NetConf.runtimeConfig").string("mac", &c.rc_mac);
  }
  if (!s) return fail(plainError(std::string(prefix) + s.error().msg));
  if (auto d = pluginkit::configDns(c.net.raw)) c.dns = *d;
  return c;
}

// Runs `f(sock)` on a socket of the node namespace, or of the pod namespace with
// linkInContainer.
template <class F>
auto inMasterNs(const MacvlanConf& c, const netns::NetNs* pod, F&& f) {
  return pluginkit::inMasterNs(c.link_in_container, pod, std::forward<F>(f));
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

// Go loadConf: decoding, the default master, the MTU bound and the MAC sources.
Expected<MacvlanConf> loadConf(const skel::CmdArgs& args, const netns::NetNs* pod) {
  CNI_ASSIGN_OR_RETURN(MacvlanConf c, decodeConf(args.stdin_data, "failed to load netconf: "));
  CNI_ASSIGN_OR_RETURN(uint32_t master_mtu,
                       inMasterNs(c, pod, [&](Socket& s) -> Expected<uint32_t> {
                         if (c.master.empty()) {
                           CNI_ASSIGN_OR_RETURN(c.master, defaultRouteInterface(s));
                         }
                         CNI_ASSIGN_OR_RETURN(Link m, netlink::getLinkByName(s, c.master));
                         return m.mtu;
                       }));
  if (c.mtu < 0 || static_cast<uint32_t>(c.mtu) > master_mtu) {
    return fail(plainError("invalid MTU " + std::to_string(c.mtu) + ", must be [0, master MTU(" +
                           std::to_string(master_mtu) + ")]"));
  }
  if (!args.args.empty()) {
    static constexpr std::string_view kKeys[] = {"MAC"};
    auto loaded = spec::loadArgs(args.args, kKeys);
    if (!loaded) return fail(plainError(loaded.error().msg));
    if (const std::string* v = loaded->get("MAC"); v && !v->empty()) c.mac = *v;
  }
  if (!c.rc_mac.empty()) c.mac = c.rc_mac;
  return c;
}

Expected<netlink::MacvlanMode> modeFromString(std::string_view s) {
  if (s.empty() || s == "bridge") return netlink::MacvlanMode::kBridge;
  if (s == "private") return netlink::MacvlanMode::kPrivate;
  if (s == "vepa") return netlink::MacvlanMode::kVepa;
  if (s == "passthru") return netlink::MacvlanMode::kPassthru;
  return fail(plainError("unknown macvlan mode: " + spec::goQuote(s)));
}

std::string modeToString(uint32_t mode) {
  switch (mode) {
    case MACVLAN_MODE_BRIDGE:
      return "bridge";
    case MACVLAN_MODE_PRIVATE:
      return "private";
    case MACVLAN_MODE_VEPA:
      return "vepa";
    case MACVLAN_MODE_PASSTHRU:
      return "passthru";
    case MACVLAN_MODE_SOURCE:
      return "source";
    default:
      return std::to_string(mode);
  }
}

// RTM_NEWLINK for the macvlan (link_create.h has no IFLA_MACVLAN_BC_QUEUE_LEN).
Status createLink(Socket& sock, const netlink::LinkAttrs& a, netlink::MacvlanMode mode,
                  uint32_t bc_queue_len) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  netlink::Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.putHeader(ifi).putString(IFLA_IFNAME, a.name);
  if (a.mtu != 0) m.putU32(IFLA_MTU, a.mtu);
  if (!a.mac.empty()) m.putBytes(IFLA_ADDRESS, a.mac);
  m.putU32(IFLA_LINK, static_cast<uint32_t>(a.parent));
  if (a.netns_fd >= 0) m.putU32(IFLA_NET_NS_FD, static_cast<uint32_t>(a.netns_fd));
  netlink::Nest info = m.beginNest(IFLA_LINKINFO);
  m.putString(IFLA_INFO_KIND, "macvlan");
  netlink::Nest data = m.beginNest(IFLA_INFO_DATA);
  m.putU32(IFLA_MACVLAN_MODE, static_cast<uint32_t>(mode));
  if (bc_queue_len != 0) m.putU32(IFLA_MACVLAN_BC_QUEUE_LEN, bc_queue_len);
  m.endNest(data);
  m.endNest(info);
  return sock.request(m);
}

// Go createMacvlan: the link in the pod namespace, named CNI_IFNAME; returns its MAC.
Expected<std::string> createMacvlan(const MacvlanConf& c, const skel::CmdArgs& args,
                                    const netns::NetNs& pod) {
  CNI_ASSIGN_OR_RETURN(netlink::MacvlanMode mode, modeFromString(c.mode));
  netlink::LinkAttrs a{.name = pluginkit::randomVethName(),
                       .mtu = static_cast<uint32_t>(c.mtu),
                       .netns_fd = pod.fd()};
  if (!c.mac.empty()) {
    auto mac = netlink::parseMac(c.mac);
    if (!mac)
      return fail(plainError("invalid args " + c.mac + " for MAC addr: " + mac.error().msg));
    a.mac = std::move(*mac);
  }
  CNI_TRY(inMasterNs(c, &pod, [&](Socket& s) -> Status {
    CNI_ASSIGN_OR_RETURN(Link m, pluginkit::lookupMaster(s, c.master));
    a.parent = m.index;
    if (Status st = createLink(s, a, mode, c.bc_queue_len); !st) {
      return fail(plainError(st.error(), "failed to create macvlan"));
    }
    return {};
  }));
  return pluginkit::renameTempLink(pod, a.name, args.ifname, "macvlan");
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(MacvlanConf c, loadConf(args, &ns));
  CNI_ASSIGN_OR_RETURN(std::string mac, createMacvlan(c, args, ns));
  Rollback undo;
  pluginkit::undoPodLink(undo, ns, args.ifname);
  spec::Result result;
  if (!c.net.ipam_type.empty()) {
    CNI_ASSIGN_OR_RETURN(result, pluginkit::ipamAddWithUndo(c.net.ipam_type, args, undo));
    result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
    CNI_TRY(pluginkit::configurePodIface(ns, args.ifname, result, {.arp = true, .ndisc = true}));
  } else {
    result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
    CNI_TRY(pluginkit::setPodLinkUp(ns, args.ifname));
  }
  result.dns = c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(MacvlanConf c, decodeConf(args.stdin_data, "failed to load netConf: "));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  return pluginkit::deletePodLink(args);
}

constexpr pluginkit::CheckWording kWording{.lower = true};

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(MacvlanConf c, loadConf(args, &ns));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(auto prev, pluginkit::prevPodIface(c.net, args, kWording));
  CNI_TRY(inMasterNs(c, &ns, [&](Socket& s) { return pluginkit::lookupMaster(s, c.master); }));
  CNI_ASSIGN_OR_RETURN(netlink::MacvlanMode want, modeFromString(c.mode));
  return ns.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link l, pluginkit::checkPodLink(s, prev.iface, "macvlan", kWording));
    CNI_ASSIGN_OR_RETURN(auto mode, netlink::linkInfoDataU32(s, l.index, IFLA_MACVLAN_MODE));
    if (mode.value_or(0) != static_cast<uint32_t>(want)) {
      return fail(plainError(
          "container macvlan mode " + modeToString(mode.value_or(0)) +
          " does not match expected value: " + modeToString(static_cast<uint32_t>(want))));
    }
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, prev.result.ips));
    return pluginkit::validateRoutes(s, prev.result.routes);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(MacvlanConf c, decodeConf(args.stdin_data, "failed to load netconf: "));
  return pluginkit::ipamGcIfAny(c.net, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(MacvlanConf c, decodeConf(args.stdin_data, "failed to load netconf: "));
  return pluginkit::ipamStatusIfAny(c.net, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "macvlan",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::macvlan
