// plugins/main/ptp.cc — the ptp plugin (reference doc §6.2): a veth pair per attachment and
// point-to-point routing, no bridge.
//
//   ADD    IPAM first; forwarding on for the families in use; the veth pair with the pod end
//          created in the pod namespace; in the pod: the addresses, the result's routes, then
//          the kernel's subnet route is replaced by "<gw>/32 scope link" + "<subnet> via <gw>";
//          on the host end: the gateway as a /32 (/128) address and "<pod ip>/32 dev <veth>
//          scope host";
//          masquerade (nftables, as the bridge). Any failure undoes everything (rollback).
//   DEL    masquerade rules (by comment, no addresses needed), the pod link, then IPAM; a
//          missing or empty CNI_NETNS is success after IPAM is released.
//   CHECK  IPAM CHECK, then the pod interface still carries the result's addresses and routes.
//   GC     IPAM GC + masquerade rules of attachments no longer valid.  STATUS: IPAM STATUS.
#include <linux/rtnetlink.h>

#include "src/common/rollback.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_set.h"
#include "src/netlink/route.h"
#include "src/netns/netns.h"
#include "src/nft/nfsocket.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/pluginkit/masq.h"
#include "src/pluginkit/plain_error.h"
#include "src/pluginkit/veth.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/version.h"
#include "src/sysctl/sysctl.h"

namespace cni::plugins::ptp {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

struct PtpConf {
  skel::NetConf net;
  bool ip_masq = false;
  std::string ip_masq_backend;
  int mtu = 0;
  std::optional<spec::Dns> dns;
  std::vector<pluginkit::Attachment> valid_attachments;
};

Expected<PtpConf> loadConf(std::string_view stdin_data) {
  PtpConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError(net.error(), "failed to load netconf"));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "NetConf");
  Status s = f.boolean("ipMasq", &c.ip_masq);
  if (s) s = f.string("ipMasqBackend", &c.ip_masq_backend);
  if (s) s = f.integer("mtu", &c.mtu);
  if (!s) return fail(plainError(s.error(), "failed to load netconf"));
  if (!c.ip_masq_backend.empty() && c.ip_masq_backend != "iptables" &&
      c.ip_masq_backend != "nftables") {
    return fail(ErrorCode::kInternal, "unknown ipmasq backend \"" + c.ip_masq_backend + "\"");
  }
  c.dns = pluginkit::configDns(c.net.raw);
  c.valid_attachments = pluginkit::validAttachments(c.net.raw);
  return c;
}

struct PodAddr {
  IpPrefix address;  // pod address with its prefix length
  IpAddress gateway;
};

Expected<std::vector<PodAddr>> podAddrs(const spec::Result& r) {
  std::vector<PodAddr> out;
  for (const spec::IpConfig& ipc : r.ips) {
    CNI_ASSIGN_OR_RETURN(IpPrefix addr, IpPrefix::parse(ipc.address));
    PodAddr p{.address = addr};
    // Point-to-point routing goes through the gateway: without one there is nothing to route to.
    if (ipc.gateway.empty()) {
      return fail(ErrorCode::kInternal, "IPAM result has no gateway for " + ipc.address +
                                            " (ptp routes the pod's traffic through it)");
    }
    CNI_ASSIGN_OR_RETURN(p.gateway, IpAddress::parse(ipc.gateway));
    out.push_back(p);
  }
  return out;
}

IpPrefix hostPrefix(const IpAddress& ip) { return *IpPrefix::make(ip, ip.bitLength()); }

// Pod side, inside the pod namespace: Go setupContainerVeth after the pair exists.
Expected<Link> configurePod(Socket& sock, std::string_view ifname, const spec::Result& result,
                            const std::vector<PodAddr>& addrs) {
  CNI_TRY(pluginkit::configureIface(sock, ifname, result));
  // After the link is up on purpose (see bridge configurePod): the lookup settles its carrier
  // change (operstate, IPv6 link-local route) before ADD returns.
  CNI_ASSIGN_OR_RETURN(Link link, netlink::getLinkByName(sock, ifname));
  for (const PodAddr& a : addrs) {
    // The kernel's connected route would send the subnet out directly; ptp routes it via gw.
    netlink::Route subnet{.dst = a.address.network(), .dev = link.index, .scope = RT_SCOPE_NOWHERE};
    subnet.protocol = 0;
    subnet.table = RT_TABLE_MAIN;
    if (auto r = netlink::delRoute(sock, subnet); !r) {
      return fail(plainError(r.error(), "failed to delete route " + a.address.network().str()));
    }
    const netlink::Route routes[] = {
        {.dst = hostPrefix(a.gateway),
         .dev = link.index,
         .src = a.address.address(),
         .scope = RT_SCOPE_LINK},
        {.dst = a.address.network(),
         .gateway = a.gateway,
         .dev = link.index,
         .src = a.address.address()},
    };
    for (const netlink::Route& rt : routes) {
      if (Status s = netlink::addRoute(sock, rt); !s) {
        return fail(plainError(s.error(), "failed to add route " + rt.dst.str()));
      }
    }
  }
  return link;
}

