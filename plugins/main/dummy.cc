// plugins/main/dummy.cc — the dummy plugin (reference doc §6.8): a dummy link named CNI_IFNAME
// in the pod namespace carrying IPAM addresses (an address holder that sends nothing).
//
//   ADD    `ipam` is required ("dummy interface requires an IPAM configuration"); the link is
//          created directly in the pod namespace under its final name (a dummy has no lower
//          device, so the name is only ever checked there), then IPAM and the addresses/routes.
//          Any failure deletes the link and releases the lease (rollback).
//   DEL    IPAM release, then the pod link; empty/vanished CNI_NETNS or a missing link is
//          success.
//   CHECK  IPAM CHECK, the pod link is a dummy, up, with the prevResult's MAC and addresses
//          (the reference does not check routes here).
//   GC / STATUS: the IPAM plugin's.
// No plugin-specific keys; the IPAM plugin's DNS is passed through unchanged (as in Go).
#include "src/common/rollback.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netns/netns.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

namespace cni::plugins::dummy {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

Expected<skel::NetConf> parseConf(std::string_view stdin_data, std::string_view prefix) {
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError(std::string(prefix) + net.error().msg));
  return std::move(*net);
}

constexpr std::string_view kNeedsIpam = "dummy interface requires an IPAM configuration";

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net,
                       parseConf(args.stdin_data, "failed to parse network config: "));
  if (net.ipam_type.empty()) return fail(plainError(std::string(kNeedsIpam)));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  }
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  if (Status s = netlink::createDummy(sock, {.name = args.ifname, .netns_fd = ns->fd()}); !s) {
    return fail(plainError(s.error(), "failed to create dummy"));
  }
  Rollback undo;
  undo.add([&] {
    (void)ns->run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
      CNI_TRY(netlink::deleteLinkByName(s, args.ifname));
      return {};
    });
  });
  CNI_ASSIGN_OR_RETURN(std::string mac, ns->run([&]() -> Expected<std::string> {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    auto l = netlink::getLinkByName(s, args.ifname);
    if (!l)
      return fail(plainError(l.error(), "failed to fetch dummy" + spec::goQuote(args.ifname)));
    return l->macString();
  }));
  CNI_ASSIGN_OR_RETURN(spec::Result result, pluginkit::ipamAdd(net.ipam_type, args));
  undo.add([&] { (void)pluginkit::ipamDel(net.ipam_type, args); });
  if (result.ips.empty()) return fail(plainError("IPAM plugin returned missing IP config"));
  for (spec::IpConfig& ipc : result.ips) ipc.interface = 0;
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  CNI_TRY(ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    return pluginkit::configureIface(s, args.ifname, result);
  }));
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net,
                       parseConf(args.stdin_data, "failed to parse network config: "));
  CNI_TRY(pluginkit::ipamDel(net.ipam_type, args));
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
  CNI_ASSIGN_OR_RETURN(skel::NetConf net,
                       parseConf(args.stdin_data, "failed to parse network config: "));
  if (net.ipam_type.empty()) return fail(plainError(std::string(kNeedsIpam)));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  }
  CNI_TRY(pluginkit::ipamCheck(net.ipam_type, args));
  if (!net.has_prev_result) return fail(plainError("dummy: Required prevResult missing"));
  CNI_ASSIGN_OR_RETURN(auto prev, spec::parsePrevResult(net.raw));
  CNI_ASSIGN_OR_RETURN(spec::Result result, spec::convertResult(*prev, spec::kCurrentVersion));
  spec::Interface cont;
  for (const spec::Interface& intf : result.interfaces) {
    if (intf.name == args.ifname && intf.sandbox == args.netns) cont = intf;
  }
  if (cont.sandbox != args.netns) {
    return fail(plainError("Sandbox in prevResult " + cont.sandbox +
                           " doesn't match configured netns: " + args.netns));
  }
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    auto l = netlink::getLinkByName(s, cont.name);
    if (!l) {
      return fail(
          plainError("Container Interface name in prevResult: " + cont.name + " not found"));
    }
    if (l->kind != "dummy") {
      return fail(plainError("Error: Container interface " + l->name + " not of type dummy"));
    }
    if (!cont.mac.empty() && cont.mac != l->macString()) {
      return fail(plainError("Interface " + cont.name + " Mac " + cont.mac +
                             " doesn't match container Mac: " + l->macString()));
    }
    if (!l->isUp()) return fail(plainError("Interface " + cont.name + " is down"));
    return pluginkit::validateInterfaceIps(s, args.ifname, result.ips);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net, parseConf(args.stdin_data, "failed to load netconf: "));
  return pluginkit::ipamGc(net.ipam_type, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net, parseConf(args.stdin_data, "failed to load netconf: "));
  return pluginkit::ipamStatus(net.ipam_type, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "dummy",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::dummy
