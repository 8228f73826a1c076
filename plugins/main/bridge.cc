// plugins/main/bridge.cc — the bridge plugin (reference doc §6.1): a Linux bridge on the host,
// one veth pair per attachment with the pod end created directly in the pod namespace,
// addresses from the IPAM plugin, the gateway address on the bridge, masquerade in nftables.
//
//   ADD    every reference key (bridge.h). Order: config checks and the pod namespace first
//          (bad input changes nothing on the host), IPAM (except dhcp: a bad IPAM config must
//          not touch the bridge either), bridge, veth, port flags/VLANs, dhcp IPAM (after
//          the veth as in Go: dhcp runs its client on CNI_IFNAME), pod
//          side (sysctls, addresses, routes), spoof check, gateway address + forwarding,
//          masquerade. Each step registers its undo: a failure anywhere releases the IPAM
//          lease, deletes the veth and removes the nft rules made so far (the reference leaks
//          the veth when IPAM fails). The bridge itself stays, as in the reference.
//   DEL    nft rules first (masquerade by its comment, so it works without the link and its
//          addresses — the reference leaks them then), then IPAM (as Go, while the pod
//          interface still exists: dhcp releases on it), then the pod's link. The nft-before-veth
//          order lets the veth's RCU grace period cover nf_tables' deferred
//          destroy (docs kernel-floor). Empty or vanished CNI_NETNS: nft + IPAM only. Every
//          "already gone" is success.
//   CHECK  bridge_check.cc.
//   GC     (spec 1.1; the reference has none) IPAM GC, and masquerade rules of this network
//          whose attachment is not in cni.dev/valid-attachments are removed.
//   STATUS IPAM STATUS when there is an IPAM plugin.
#include "plugins/main/bridge.h"

#include <linux/if.h>
#include <linux/if_addr.h>

#include <chrono>
#include <thread>

#include "src/common/rollback.h"
#include "src/netlink/addr.h"
#include "src/netlink/bridge_port.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netns/netns.h"
#include "src/nft/nfsocket.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/pluginkit/masq.h"
#include "src/pluginkit/plain_error.h"
#include "src/pluginkit/spoofcheck.h"
#include "src/pluginkit/veth.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"
#include "src/sysctl/sysctl.h"

