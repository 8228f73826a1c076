// plugins/main/tap.cc — the tap plugin (reference doc §6.9): a persistent TAP device in the pod
// namespace, for a VM or a userspace network stack that attaches to it later.
//
//   ADD    inside the pod namespace: the tap is created under a random temporary name
//          (/dev/net/tun + TUNSETIFF + TUNSETPERSIST, owner/group), given its MTU and MAC,
//          renamed to CNI_IFNAME, optionally enslaved to an existing bridge of the pod
//          namespace, and set up; then IPAM (optional: without `ipam` the tap is L2 only),
//          arp_notify and the addresses/routes. Any failure deletes the tap and releases the
//          lease (rollback).
//   DEL    IPAM release (when set), then the pod link; empty/vanished CNI_NETNS or a missing
//          link is success.
//   CHECK  IPAM CHECK, the prevResult's addresses and routes are on the pod interface.
//   GC / STATUS: the IPAM plugin's, when there is one.
//
// Keys: mac (also CNI_ARGS MAC and runtimeConfig.mac, the latter wins), mtu, multiQueue, owner,
// group, selinuxContext, bridge, ipam, dns (copied into the result as is).
//
// Differences from Go, on purpose:
//   * no `ip tuntap` exec: the reference execs iproute2 when owner or group is unset (a
//     limitation of its netlink library); we always create the device with ioctls, setting only
//     the owner/group that are given. IFF_VNET_HDR is set exactly when the reference sets it
//     (both owner and group given, its netlink path).
//   * selinuxContext is accepted and ignored: the reference sets it as the exec label of the
//     `ip` process it starts, so the tap's creator is labelled; without an exec there is
//     nothing to label (and this build has no SELinux support).
//   * mac and mtu are applied on every path (the reference's netlink path drops the MAC).
#include <linux/if_link.h>

#include "src/common/rollback.h"
#include "src/netlink/link.h"
#include "src/netlink/link_set.h"
#include "src/netlink/tuntap.h"
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
#include "src/spec/go_json.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

namespace cni::plugins::tap {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

struct TapConf {
  skel::NetConf net;
  bool multi_queue = false;
  int mtu = 0;
  std::string mac;  // "mac" < CNI_ARGS MAC < runtimeConfig.mac
  std::optional<uint32_t> owner;
  std::optional<uint32_t> group;
  std::string selinux_context;  // accepted, ignored (see the file comment)
  std::string bridge;
  spec::Dns dns;
};

// Go *uint32: a JSON number in [0, 2^32).
Status optionalU32(const pluginkit::FieldReader& f, std::string_view key,
                   std::optional<uint32_t>* out) {
  const Json* v = f.raw(key);
  if (v == nullptr) return {};
  if (v->is_number_unsigned() && v->get<uint64_t>() <= UINT32_MAX) {
    *out = static_cast<uint32_t>(v->get<uint64_t>());
    return {};
  }
  if (v->is_number()) {
    return fail(plainError("json: cannot unmarshal number " + v->dump() +
                           " into Go struct field NetConf." + std::string(key) +
                           " of type uint32"));
  }
  return fail(f.typeError(*v, key, "uint32"));
}

Expected<TapConf> loadConf(const skel::CmdArgs& args) {
  TapConf c;
  auto net = skel::parseNetConf(args.stdin_data);
  if (!net) return fail(plainError("failed to load netconf: " + net.error().msg));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "NetConf");
  Status s = f.boolean("multiQueue", &c.multi_queue);
  if (s) s = f.integer("mtu", &c.mtu);
  if (s) s = f.string("mac", &c.mac);
  if (s) s = optionalU32(f, "owner", &c.owner);
  if (s) s = optionalU32(f, "group", &c.group);
  if (s) s = f.string("selinuxContext", &c.selinux_context);
  if (s) s = f.string("bridge", &c.bridge);
  if (const Json* a = f.raw("args"); s && a != nullptr && !a->is_object()) {
    s = fail(plainError(spec::goFieldTypeError(*a, "NetConf.args", "struct {}")));
  }
  std::string rc_mac;
  if (const Json* rc = spec::findKey(c.net.raw, "runtimeConfig"); s && rc && rc->is_object()) {
    s = pluginkit::FieldReader(*rc, "NetConf.runtimeConfig").string("mac", &rc_mac);
  }
  if (!s) return fail(plainError("failed to load netconf: " + s.error().msg));
  if (!args.args.empty()) {
    static constexpr std::string_view kKeys[] = {"MAC"};
    auto loaded = spec::loadArgs(args.args, kKeys);
    if (!loaded) return fail(plainError(loaded.error().msg));
    if (const std::string* v = loaded->get("MAC"); v && !v->empty()) c.mac = *v;
  }
  if (!rc_mac.empty()) c.mac = rc_mac;
  if (auto d = pluginkit::configDns(c.net.raw)) c.dns = *d;
  return c;
}