// Host side: Go setupHostVeth.
Status configureHost(Socket& sock, const Link& veth, const std::vector<PodAddr>& addrs) {
  for (const PodAddr& a : addrs) {
    netlink::AddressOptions o;
    if (a.address.isV6()) o.flags = IFA_F_NODAD;
    if (Status s = netlink::addAddress(sock, veth.index, hostPrefix(a.gateway), o); !s) {
      return fail(plainError(s.error(),
                             "failed to add IP addr " + hostPrefix(a.gateway).str() + " to veth"));
    }
    Status s = netlink::addRoute(
        sock, {.dst = hostPrefix(a.address.address()), .dev = veth.index, .scope = RT_SCOPE_HOST});
    if (!s && !netlink::isKernelErrno(s.error(), EEXIST)) {
      return fail(plainError(s.error(), "failed to add route on host"));
    }
  }
  return {};
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PtpConf c, loadConf(args.stdin_data));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainError(ns.error(), "failed to open netns \"" + args.netns + "\""));
  Rollback undo;
  CNI_ASSIGN_OR_RETURN(spec::Result result, pluginkit::ipamAdd(c.net.ipam_type, args));
  undo.add([&] { (void)pluginkit::ipamDel(c.net.ipam_type, args); });
  if (result.ips.empty())
    return fail(ErrorCode::kInternal, "IPAM plugin returned missing IP config");
  CNI_ASSIGN_OR_RETURN(std::vector<PodAddr> addrs, podAddrs(result));
  for (const PodAddr& a : addrs) {
    if (Status s = sysctl::enableIpForward(a.address.family()); !s) {
      return fail(plainError(s.error(), "Could not enable IP forwarding"));
    }
  }
  bool v6 = false;
  for (const PodAddr& a : addrs) v6 = v6 || a.address.isV6();
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  // With IPv6 the host end routes for the pod, and the kernel solicits neighbours from its
  // link-local address, unusable while DAD runs (~1-2 s). So it comes up with DAD off.
  auto host = pluginkit::setupVeth(sock, {.container_ifname = args.ifname,
                                          .container_netns_fd = ns->fd(),
                                          .mtu = static_cast<uint32_t>(c.mtu),
                                          .host_up = !v6});
  if (!host) return fail(std::move(host.error()));
  const int host_index = host->index;
  undo.add([&sock, host_index] { (void)netlink::deleteLink(sock, host_index); });
  if (v6) {
    (void)sysctl::set(sysctl::ifaceKey(IpFamily::kV6, host->name, "accept_dad"), "0");
    CNI_TRY(netlink::setLinkUp(sock, host_index));
  }

  for (spec::IpConfig& ipc : result.ips) ipc.interface = 1;
  result.interfaces = {spec::Interface{.name = host->name, .mac = host->macString()},
                       spec::Interface{.name = args.ifname, .sandbox = args.netns}};
  CNI_ASSIGN_OR_RETURN(Link pod, ns->run([&]() -> Expected<Link> {
    CNI_ASSIGN_OR_RETURN(Socket pod_sock, Socket::open());
    return configurePod(pod_sock, args.ifname, result, addrs);
  }));
  result.interfaces[1].mac = pod.macString();
  CNI_TRY(configureHost(sock, *host, addrs));

  if (c.ip_masq) {
    std::vector<IpPrefix> prefixes;
    for (const PodAddr& a : addrs) prefixes.push_back(a.address);
    CNI_TRY(pluginkit::setupIpMasq(c.net.name, args.ifname, args.container_id, prefixes));
    undo.add([&] { (void)pluginkit::teardownIpMasq(c.net.name, args.ifname, args.container_id); });
  }
  if (c.dns) result.dns = *c.dns;
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PtpConf c, loadConf(args.stdin_data));
  std::optional<netns::NetNs> ns;
  if (!args.netns.empty()) {
    CNI_ASSIGN_OR_RETURN(ns, netns::NetNs::openIfExists(args.netns));
  }
  // Kept open until after the veth deletion (see pluginkit::teardownIpMasq).
  std::optional<nft::NfSocket> nfs;
  if (c.ip_masq) {
    CNI_ASSIGN_OR_RETURN(nfs, nft::NfSocket::open());
    CNI_TRY(pluginkit::teardownIpMasq(*nfs, c.net.name, args.ifname, args.container_id));
  }
  if (ns) {
    CNI_TRY(ns->run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
      CNI_ASSIGN_OR_RETURN(auto gone, netlink::deleteLinkByName(sock, args.ifname));
      (void)gone;  // kNotFound: a repeated DEL
      return {};
    }));
  }
  return pluginkit::ipamDel(c.net.ipam_type, args);
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PtpConf c, loadConf(args.stdin_data));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainError(ns.error(), "failed to open netns \"" + args.netns + "\""));
  CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  if (!c.net.has_prev_result) return fail(ErrorCode::kInternal, "Required prevResult missing");
  CNI_ASSIGN_OR_RETURN(auto prev, spec::parsePrevResult(c.net.raw));
  CNI_ASSIGN_OR_RETURN(spec::Result result, spec::convertResult(*prev, spec::kCurrentVersion));
  std::string sandbox;
  for (const spec::Interface& intf : result.interfaces) {
    if (intf.name == args.ifname && intf.sandbox == args.netns) sandbox = intf.sandbox;
  }
  if (sandbox != args.netns) {
    return fail(ErrorCode::kInternal, "Sandbox in prevResult " + sandbox +
                                          " doesn't match configured netns: " + args.netns);
  }
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_TRY(pluginkit::validateInterfaceIps(sock, args.ifname, result.ips));
    return pluginkit::validateRoutes(sock, result.routes);
  });
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PtpConf c, loadConf(args.stdin_data));
  CNI_TRY(pluginkit::ipamGc(c.net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(size_t removed, pluginkit::gcIpMasq(c.net.name, c.valid_attachments));
  (void)removed;
  return {};
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PtpConf c, loadConf(args.stdin_data));
  return pluginkit::ipamStatus(c.net.ipam_type, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "ptp",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::ptp
