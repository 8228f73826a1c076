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
  auto body = [&]() -> R {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    return f(sock);
  };
  if (!c.link_in_container) return body();
  auto ns = netns::NetNs::open(netns_path);
  if (!ns) {
    return R(fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(netns_path))));
  }
  return R(ns->run(body));
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

// IFLA_INFO_DATA / IFLA_VLAN_ID of a link (Link does not decode kind-specific data).
Expected<std::optional<uint16_t>> vlanId(Socket& sock, int index) {
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
    if (const netlink::Attr* id = d.find(IFLA_VLAN_ID)) return id->u16();
  }
  return std::optional<uint16_t>();
}

// Go createVlan: the link in the pod namespace, named CNI_IFNAME; returns its MAC.
Expected<std::string> createVlan(const VlanConf& c, const skel::CmdArgs& args,
                                 const netns::NetNs& pod) {
  netlink::LinkAttrs a{.name = pluginkit::randomVethName(),
                       .mtu = static_cast<uint32_t>(c.mtu),
                       .netns_fd = pod.fd()};
  CNI_TRY(inMasterNs(c, args.netns, [&](Socket& s) -> Status {
    auto m = netlink::getLinkByName(s, c.master);
    if (!m) {
      return fail(
          plainError("failed to lookup master " + spec::goQuote(c.master) + ": " + m.error().msg));
    }
    a.parent = m->index;
    if (Status st = netlink::createVlan(s, a, static_cast<uint16_t>(c.vlan_id)); !st) {
      return fail(plainError(st.error(), "failed to create vlan"));
    }
    return {};
  }));
  return pod.run([&]() -> Expected<std::string> {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link tmp, netlink::getLinkByName(s, a.name));
    if (Status st = netlink::setLinkName(s, tmp.index, args.ifname); !st) {
      (void)netlink::deleteLink(s, tmp.index);
      return fail(plainError(st.error(), "failed to rename vlan to " + spec::goQuote(args.ifname)));
    }
    auto l = netlink::getLinkByName(s, args.ifname);
    if (!l)
      return fail(plainError(l.error(), "failed to refetch vlan " + spec::goQuote(args.ifname)));
    return l->macString();
  });
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, loadConf(args));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  }
  CNI_ASSIGN_OR_RETURN(std::string mac, createVlan(c, args, *ns));
  Rollback undo;
  undo.add([&] {
    (void)ns->run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
      CNI_TRY(netlink::deleteLinkByName(s, args.ifname));
      return {};
    });
  });
  auto ipam = pluginkit::ipamAdd(c.net.ipam_type, args);
  if (!ipam) return fail(plainError(ipam.error(), "failed to execute IPAM delegate"));
  undo.add([&] { (void)pluginkit::ipamDel(c.net.ipam_type, args); });
  spec::Result result = std::move(*ipam);
  if (result.ips.empty()) return fail(plainError("IPAM plugin returned missing IP config"));
  for (spec::IpConfig& ipc : result.ips) ipc.interface = 0;
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  CNI_TRY(ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    return pluginkit::configureIface(s, args.ifname, result);
  }));
  result.dns = c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
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
  CNI_ASSIGN_OR_RETURN(VlanConf c, decodeConf(args.stdin_data));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  }
  CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  if (!c.net.has_prev_result) return fail(plainError("vlan: Required prevResult missing"));
  CNI_ASSIGN_OR_RETURN(auto prev, spec::parsePrevResult(c.net.raw));
  CNI_ASSIGN_OR_RETURN(spec::Result result, spec::convertResult(*prev, spec::kCurrentVersion));
  spec::Interface cont;
  for (const spec::Interface& intf : result.interfaces) {
    if (intf.name == args.ifname && intf.sandbox == args.netns) cont = intf;
  }
  if (cont.sandbox != args.netns) {
    return fail(plainError("Sandbox in prevResult " + cont.sandbox +
                           " doesn't match configured netns: " + args.netns));
  }
  CNI_TRY(inMasterNs(c, args.netns, [&](Socket& s) -> Status {
    auto m = netlink::getLinkByName(s, c.master);
    if (!m) {
      return fail(
          plainError("failed to lookup master " + spec::goQuote(c.master) + ": " + m.error().msg));
    }
    return {};
  }));
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    auto l = netlink::getLinkByName(s, cont.name);
    if (!l) {
      return fail(
          plainError("vlan: Container Interface name in prevResult: " + cont.name + " not found"));
    }
    if (l->kind != "vlan") {
      return fail(plainError("Error: Container interface " + l->name + " not of type vlan"));
    }
    if (!cont.mac.empty() && cont.mac != l->macString()) {
      return fail(plainError("vlan: Interface " + cont.name + " Mac " + cont.mac +
                             " doesn't match container Mac: " + l->macString()));
    }
    CNI_ASSIGN_OR_RETURN(auto id, vlanId(s, l->index));
    if (id.value_or(0) != c.vlan_id) {
      // Go's text, copied from the tuning plugin, says "promisc" for the VLAN id.
      return fail(plainError("Error: Tuning link " + cont.name + " configured promisc is " +
                             std::to_string(c.vlan_id) + ", current value is " +
                             std::to_string(id.value_or(0))));
    }
    if (c.mtu != 0 && static_cast<uint32_t>(c.mtu) != l->mtu) {
      return fail(plainError("Error: Tuning configured MTU of " + cont.name + " is " +
                             std::to_string(c.mtu) + ", current value is " +
                             std::to_string(l->mtu)));
    }
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, result.ips));
    return pluginkit::validateRoutes(s, result.routes);
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
