// plugins/main/bridge_check.cc — the bridge plugin's CHECK (Go cmdCheck, same texts): the
// prevResult's bridge, pod veth and host veth must exist and be wired together (veth peers,
// bridge master, MACs, promisc mode), and the pod interface must still carry the result's
// addresses and routes.
#include <linux/if.h>

#include "plugins/main/bridge.h"
#include "src/netlink/link.h"
#include "src/netns/netns.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/spec/version.h"

namespace cni::plugins::bridge {
namespace {

using netlink::Link;
using netlink::Socket;

Error err(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }
std::string goBool(bool b) { return b ? "true" : "false"; }

// What was found of one interface (Go cniBridgeIf).
struct Found {
  bool found = false;
  int index = 0;
  int peer = 0;
  int master = 0;
};

// Go validateInterface: the name is set, the link exists here, and sandbox matches.
Expected<Link> lookup(Socket& sock, const spec::Interface& intf, bool in_sandbox) {
  if (intf.name.empty()) return fail(err("Interface name missing "));
  auto link = netlink::getLinkByName(sock, intf.name);
  if (!link) return fail(err("Interface name " + intf.name + " not found"));
  if (in_sandbox && intf.sandbox.empty()) {
    return fail(err("Interface " + intf.name + " is expected to be in a sandbox"));
  }
  if (!in_sandbox && !intf.sandbox.empty()) {
    return fail(err("Interface " + intf.name + " should not be in sandbox"));
  }
  return link;
}

Expected<Found> checkBridge(Socket& sock, const spec::Interface& intf, const BridgeConf& c) {
  CNI_ASSIGN_OR_RETURN(Link link, lookup(sock, intf, false));
  if (link.kind != "bridge") {
    return fail(err("Interface " + intf.name + " does not have link type of bridge"));
  }
  if (!intf.mac.empty() && intf.mac != link.macString()) {
    return fail(err("Bridge interface " + intf.name + " Mac doesn't match: " + intf.mac));
  }
  const bool promisc = (link.flags & IFF_PROMISC) != 0;
  if (promisc != c.promisc) {
    return fail(err("Bridge interface " + intf.name + " configured Promisc Mode " +
                    goBool(c.promisc) + " doesn't match current state: " + goBool(promisc) + " "));
  }
  return Found{.found = true, .index = link.index, .master = link.master};
}

Expected<Found> checkContainer(Socket& sock, const spec::Interface& intf) {
  CNI_ASSIGN_OR_RETURN(Link link, lookup(sock, intf, true));
  if (link.kind != "veth") {
    return fail(err("Error: Container interface " + link.name + " not of type veth"));
  }
  if (!intf.mac.empty() && intf.mac != link.macString()) {
    return fail(err("Interface " + intf.name + " Mac " + intf.mac +
                    " doesn't match container Mac: " + link.macString()));
  }
  return Found{.found = true, .index = link.index, .peer = link.parent};
}

// A host veth whose peer is the pod interface and whose master is the bridge; anything else in
// the result is skipped (not ours).
Expected<Found> checkHostVeth(Socket& sock, const spec::Interface& intf, const Found& br,
                              const Found& cont) {
  CNI_ASSIGN_OR_RETURN(Link link, lookup(sock, intf, false));
  Found f;
  if (link.kind != "veth") return f;
  f.index = link.index;
  f.peer = link.parent;
  f.master = link.master;
  if (f.index != cont.peer || cont.index != f.peer || f.master != br.index) return f;
  if (!intf.mac.empty() && intf.mac != link.macString()) {
    return fail(err("Interface " + intf.name + " Mac doesn't match: " + intf.mac + " not found"));
  }
  f.found = true;
  return f;
}

}  // namespace

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BridgeConf c, loadConf(args.stdin_data, args.args));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) {
    Error e = ns.error();
    e.code = ErrorCode::kInternal;
    return fail(std::move(e.withContext("failed to open netns \"" + args.netns + "\"")));
  }
  if (c.layer3()) CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  if (!c.net.has_prev_result) return fail(err("Required prevResult missing"));
  CNI_ASSIGN_OR_RETURN(auto prev, spec::parsePrevResult(c.net.raw));
  CNI_ASSIGN_OR_RETURN(spec::Result result, spec::convertResult(*prev, spec::kCurrentVersion));

  spec::Interface br_intf, cont_intf;
  for (const spec::Interface& intf : result.interfaces) {
    if (intf.name == c.br_name) {
      br_intf = intf;
    } else if (intf.name == args.ifname && intf.sandbox == args.netns) {
      cont_intf = intf;
    }
  }
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  CNI_ASSIGN_OR_RETURN(Found br, checkBridge(sock, br_intf, c));
  if (args.netns != cont_intf.sandbox) {
    return fail(err("Sandbox in prevResult " + cont_intf.sandbox +
                    " doesn't match configured netns: " + args.netns));
  }
  CNI_ASSIGN_OR_RETURN(Found cont, ns->run([&]() -> Expected<Found> {
    CNI_ASSIGN_OR_RETURN(Socket pod_sock, Socket::open());
    return checkContainer(pod_sock, cont_intf);
  }));
  Found veth;
  for (const spec::Interface& intf : result.interfaces) {
    if (intf.name == br_intf.name || intf.name == cont_intf.name) continue;
    CNI_ASSIGN_OR_RETURN(veth, checkHostVeth(sock, intf, br, cont));
    if (veth.found) break;
  }
  if (!br.found) {
    return fail(err("CNI created bridge " + c.br_name + " in host namespace was not found"));
  }
  if (!cont.found) {
    return fail(err("CNI created interface in container " + args.ifname + " not found"));
  }
  if (!veth.found) return fail(err("CNI veth created for bridge " + c.br_name + " was not found"));
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket pod_sock, Socket::open());
    CNI_TRY(pluginkit::validateInterfaceIps(pod_sock, args.ifname, result.ips));
    return pluginkit::validateRoutes(pod_sock, result.routes);
  });
}

}  // namespace cni::plugins::bridge
