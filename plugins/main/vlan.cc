// plugins/main/vlan.cc — the vlan plugin (reference doc §6.5): an 802.1Q sub-interface of a
// node interface ("master"), living in the pod namespace.
//
//   ADD    the link is created directly in the pod namespace (IFLA_NET_NS_FD) under a random
//          temporary name and renamed to CNI_IFNAME there (the reference's flow), then IPAM
//          (always: `ipam` is required) and the addresses/routes; any failure deletes the link
//          and releases the lease.
//   DEL    IPAM release, then the pod link; empty/vanished CNI_NETNS or a missing link is
//          success.
//   CHECK  IPAM CHECK, master exists, the pod link is a vlan with the configured id (and MTU
//          when set) and the prevResult's MAC, addresses and routes.
//   GC / STATUS: the IPAM plugin's.
//
// Keys: master (required), vlanId (0..4094), mtu (0..master MTU), linkInContainer (master
// looked up in the pod namespace), ipam, dns (copied to the result, replacing IPAM's).
// Difference from Go, on purpose: DEL only decodes the config (Go also looks the master up, so
// a DEL after the master vanished could never succeed).
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "src/common/rollback.h"
#include "src/netlink/attr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/message.h"
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

namespace cni::plugins::vlan {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

struct VlanConf {
  skel::NetConf net;
  std::string master;
  int vlan_id = 0;
  int mtu = 0;
  bool link_in_container = false;
  spec::Dns dns;
};

Expected<VlanConf> decodeConf(std::string_view stdin_data) {
  VlanConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError("failed to load netconf: " + net.error().msg));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "NetConf");
  Status s = f.string("master", &c.master);
  if (s) s = f.integer("vlanId", &c.vlan_id);
  if (s) s = f.integer("mtu", &c.mtu);
  if (s) s = f.boolean("linkInContainer", &c.link_in_container);
  if (!s) return fail(plainError("failed to load netconf: " + s.error().msg));
  if (auto d = pluginkit::configDns(c.net.raw)) c.dns = *d;
  return c;
}

// Runs `f(sock)` in the namespace the master lives in (node, or pod with linkInContainer).
template <class F>
auto inMasterNs(const VlanConf& c, const std::string& netns_path, F&& f) {
  using R = decltype(f(std::declval<Socket&>()));
  if (!c.link_in_container) return pluginkit::inMasterNs(false, nullptr, f);
  auto ns = pluginkit::openPodNetns(netns_path);
  if (!ns) return R(fail(ns.error()));
  return R(pluginkit::inMasterNs(true, &*ns, f));
}

// Go loadConf: the checks made before anything is touched.
Expected<VlanConf> loadConf(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  if (c.master.empty()) {
    return fail(plainError(
        "\"master\" field is required. It specifies the host interface name to create the VLAN "
        "for"));
  }
  if (c.vlan_id < 0 || c.vlan_id > 4094) {
    return fail(plainError("invalid VLAN ID " + std::to_string(c.vlan_id) +
                           " (must be between 0 and 4095 inclusive)"));
  }
  CNI_ASSIGN_OR_RETURN(uint32_t master_mtu,
                       inMasterNs(c, args.netns, [&](Socket& s) -> Expected<uint32_t> {
                         CNI_ASSIGN_OR_RETURN(Link m, netlink::getLinkByName(s, c.master));
                         return m.mtu;
                       }));
  if (c.mtu < 0 || static_cast<uint32_t>(c.mtu) > master_mtu) {
    return fail(plainError("invalid MTU " + std::to_string(c.mtu) + ", must be [0, master MTU(" +
                           std::to_string(master_mtu) + ")]"));
  }
  return c;
}

// Go createVlan: the link in the pod namespace, named CNI_IFNAME; returns its MAC.
Expected<std::string> createVlan(const VlanConf& c, const skel::CmdArgs& args,
                                 const netns::NetNs& pod) {
  netlink::LinkAttrs a{.name = pluginkit::randomVethName(),
                       .mtu = static_cast<uint32_t>(c.mtu),
                       .netns_fd = pod.fd()};
  CNI_TRY(inMasterNs(c, args.netns, [&](Socket& s) -> Status {
    CNI_ASSIGN_OR_RETURN(Link m, pluginkit::lookupMaster(s, c.master));
    a.parent = m.index;
    if (Status st = netlink::createVlan(s, a, static_cast<uint16_t>(c.vlan_id)); !st) {
      return fail(plainError(st.error(), "failed to create vlan"));
    }
    return {};
  }));
  return pluginkit::renameTempLink(pod, a.name, args.ifname, "vlan");
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, loadConf(args));
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(std::string mac, createVlan(c, args, ns));
  Rollback undo;
  pluginkit::undoPodLink(undo, ns, args.ifname);
  CNI_ASSIGN_OR_RETURN(
      spec::Result result,
      pluginkit::ipamAddWithUndo(c.net.ipam_type, args, undo, "failed to execute IPAM delegate"));
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  CNI_TRY(pluginkit::configurePodIface(ns, args.ifname, result));
  result.dns = c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  return pluginkit::deletePodLink(args);
}

constexpr pluginkit::CheckWording kWording{.prefix = "vlan: "};

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(auto prev, pluginkit::prevPodIface(c.net, args, kWording));
  CNI_TRY(
      inMasterNs(c, args.netns, [&](Socket& s) { return pluginkit::lookupMaster(s, c.master); }));
  return ns.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link l, pluginkit::checkPodLink(s, prev.iface, "vlan", kWording));
    CNI_ASSIGN_OR_RETURN(auto id, netlink::linkInfoDataU16(s, l.index, IFLA_VLAN_ID));
    if (id.value_or(0) != c.vlan_id) {
      // Go's text, copied from the tuning plugin, says "promisc" for the VLAN id.
      return fail(plainError("Error: Tuning link " + l.name + " configured promisc is " +
                             std::to_string(c.vlan_id) + ", current value is " +
                             std::to_string(id.value_or(0))));
    }
    if (c.mtu != 0 && static_cast<uint32_t>(c.mtu) != l.mtu) {
      return fail(plainError("Error: Tuning configured MTU of " + l.name + " is " +
                             std::to_string(c.mtu) + ", current value is " +
                             std::to_string(l.mtu)));
    }
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, prev.result.ips));
    return pluginkit::validateRoutes(s, prev.result.routes);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  return pluginkit::ipamGc(c.net.ipam_type, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  return pluginkit::ipamStatus(c.net.ipam_type, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "vlan",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::vlan