// Go createTap, inside the pod namespace; returns the tap's MAC.
Expected<std::string> createTap(const TapConf& c, const skel::CmdArgs& args) {
  std::vector<uint8_t> mac;
  if (!c.mac.empty()) {
    auto m = netlink::parseMac(c.mac);
    if (!m) return fail(plainError("invalid args " + c.mac + " for MAC addr: " + m.error().msg));
    mac = std::move(*m);
  }
  const std::string tmp = pluginkit::randomVethName();
  if (Status s = netlink::createTuntap({.name = tmp,
                                        .mode = netlink::TunMode::kTap,
                                        .multi_queue = c.multi_queue,
                                        .vnet_hdr = c.owner && c.group,
                                        .owner = c.owner,
                                        .group = c.group});
      !s) {
    return fail(plainError(s.error(), "failed to create tap"));
  }
  CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
  CNI_ASSIGN_OR_RETURN(Link link, netlink::getLinkByName(s, tmp));
  // Anything failing from here on removes the half-made tap.
  Rollback undo;
  undo.add([&] { (void)netlink::deleteLink(s, link.index); });
  if (c.mtu != 0) {
    if (Status st = netlink::setLinkMtu(s, link.index, static_cast<uint32_t>(c.mtu)); !st) {
      return fail(plainError(st.error(), "failed to set tap MTU " + std::to_string(c.mtu)));
    }
  }
  if (!mac.empty()) {
    if (Status st = netlink::setLinkMac(s, link.index, mac); !st) {
      return fail(plainError(st.error(), "failed to set tap MAC " + c.mac));
    }
  }
  if (Status st = netlink::setLinkName(s, link.index, args.ifname); !st) {
    return fail(plainError(st.error(), "failed to rename tap to " + spec::goQuote(args.ifname)));
  }
  auto now = netlink::getLinkByName(s, args.ifname);
  if (!now)
    return fail(plainError(now.error(), "failed to refetch tap " + spec::goQuote(args.ifname)));
  if (!c.bridge.empty()) {
    auto br = netlink::getLinkByName(s, c.bridge);
    if (!br) return fail(plainError(br.error(), "failed to get bridge " + c.bridge));
    if (Status st = netlink::setLinkMaster(s, now->index, br->index); !st) {
      return fail(plainError(
          st.error(), "failed to set tap " + args.ifname + " as a port of bridge " + c.bridge));
    }
  }
  if (Status st = netlink::setLinkUp(s, now->index); !st) {
    return fail(plainError(st.error(), "failed to set tap interface up"));
  }
  undo.commit();
  return now->macString();
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TapConf c, loadConf(args));
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(std::string mac, ns.run([&] { return createTap(c, args); }));
  Rollback undo;
  pluginkit::undoPodLink(undo, ns, args.ifname);
  spec::Result result;
  if (!c.net.ipam_type.empty()) {
    CNI_ASSIGN_OR_RETURN(result, pluginkit::ipamAddWithUndo(c.net.ipam_type, args, undo));
  }
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  if (!c.net.ipam_type.empty()) {
    CNI_TRY(pluginkit::configurePodIface(ns, args.ifname, result, {.arp = true}));
  }
  result.dns = c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TapConf c, loadConf(args));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  return pluginkit::deletePodLink(args);
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TapConf c, loadConf(args));
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(auto prev, pluginkit::prevPodIface(c.net, args));
  return ns.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, prev.result.ips));
    return pluginkit::validateRoutes(s, prev.result.routes);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TapConf c, loadConf(args));
  return pluginkit::ipamGcIfAny(c.net, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(TapConf c, loadConf(args));
  return pluginkit::ipamStatusIfAny(c.net, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "tap",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::tap
