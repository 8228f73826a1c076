// src/doctor/check_kernel.cc — the node's kernel state against the networks and
// attachments the files describe (see doctor.h): bridges (missing under live
// pods, not a bridge, stale gateway address, down) and IP forwarding.
// Masquerade and portmap rules are in check_kernel_rules.cc.
//
// Severities say what it costs: an error when pods on the node have no working
// network now or the next ADD fails; a warning when pods work but something is
// off; nothing at all when the plugin fixes it by itself on the next ADD (a
// bridge not created yet, forwarding off on a node with no pod: the plugin
// turns it on).
#include "src/doctor/check_kernel.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "src/common/sha512.h"
#include "src/conf/load.h"
#include "src/ipam/config.h"
#include "src/netlink/socket.h"
#include "src/nft/nfsocket.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/hostport_comment.h"
#include "src/pluginkit/masq.h"
#include "src/sysctl/sysctl.h"

namespace cni::doctor {
namespace kernel {
namespace {

// Decodes the first plugin's keys the checks need. A key of the wrong type
// leaves the default: the config check reports the file, and the plugin would
// refuse it anyway.
NetInfo decodeNetwork(const Context& c, const Network& n) {
  NetInfo ni;
  ni.net = &n;
  for (const conf::PluginConf& p : n.list.plugins) ni.has_portmap |= p.type == "portmap";
  if (n.list.plugins.empty()) return ni;
  const conf::PluginConf& first = n.list.plugins.front();
  ni.type = first.type;
  pluginkit::FieldReader f(first.raw, "NetConf");
  (void)f.boolean("ipMasq", &ni.ip_masq);
  if (ni.type == "bridge") {
    ni.bridge = "cni0";
    (void)f.string("bridge", &ni.bridge);
    if (ni.bridge.empty()) ni.bridge = "cni0";
    bool is_default_gw = false;
    (void)f.boolean("isGateway", &ni.is_gw);
    (void)f.boolean("isDefaultGateway", &is_default_gw);
    ni.is_gw |= is_default_gw;  // as the plugin: isDefaultGateway implies isGateway
    (void)f.boolean("forceAddress", &ni.force_address);
    (void)f.integer("vlan", &ni.vlan);
  }
  const Json* ipam = spec::findKey(first.raw, "ipam");
  if (ipam == nullptr || !ipam->is_object()) return ni;
  const Json* type = spec::findKey(*ipam, "type");
  if (type == nullptr || !type->is_string() || type->get<std::string>() != "host-local") return ni;
  ni.host_local = true;
  ni.data_dir = c.hostLocalDataDir(*ipam);
  // The plugin's own decoding (legacy subnet, ranges, defaults such as gateway
  // = subnet + 1), fed what libcni would inject.
  Json doc = first.raw;
  doc["name"] = n.list.name;
  doc["cniVersion"] = n.list.cni_version;
  if (auto ic = ipam::loadIpamConfig(doc.dump(), ""); ic) {
    ni.ranges = std::move(ic->ranges);
    for (const auto& set : ni.ranges) {
      for (const auto& range : set) ni.v6 |= range.subnet.isV6();
    }
  }
  return ni;
}

// The gateway each range of a network puts on the bridge: the range's gateway
// with the subnet's prefix length (what the plugin's calcGateways hands to
// ensureAddr).
std::vector<IpPrefix> gatewaysOf(const NetInfo& n) {
  std::vector<IpPrefix> out;
  for (const auto& set : n.ranges) {
    for (const auto& range : set) {
      if (!range.gateway) continue;
      if (auto p = IpPrefix::make(*range.gateway, range.subnet.length())) out.push_back(*p);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// isGateway: the bridge holds each range's gateway; any other address the
// plugin's ensureAddr refuses ("already has an IP address different from ...")
// unless forceAddress: every IPv4 address that is not a gateway, and IPv6
// addresses overlapping a gateway. The classic cause is a subnet change with
// the old bridge left in place. Without a stale address, a gateway that is
// absent while pods route through it leaves them without a way off the bridge.
void gatewayFindings(const Snapshot& s, Report& r, const netlink::Link& link,
                     const std::vector<const NetInfo*>& nets, const std::string& net_names,
                     const std::vector<Evidence>& pods) {
  const std::string& name = link.name;
  const std::string where = inNetns(s, "link " + name);
  std::vector<IpPrefix> want;
  std::string gw_path;
  bool force = false;
  for (const NetInfo* n : nets) {
    if (!n->is_gw || n->vlan != 0 || n->ranges.empty()) continue;
    auto g = gatewaysOf(*n);
    want.insert(want.end(), g.begin(), g.end());
    if (gw_path.empty()) gw_path = n->net->path;
    force |= n->force_address;
  }
  if (want.empty()) return;
  std::vector<std::string> want_text;
  for (const IpPrefix& g : want) want_text.push_back(g.str());
  std::vector<const netlink::Address*> have;
  for (const netlink::Address& a : s.addrs) {
    if (a.index == link.index) have.push_back(&a);
  }
  auto wanted = [&](const IpPrefix& p) {
    return std::any_of(want.begin(), want.end(), [&](const IpPrefix& g) { return g == p; });
  };

  std::vector<Evidence> ev;
  std::vector<std::string> bad;
  std::string fix;
  for (const netlink::Address* a : have) {
    if (wanted(a->prefix)) continue;
    const bool conflicts = std::any_of(want.begin(), want.end(), [&](const IpPrefix& g) {
      if (g.family() != a->family()) return false;
      // An unrelated IPv6 address (link-local, another prefix) does not
      // stop the plugin.
      return a->prefix.isV4() || g.overlaps(a->prefix);
    });
    if (!conflicts) continue;
    ev.push_back({.path = where, .value = "address " + a->cidr()});
    bad.push_back(a->cidr());
    fix += "`ip addr del " + a->cidr() + " dev " + name + "`; ";
  }
  if (!bad.empty()) {
    ev.push_back({.path = gw_path, .value = "gateway " + joined(want_text)});
    fix += "or delete the bridge when no pod uses it (`ip link del " + name +
           "`): the next ADD puts " + joined(want_text) + " on it. " +
           (force ? "\"forceAddress\" is set, so the next ADD replaces it itself."
                  : "With \"forceAddress\": true in " + gw_path +
                        " the plugin replaces a stale address itself.");
    r.add(finding("kernel.bridge-gateway-mismatch", Severity::kError, name,
                  "bridge " + name + " holds " + joined(bad) + ", which is not the gateway " +
                      joined(want_text) + " of network " + net_names +
                      (force ? ": pods get a gateway that is not on the node until an ADD"
                             : ": every ADD fails (\"already has an IP address different "
                               "from\")"),
                  fix, std::move(ev)));
    return;
  }
  if (pods.empty()) return;
  std::vector<Evidence> missing;
  fix.clear();
  for (const IpPrefix& g : want) {
    const bool there = std::any_of(have.begin(), have.end(),
                                   [&](const netlink::Address* a) { return a->prefix == g; });
    if (there) continue;
    missing.push_back({.path = where, .value = "no address " + g.str()});
    fix += "`ip addr add " + g.str() + " dev " + name + "`; ";
  }
  if (missing.empty()) return;
  const size_t live = pods.size();
  missing.insert(missing.end(), pods.begin(), pods.end());
  r.add(finding("kernel.bridge-gateway-missing", Severity::kError, name,
                "bridge " + name + " lacks the gateway address of network " + net_names +
                    " while " + plural(live, "pod routes", "pods route") +
                    " through it: they cannot leave the bridge",
                fix + "the next ADD on this network also puts it back", std::move(missing)));
}

}  // namespace

std::string attachmentText(const libcni::CacheEntry& e) {
  return "container " + e.container_id + " (" + e.ifname + ", netns " + e.netns + ")";
}

std::string referenceMasqChain(std::string_view network, std::string_view container_id) {
  return "CNI-" + sha512Hex(std::string(network) + std::string(container_id)).substr(0, 24);
}

std::string referencePortmapChain(std::string_view network, std::string_view container_id) {
  return "CNI-DN-" + sha512Hex(std::string(network) + std::string(container_id)).substr(0, 21);
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

const NetInfo* Model::net(std::string_view name) const {
  for (const auto& n : nets) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

std::vector<const Attachment*> Model::live(std::string_view network) const {
  std::vector<const Attachment*> out;
  for (const auto& a : attachments) {
    if (a.liveness == Liveness::kLive && a.entry().network_name == network) out.push_back(&a);
  }
  return out;
}

Model buildModel(const Context& c) {
  Model m;
  for (const Network& n : c.networks) m.nets.push_back(decodeNetwork(c, n));
  for (const CacheFile* f : c.attachments()) {
    Attachment a{.file = f};
    a.netns_state = c.netnsState(f->entry->netns);
    a.liveness = a.netns_state == NetnsState::kAlive ? Liveness::kLive
                 : isDead(a.netns_state)             ? Liveness::kDead
                                                     : Liveness::kUnknown;
    m.attachments.push_back(a);
  }
  return m;
}

std::string inNetns(const Snapshot& s, std::string_view what) {
  return std::string(what) + " (" + s.netns_label + ")";
}

bool youngLeaseFor(const std::string& data_dir, std::string_view network, std::string_view cid,
                   std::chrono::seconds grace) {
  std::vector<std::string> dirs;
  if (!network.empty()) {
    dirs.push_back(data_dir + "/" + std::string(network));
  } else if (DIR* d = ::opendir(data_dir.c_str()); d != nullptr) {
    while (const dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") dirs.push_back(data_dir + "/" + std::string(n));
    }
    ::closedir(d);
  }
  const auto now = std::chrono::system_clock::now();
  for (const std::string& dir : dirs) {
    for (const LeaseFile& l : readLeases(dir)) {
      if (l.container_id == cid && now - l.mtime < grace) return true;
    }
  }
  return false;
}

void bridgeFindings(const Context&, const Model& m, const Snapshot& s, Report& r) {
  // Networks sharing a bridge are judged together (their gateways may all live
  // on it).
  std::map<std::string, std::vector<const NetInfo*>> by_bridge;
  for (const NetInfo& n : m.nets) {
    if (n.type == "bridge") by_bridge[n.bridge].push_back(&n);
  }
  for (const auto& [name, nets] : by_bridge) {
    std::vector<const Attachment*> live;
    bool active = false;
    std::vector<std::string> names;
    for (const NetInfo* n : nets) {
      auto l = m.live(n->name());
      live.insert(live.end(), l.begin(), l.end());
      active |= n->net->active;
      names.push_back(n->name());
    }
    const std::string net_names = joined(names);
    const std::string where = inNetns(s, "link " + name);
    auto link = std::find_if(s.links.begin(), s.links.end(),
                             [&](const netlink::Link& l) { return l.name == name; });
    std::vector<Evidence> pods;
    for (const Attachment* a : live) {
      pods.push_back({.path = a->file->path, .value = attachmentText(a->entry()) + ", alive"});
    }

    if (link == s.links.end()) {
      // No pod yet: the plugin creates the bridge on the first ADD. With pods,
      // their host veth ends are left without a master: no traffic between them
      // or to the node.
      if (live.empty()) continue;
      std::vector<Evidence> ev{{.path = where, .value = "absent"}};
      ev.insert(ev.end(), pods.begin(), pods.end());
      r.add(finding("kernel.bridge-missing", Severity::kError, name,
                    "bridge " + name + " of network " + net_names + " is gone while " +
                        plural(live.size(), "pod is", "pods are") +
                        " attached to it: they lost their network (their host "
                        "veths have no "
                        "bridge)",
                    "recreate the pods of network " + net_names +
                        " (e.g. `crictl stopp <pod> && crictl rmp <pod>`, or "
                        "delete them in "
                        "Kubernetes): the first ADD recreates " +
                        name +
                        "; then find what deleted it (a network manager, a "
                        "cleanup script)",
                    std::move(ev)));
      continue;
    }

    if (link->kind != "bridge") {
      const Severity sev = active || !live.empty() ? Severity::kError : Severity::kWarning;
      std::vector<Evidence> ev{
          {.path = where,
           .value = "kind " +
                    (link->kind.empty() ? std::string("none (a plain device)") : link->kind) +
                    ", index " + std::to_string(link->index)}};
      for (const NetInfo* n : nets) ev.push_back({.path = n->net->path, .value = "bridge " + name});
      r.add(finding("kernel.not-a-bridge", sev, name,
                    "network " + net_names + " uses bridge " + name +
                        ", but the link of that name is not a bridge: every ADD fails "
                        "(\"" +
                        name + "\" already exists but is not a bridge)",
                    "delete or rename that link (`ip link del " + name +
                        "`) if nothing needs it, or set \"bridge\" to another name in " +
                        nets.front()->net->path,
                    std::move(ev)));
      continue;
    }

    if (!link->isUp() && !live.empty()) {
      std::vector<Evidence> ev{{.path = where, .value = "down (IFF_UP not set)"}};
      ev.insert(ev.end(), pods.begin(), pods.end());
      r.add(finding("kernel.bridge-down", Severity::kWarning, name,
                    "bridge " + name + " is down while " +
                        plural(live.size(), "pod is", "pods are") +
                        " attached: they cannot reach each other or the node "
                        "until the next ADD "
                        "brings it up",
                    "`ip link set " + name + " up`, and find what set it down", std::move(ev)));
    }
    gatewayFindings(s, r, *link, nets, net_names, pods);
  }
}

void forwardingFindings(const Context&, const Model& m, const Snapshot& s, Report& r) {
  struct Key {
    std::string name, proc;
    const std::optional<std::string>* value;
    bool v6;
  };
  const Key keys[] = {
      {"net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward", &s.ipv4_forward, false},
      {"net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding", &s.ipv6_forward,
       true}};
  for (const Key& k : keys) {
    if (!k.value->has_value() || **k.value != "0") continue;
    std::vector<Evidence> ev{{.path = inNetns(s, k.proc), .value = **k.value}};
    size_t live = 0;
    std::vector<std::string> names;
    for (const NetInfo& n : m.nets) {
      if (!n.needsForwarding() || (k.v6 && !n.v6)) continue;
      const size_t l = m.live(n.name()).size();
      live += l;
      names.push_back(n.name());
      ev.push_back({.path = n.net->path,
                    .value = "network " + n.name() + " (" + n.type + (n.ip_masq ? ", ipMasq" : "") +
                             (n.is_gw ? ", isGateway" : "") + ") needs forwarding; " +
                             plural(l, "live pod", "live pods")});
    }
    if (names.empty()) continue;
    const std::string persist = "sysctl -w " + k.name +
                                "=1, and keep it on across reboots (a file in /etc/sysctl.d/ "
                                "with " +
                                k.name + " = 1)";
    if (live > 0) {
      r.add(finding("kernel.ip-forward-off", Severity::kError, k.name,
                    k.name + " is 0 while " + plural(live, "pod", "pods") + " of network " +
                        joined(names) + " rely on it: their traffic beyond the node is dropped now",
                    persist + "; then find what turned it off (a sysctl file, a firewall "
                              "or network "
                              "manager)",
                    std::move(ev)));
    } else {
      r.add(finding("kernel.ip-forward-off", Severity::kWarning, k.name,
                    k.name + " is 0; network " + joined(names) +
                        " needs it (the plugin turns it on at the next ADD, "
                        "but whatever turned "
                        "it off may do so again)",
                    persist, std::move(ev)));
    }
  }
}

namespace {

// Reads the whole snapshot inside the node namespace (on NetNs::run's thread:
// netlink sockets and /proc/sys/net bind to the namespace of the thread that
// opens them).
Expected<Snapshot> readSnapshot(bool want_v6) {
  Snapshot s;
  CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
  CNI_ASSIGN_OR_RETURN(s.links, netlink::listLinks(sock));
  CNI_ASSIGN_OR_RETURN(s.addrs, netlink::listAddresses(sock, 0));
  if (auto v = sysctl::get("net.ipv4.ip_forward")) s.ipv4_forward = *v;
  if (want_v6) {
    if (auto v = sysctl::get("net.ipv6.conf.all.forwarding")) s.ipv6_forward = *v;
  }
  auto nfs = nft::NfSocket::open();
  if (!nfs) {
    s.nft_error = nfs.error().toString();
    return s;
  }
  auto masq =
      nft::listRules(*nfs, nft::Family::kInet, pluginkit::kMasqTable, pluginkit::kMasqChain);
  if (!masq) {
    s.nft_error = masq.error().toString();
    return s;
  }
  s.masq_rules = std::move(*masq);
  for (nft::Family f : {nft::Family::kIp, nft::Family::kIp6}) {
    auto rules = nft::listRules(*nfs, f, pluginkit::kHostportTable);
    if (!rules) {
      s.nft_error = rules.error().toString();
      return s;
    }
    s.hostport_rules.insert(s.hostport_rules.end(), rules->begin(), rules->end());
  }
  for (nft::Family f : {nft::Family::kIp, nft::Family::kIp6}) {
    auto chains = nft::listChains(*nfs, f, "nat");
    if (!chains) continue;  // no iptables nat table: nothing of the reference's to see
    for (const auto& ch : *chains) {
      if (ch.name.starts_with("CNI-")) s.xt_nat_chains.insert(ch.name);
    }
  }
  s.nft_ok = true;
  return s;
}

}  // namespace
}  // namespace kernel

void checkKernel(const Context& c, Report& r) {
  if (c.opts.offline || !c.opts.kernel_checks) {
    r.addSource({.name = "kernel",
                 .ran = false,
                 .detail = c.opts.offline ? "offline: the files are not this node's kernel"
                                          : "kernel checks disabled"});
    return;
  }
  const kernel::Model m = kernel::buildModel(c);
  const bool want_v6 = std::any_of(m.nets.begin(), m.nets.end(), [](const kernel::NetInfo& n) {
    return n.v6 && n.needsForwarding();
  });
  const auto start = std::chrono::steady_clock::now();
  auto snap = kernel::inNodeNetns(c.opts, [&] { return kernel::readSnapshot(want_v6); });
  const std::string label = c.opts.node_netns.empty() ? "own netns" : "netns " + c.opts.node_netns;
  if (!snap) {
    r.addSource({.name = "kernel", .ran = false, .detail = label + ": " + snap.error().toString()});
    return;
  }
  snap->netns_label = label;
  kernel::bridgeFindings(c, m, *snap, r);
  kernel::forwardingFindings(c, m, *snap, r);
  if (snap->nft_ok) {
    kernel::masqueradeFindings(c, m, *snap, r);
    kernel::portmapFindings(c, m, *snap, r);
    kernel::referenceChainFindings(m, *snap, r);
  }
  size_t bridges = 0;
  for (const netlink::Link& l : snap->links) bridges += l.kind == "bridge";
  std::string detail = label + ": " + kernel::plural(bridges, "bridge", "bridges") + ", ";
  detail += snap->nft_ok ? kernel::plural(snap->masq_rules.size() + snap->hostport_rules.size(),
                                          "rule", "rules")
                         : "nftables unreadable (" + snap->nft_error + ")";
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  r.addSource({.name = "kernel", .ran = true, .detail = std::move(detail), .ms = ms});
}

}  // namespace cni::doctor