namespace cni::plugins::bridge {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

// Best effort, as the reference (`_, _ = sysctl.Sysctl(...)`).
void trySysctl(IpFamily family, std::string_view ifname, std::string_view leaf,
               std::string_view value) {
  (void)sysctl::set(sysctl::ifaceKey(family, ifname, leaf), value);
}

Expected<Link> bridgeByName(Socket& sock, std::string_view name) {
  auto link = netlink::getLinkByName(sock, name);
  if (!link) return fail(plainError(link.error(), "could not lookup " + spec::goQuote(name)));
  if (link->kind != "bridge") {
    return fail(ErrorCode::kInternal, spec::goQuote(name) + " already exists but is not a bridge");
  }
  return link;
}

// Go ensureBridge: create (an existing one is fine), promisc, accept_ra=0, up.
Expected<Link> ensureBridge(Socket& sock, const BridgeConf& c) {
  netlink::BridgeOptions o{.name = c.br_name,
                           .mtu = static_cast<uint32_t>(c.mtu),
                           .promisc = c.promisc,
                           .vlan_filtering = c.vlanFiltering() ? std::optional(true) : std::nullopt,
                           .up = true};
  // Look before creating: a create that collides (EEXIST) still makes the kernel build and
  // tear down a whole net_device first, which costs milliseconds on every pod but the first.
  // The common case (the bridge is there) costs one GETLINK.
  CNI_ASSIGN_OR_RETURN(auto existing, netlink::findLinkByName(sock, c.br_name));
  if (existing && existing->kind != "bridge") {
    return fail(ErrorCode::kInternal,
                spec::goQuote(c.br_name) + " already exists but is not a bridge");
  }
  if (!existing) {
    Status created = netlink::createBridge(sock, o);
    if (!created && !netlink::isKernelErrno(created.error(), EEXIST)) {  // EEXIST: lost a race
      return fail(plainError(created.error(), "could not add " + spec::goQuote(c.br_name)));
    }
    CNI_ASSIGN_OR_RETURN(existing, bridgeByName(sock, c.br_name));
  }
  Link br = std::move(*existing);
  if (c.promisc && !(br.flags & IFF_PROMISC)) {
    if (Status s = netlink::setLinkPromisc(sock, br.index, true); !s) {
      return fail(
          plainError(s.error(), "could not set promiscuous mode on " + spec::goQuote(c.br_name)));
    }
  }
  // We own the routes of this interface.
  trySysctl(IpFamily::kV6, c.br_name, "accept_ra", "0");
  if (!br.isUp()) CNI_TRY(netlink::setLinkUp(sock, br.index));
  return br;
}

// Per family: the gateways to put on the bridge (gateway IP + the pod address's prefix length).
struct Gateways {
  std::vector<IpPrefix> v4, v6;
};

// Go calcGateways: every address belongs to the pod interface (index 2); isGateway fills in a
// missing gateway (first address of the subnet); isDefaultGateway adds a default route through
// it unless the IPAM routes already have a default route with a gateway.
Expected<Gateways> calcGateways(spec::Result& r, const BridgeConf& c) {
  Gateways gws;
  bool default_found[2] = {false, false};
  for (spec::IpConfig& ipc : r.ips) {
    CNI_ASSIGN_OR_RETURN(IpPrefix addr, IpPrefix::parse(ipc.address));
    const bool v4 = addr.isV4();
    ipc.interface = 2;
    if (ipc.gateway.empty() && c.is_gw) {
      if (auto gw = addr.network().address().next()) ipc.gateway = gw->str();
    }
    const std::string default_dst = v4 ? "0.0.0.0/0" : "::/0";
    if (c.is_default_gw && !default_found[v4]) {
      for (const spec::Route& rt : r.routes) {
        auto dst = IpPrefix::parse(rt.dst);
        if (!rt.gw.empty() && dst && dst->str() == default_dst) default_found[v4] = true;
      }
      if (!default_found[v4]) {
        r.routes.push_back(spec::Route{.dst = default_dst, .gw = ipc.gateway});
        default_found[v4] = true;
      }
    }
    if (c.is_gw && !ipc.gateway.empty()) {
      CNI_ASSIGN_OR_RETURN(IpAddress gw, IpAddress::parse(ipc.gateway));
      CNI_ASSIGN_OR_RETURN(IpPrefix gwn, IpPrefix::make(gw, addr.length()));
      (v4 ? gws.v4 : gws.v6).push_back(gwn);
    }
  }
  return gws;
}

// Go ensureAddr: put `gw` on `link`; another IPv4 address (or an overlapping IPv6 one) is an
// error unless forceAddress, which replaces it.
Status ensureAddr(Socket& sock, const Link& link, const IpPrefix& gw, bool force) {
  CNI_ASSIGN_OR_RETURN(auto addrs, netlink::listAddresses(sock, link.index, gw.family()));
  const std::string want = gw.str();
  for (const netlink::Address& a : addrs) {
    if (a.prefix.str() == want) return {};
    if (gw.isV4() || a.prefix.contains(gw.address()) || gw.contains(a.ip())) {
      if (!force) {
        return fail(ErrorCode::kInternal,
                    spec::goQuote(link.name) + " already has an IP address different from " + want);
      }
      if (Status s = netlink::delAddress(sock, link.index, a.prefix); !s) {
        return fail(
            plainError(s.error(), "could not remove IP address from " + spec::goQuote(link.name)));
      }
    }
  }
  // No DAD for the gateway (the reference runs it): the bridge is ours, and a tentative
  // gateway would leave the first IPv6 pod without a router for a second or more.
  netlink::AddressOptions opts;
  if (gw.isV6()) opts.flags = IFA_F_NODAD;
  // Go's netlink fills in the IPv4 broadcast address; so do we, for identical kernel state.
  if (gw.isV4() && gw.length() < 31) opts.broadcast = gw.lastAddress();
  if (Status s = netlink::addAddress(sock, link.index, gw, opts);
      !s && !netlink::isKernelErrno(s.error(), EEXIST)) {
    return fail(plainError(s.error(), "could not add IP address to " + spec::goQuote(link.name)));
  }
  // Pin the bridge's MAC: otherwise it follows the lowest port MAC and changes as pods churn.
  if (Status s = netlink::setLinkMac(sock, link.index, link.mac); !s) {
    return fail(plainError(s.error(), "could not set bridge's mac"));
  }
  return {};
}

// The port's VLAN setup (Go setupVeth's tail). Needs bridge VLAN filtering in the kernel.
Status setupPortVlans(Socket& sock, const Link& port, const BridgeConf& c) {
  if ((c.vlan != 0 || !c.trunk.empty()) && !c.preserve_default_vlan) {
    auto vlans = netlink::listBridgeVlans(sock, port.index);
    Status s = vlans ? Status{} : Status(std::unexpected(vlans.error()));
    for (size_t i = 0; s && vlans && i < vlans->size(); ++i) {
      s = netlink::delBridgeVlan(sock, port.index, (*vlans)[i].vid);
    }
    if (!s) {
      return fail(plainError(
          s.error(), "failed to remove default vlan on interface " + spec::goQuote(port.name)));
    }
  }
  if (c.vlan != 0) {
    if (Status s = netlink::addBridgeVlan(sock, port.index, static_cast<uint16_t>(c.vlan),
                                          /*pvid=*/true, /*untagged=*/true);
        !s) {
      return fail(plainError(s.error(),
                             "failed to setup vlan tag on interface " + spec::goQuote(port.name)));
    }
  }
  for (int v : c.trunk) {
    if (Status s = netlink::addBridgeVlan(sock, port.index, static_cast<uint16_t>(v), false, false);
        !s) {
      return fail(plainError(s.error(),
                             "failed to setup vlan tag on interface " + spec::goQuote(port.name)));
    }
  }
  return {};
}

// Go ensureVlanInterface: with `vlan` and isGateway the gateway address lives on "<br>.<vlan>",
// one end of a host-side veth pair whose other end is an access port of that VLAN.
Expected<Link> ensureVlanInterface(Socket& sock, const Link& br, const BridgeConf& c) {
  const std::string name = c.br_name + "." + std::to_string(c.vlan);
  CNI_ASSIGN_OR_RETURN(auto existing, netlink::findLinkByName(sock, name));
  if (existing) return *existing;
  pluginkit::VethSpec spec{.container_ifname = name, .mtu = br.mtu, .host_master = br.index};
  auto port = pluginkit::setupVeth(sock, spec);
  if (!port)
    return fail(plainError(port.error(), "faild to create vlan gateway " + spec::goQuote(name)));
  CNI_TRY(setupPortVlans(sock, *port, c));
  CNI_ASSIGN_OR_RETURN(Link gw, netlink::getLinkByName(sock, name));
  if (Status s = netlink::setLinkUp(sock, gw.index); !s) {
    return fail(plainError(s.error(), "failed to up " + spec::goQuote(name)));
  }
  return netlink::getLinkByName(sock, name);
}

// Pod side: sysctls, addresses, routes, link up. Returns the pod link (for its MAC).
Expected<Link> configurePod(const netns::NetNs& ns, const skel::CmdArgs& args, const BridgeConf& c,
                            const spec::Result& result) {
  return ns.run([&]() -> Expected<Link> {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    if (c.layer3()) {
      if (c.enable_dad) {
        trySysctl(IpFamily::kV6, args.ifname, "enhanced_dad", "1");
        trySysctl(IpFamily::kV6, args.ifname, "accept_dad", "1");
      } else {
        trySysctl(IpFamily::kV6, args.ifname, "accept_dad", "0");
      }
      trySysctl(IpFamily::kV4, args.ifname, "arp_notify", "1");
      CNI_TRY(pluginkit::configureIface(sock, args.ifname, result, {.dad = c.enable_dad}));
      // Looked up after the link is up on purpose: RTM_GETLINK settles the link's pending
      // carrier change right here (linkwatch_sync_dev: operstate, IPv6 link-local address and
      // route), so ADD returns with the pod side settled for chained plugins. Looked up
      // earlier it is ~0.2 ms cheaper, and that work lands on a kworker after we return.
      return netlink::getLinkByName(sock, args.ifname);
    }
    auto link = netlink::getLinkByName(sock, args.ifname);
    if (!link) return fail(plainError(link.error(), "failed to retrieve link"));
    if (!c.disable_container_interface) {
      if (Status s = netlink::setLinkUp(sock, link->index); !s) {
        return fail(plainError(s.error(), "failed to set " + spec::goQuote(args.ifname) + " up"));
      }
    }
    return link;
  });
}

// Go's wait for the host end to be operationally up (0, 50, 500, 1000, 1000 ms), normally
// satisfied by the first look.
Expected<Link> waitPortUp(Socket& sock, int index) {
  static constexpr int kSleepsMs[] = {0, 50, 500, 1000, 1000};
  Link port;
  for (int ms : kSleepsMs) {
    if (ms) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    CNI_ASSIGN_OR_RETURN(port, netlink::getLinkByIndex(sock, index));
    if (port.oper_state == IF_OPER_UP) return port;
  }
  static constexpr const char* kStates[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                            "testing", "dormant",    "up"};
  return fail(ErrorCode::kInternal,
              std::string("bridge port in error state: ") +
                  (port.oper_state < 7 ? kStates[port.oper_state] : "unknown"));
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BridgeConf c, loadConf(args.stdin_data, args.args));
  auto ns = netns::NetNs::open(args.netns);
  if (!ns) return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(args.netns)));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());

  spec::Result result;
  result.cni_version = std::string(spec::kCurrentVersion);
  Rollback undo;
  auto runIpam = [&]() -> Status {
    CNI_ASSIGN_OR_RETURN(spec::Result ipam, pluginkit::ipamAdd(c.net.ipam_type, args));
    undo.add([&] { (void)pluginkit::ipamDel(c.net.ipam_type, args); });
    if (ipam.ips.empty())
      return fail(ErrorCode::kInternal, "IPAM plugin returned missing IP config");
    result.ips = std::move(ipam.ips);
    result.routes = std::move(ipam.routes);
    result.dns = std::move(ipam.dns);
    return {};
  };
  // A bad IPAM config (ranges, CIDRs, dataDir) must change nothing on the host: every IPAM
  // plugin but dhcp (which runs its client on CNI_IFNAME, so it must come after the veth, as in
  // Go) runs before the bridge is touched. Otherwise the existing bridge would get accept_ra=0
  // and, when it had no port, lose its MAC to the veth added and removed again (issue #7).
  const bool ipam_first = c.layer3() && c.net.ipam_type != "dhcp";
  if (ipam_first) CNI_TRY(runIpam());

  auto br = ensureBridge(sock, c);
  if (!br)
    return fail(plainError(br.error(), "failed to create bridge " + spec::goQuote(c.br_name)));

  auto host = pluginkit::setupVeth(sock, {.container_ifname = args.ifname,
                                          .container_netns_fd = ns->fd(),
                                          .mtu = static_cast<uint32_t>(c.mtu),
                                          .container_mac = c.mac,
                                          .host_master = br->index});
  if (!host) return fail(std::move(host.error()));
  const int host_index = host->index;
  undo.add([&sock, host_index] { (void)netlink::deleteLink(sock, host_index); });
  if (c.hairpin) {
    if (Status s = netlink::setBridgePortHairpin(sock, host_index, true); !s) {
      return fail(plainError(s.error(), "failed to setup hairpin mode for " + host->name));
    }
  }
  if (c.port_isolation) {
    if (Status s = netlink::setBridgePortIsolated(sock, host_index, true); !s) {
      return fail(plainError(s.error(), "failed to set isolation on " + host->name));
    }
  }
  CNI_TRY(setupPortVlans(sock, *host, c));

  // dhcp after the veth, as Go's bridge: the dhcp IPAM plugin runs its client on CNI_IFNAME.
  if (c.layer3() && !ipam_first) CNI_TRY(runIpam());

  // configureIface checks that ips[].interface (2) names the pod interface; MACs come later.
  result.interfaces = {spec::Interface{.name = br->name}, spec::Interface{.name = host->name},
                       spec::Interface{.name = args.ifname, .sandbox = args.netns}};
  Gateways gws;
  if (c.layer3()) {
    CNI_ASSIGN_OR_RETURN(gws, calcGateways(result, c));
  }
  CNI_ASSIGN_OR_RETURN(Link pod, configurePod(*ns, args, c, result));

  if (c.macspoofchk) {
    const std::string id = pluginkit::spoofCheckId(args.container_id, args.ifname);
    CNI_TRY(pluginkit::setupSpoofCheck(host->name, pod.macString(), id));
    undo.add([id] { (void)pluginkit::teardownSpoofCheck(id); });
  }

  std::optional<Link> vlan_iface;
  if (c.layer3() && c.is_gw) {
    for (const auto* family_gws : {&gws.v4, &gws.v6}) {
      for (const IpPrefix& gw : *family_gws) {
        if (c.vlan != 0) {
          if (!vlan_iface) {
            auto v = ensureVlanInterface(sock, *br, c);
            if (!v) return fail(plainError(v.error(), "failed to create vlan interface"));
            vlan_iface = *v;
          }
          if (Status s = ensureAddr(sock, *vlan_iface, gw, c.force_address); !s) {
            return fail(plainError(s.error(), "failed to set vlan interface for bridge with addr"));
          }
        } else if (Status s = ensureAddr(sock, *br, gw, c.force_address); !s) {
          return fail(plainError(s.error(), "failed to set bridge addr"));
        }
      }
      if (!family_gws->empty()) {
        const IpFamily f = family_gws == &gws.v4 ? IpFamily::kV4 : IpFamily::kV6;
        if (Status s = sysctl::enableIpForward(f); !s) {
          return fail(plainError(s.error(), "failed to enable forwarding"));
        }
      }
    }
  }

  if (c.layer3() && c.ip_masq) {
    std::vector<IpPrefix> addrs;
    for (const spec::IpConfig& ipc : result.ips) {
      CNI_ASSIGN_OR_RETURN(IpPrefix p, IpPrefix::parse(ipc.address));
      addrs.push_back(p);
    }
    CNI_TRY(pluginkit::setupIpMasq(c.net.name, args.ifname, args.container_id, addrs));
    undo.add([&] { (void)pluginkit::teardownIpMasq(c.net.name, args.ifname, args.container_id); });
  }

  Link host_now = *host;
  if (!c.disable_container_interface) {
    CNI_ASSIGN_OR_RETURN(host_now, waitPortUp(sock, host_index));
  }
  // The bridge's MAC may have changed when its first port was added or its address set.
  CNI_ASSIGN_OR_RETURN(Link br_now, bridgeByName(sock, c.br_name));

  result.interfaces[0].mac = br_now.macString();
  result.interfaces[1].mac = host_now.macString();
  result.interfaces[2].mac = pod.macString();
  if (vlan_iface) {
    result.interfaces.push_back(
        spec::Interface{.name = vlan_iface->name, .mac = vlan_iface->macString()});
  }
  if (c.dns) result.dns = *c.dns;

  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

