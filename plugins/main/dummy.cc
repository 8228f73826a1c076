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
#include "src/pluginkit/pod_link.h"
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
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  if (Status s = netlink::createDummy(sock, {.name = args.ifname, .netns_fd = ns.fd()}); !s) {
    return fail(plainError(s.error(), "failed to create dummy"));
  }
  Rollback undo;
  pluginkit::undoPodLink(undo, ns, args.ifname);
  CNI_ASSIGN_OR_RETURN(std::string mac, ns.run([&]() -> Expected<std::string> {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    auto l = netlink::getLinkByName(s, args.ifname);
    if (!l)
      return fail(plainError(l.error(), "failed to fetch dummy" + spec::goQuote(args.ifname)));
    return l->macString();
  }));
  CNI_ASSIGN_OR_RETURN(spec::Result result, pluginkit::ipamAddWithUndo(net.ipam_type, args, undo));
  result.interfaces = {spec::Interface{.name = args.ifname, .mac = mac, .sandbox = args.netns}};
  CNI_TRY(pluginkit::configurePodIface(ns, args.ifname, result));
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net,
                       parseConf(args.stdin_data, "failed to parse network config: "));
  CNI_TRY(pluginkit::ipamDel(net.ipam_type, args));
  return pluginkit::deletePodLink(args);
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net,
                       parseConf(args.stdin_data, "failed to parse network config: "));
  if (net.ipam_type.empty()) return fail(plainError(std::string(kNeedsIpam)));
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, pluginkit::openPodNetns(args.netns));
  CNI_TRY(pluginkit::ipamCheck(net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(auto prev, pluginkit::prevPodIface(net, args, {.prefix = "dummy: "}));
  return ns.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link l, pluginkit::checkPodLink(s, prev.iface, "dummy"));
    if (!l.isUp()) return fail(plainError("Interface " + l.name + " is down"));
    return pluginkit::validateInterfaceIps(s, args.ifname, prev.result.ips);
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