// nft state of one attachment; absent = success. Runs on the caller's socket, which it keeps
// open until after the veth is gone (see pluginkit::teardownIpMasq).
Status teardownNft(nft::NfSocket& sock, const skel::CmdArgs& args, const BridgeConf& c) {
  if (c.macspoofchk) {
    // The reference only logs a failed spoof-check teardown; DEL must not fail on it either.
    (void)pluginkit::teardownSpoofCheck(sock,
                                        pluginkit::spoofCheckId(args.container_id, args.ifname));
  }
  if (c.layer3() && c.ip_masq) {
    CNI_TRY(pluginkit::teardownIpMasq(sock, c.net.name, args.ifname, args.container_id));
  }
  return {};
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BridgeConf c, loadConf(args.stdin_data, args.args));
  std::optional<netns::NetNs> ns;
  if (!args.netns.empty()) {
    // A namespace already removed by the runtime is not an error (kubernetes#43014).
    CNI_ASSIGN_OR_RETURN(ns, netns::NetNs::openIfExists(args.netns));
  }
  // Declared first, closed last: after the veth deletion below.
  std::optional<nft::NfSocket> nfs;
  if (c.macspoofchk || (c.layer3() && c.ip_masq)) {
    CNI_ASSIGN_OR_RETURN(nfs, nft::NfSocket::open());
    CNI_TRY(teardownNft(*nfs, args, c));
  }
  // IPAM before the link, as Go's bridge: the dhcp plugin sends its RELEASE on CNI_IFNAME.
  if (c.layer3()) CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  if (ns) {
    CNI_TRY(ns->run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
      CNI_ASSIGN_OR_RETURN(auto gone, netlink::deleteLinkByName(sock, args.ifname));
      (void)gone;  // kNotFound: a repeated DEL
      return {};
    }));
  }
  return {};
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BridgeConf c, loadConf(args.stdin_data, args.args));
  if (c.layer3()) CNI_TRY(pluginkit::ipamGc(c.net.ipam_type, args));
  CNI_ASSIGN_OR_RETURN(size_t removed, pluginkit::gcIpMasq(c.net.name, c.valid_attachments));
  (void)removed;
  return {};
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BridgeConf c, loadConf(args.stdin_data, args.args));
  if (c.layer3()) return pluginkit::ipamStatus(c.net.ipam_type, args);
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "bridge",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::bridge
