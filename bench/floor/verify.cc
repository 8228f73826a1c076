// bench/floor/verify.cc — bench-floor's own correctness checks (untimed, after each phase).
//
// A floor that silently skipped work would look fast, so the run fails (exit 1) unless every pod
// ended up exactly as our plugin leaves it, and DEL left nothing behind:
//   after ADD  per pod: the node routes the pod's address to it (RTM_GETROUTE: via the bridge,
//              or for ptp the host veth), the pod routes 192.0.2.1 (TEST-NET-1; a FIB lookup,
//              nothing is sent) via the gateway on eth0 (ptp: also the subnet via the gateway),
//              eth0 is an UP veth with exactly the pod's address, the host end exists (bridge:
//              enslaved and UP; ptp: UP with only the gateway /32), the sysctls hold their
//              values, the lease file holds "<cid>\r\neth0"; globally: exactly one masquerade
//              rule per pod (matched by comment), postrouting intact, no stray IPAM file.
//   after DEL  no veth in the node, nothing but lo in each pod, no port on the bridge, no host
//              route or address left (ptp), no rule in masq_checks, only lock and
//              last_reserved_ip.0 in the IPAM directory.
#include <dirent.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <map>
#include <set>

#include "bench/floor/floor.h"
#include "src/ipam/text_file.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/route.h"
#include "src/netlink/socket.h"
#include "src/nft/list.h"
#include "src/nft/nfsocket.h"
#include "src/sysctl/sysctl.h"

namespace cni::floorbench {
namespace {

using netlink::Socket;

class Problems {
 public:
  void add(const Pod* p, std::string what) {
    list_.push_back((p ? "pod " + std::to_string(p->index) + ": " : std::string()) +
                    std::move(what));
  }
  template <class T>
  bool ok(const Expected<T>& e, const Pod* p, std::string_view what) {
    if (e) return true;
    add(p, std::string(what) + ": " + e.error().toString());
    return false;
  }
  std::vector<std::string> take() { return std::move(list_); }

 private:
  std::vector<std::string> list_;
};

// `ip route get <dst>`: a FIB lookup, no packet.
Expected<netlink::Route> routeGet(Socket& sock, const IpAddress& dst) {
  rtmsg rtm{};
  rtm.rtm_family = AF_INET;
  rtm.rtm_dst_len = 32;
  netlink::Message m(RTM_GETROUTE, 0);
  m.putHeader(rtm).putBytes(RTA_DST, dst.bytes());
  CNI_ASSIGN_OR_RETURN(auto msgs, sock.query(m));
  if (msgs.empty()) return fail(ErrorCode::kInternal, "no route in the reply");
  return netlink::parseRoute(msgs.front());
}

std::set<std::string> ipamFiles(const std::string& dir) {
  std::set<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.insert(n);
    }
    ::closedir(d);
  }
  return out;
}

void expectSysctl(Problems& pr, const Pod* p, IpFamily f, std::string_view ifname,
                  std::string_view leaf, std::string_view want) {
  const std::string key = sysctl::ifaceKey(f, ifname, leaf);
  auto v = sysctl::get(key);
  if (pr.ok(v, p, "read " + key) && *v != want) {
    pr.add(p, key + " = " + *v + ", want " + std::string(want));
  }
}

// Every rule of a chain, by comment.
std::map<std::string, int> rulesByComment(Problems& pr, std::string_view chain, size_t* count) {
  std::map<std::string, int> out;
  *count = 0;
  auto nfs = nft::NfSocket::open();
  if (!pr.ok(nfs, nullptr, "netfilter socket")) return out;
  auto rules = nft::listRules(*nfs, nft::Family::kInet, kMasqTable, chain);
  if (!pr.ok(rules, nullptr, "list rules of " + std::string(chain))) return out;
  *count = rules->size();
  for (const nft::RuleInfo& r : *rules) ++out[r.comment];
  return out;
}

void checkPodSide(Problems& pr, const World& w, const Pod& p) {
  auto in_pod = NsSwitch::enter(*p.ns, w.node());
  if (!pr.ok(in_pod, &p, "enter pod")) return;
  auto sock = Socket::open();
  if (!pr.ok(sock, &p, "pod socket")) return;
  auto eth0 = netlink::getLinkByName(*sock, kPodIfname);
  if (!pr.ok(eth0, &p, "eth0")) return;
  if (eth0->kind != "veth" || !eth0->isUp()) pr.add(&p, "eth0 is not an UP veth");
  auto addrs = netlink::listAddresses(*sock, eth0->index, IpFamily::kV4);
  if (pr.ok(addrs, &p, "eth0 addresses") &&
      (addrs->size() != 1 || addrs->front().prefix != p.address)) {
    pr.add(&p, "eth0 does not carry exactly " + p.address.str());
  }
  auto out = routeGet(*sock, IpAddress::v4((192u << 24) | (0u << 16) | (2u << 8) | 1u));
  if (pr.ok(out, &p, "route get 192.0.2.1") &&
      (out->gateway != w.gateway() || out->dev != eth0->index)) {
    pr.add(&p, "192.0.2.1 is not routed via " + w.gateway().str() + " dev eth0");
  }
  if (w.options().kind == Kind::kPtp) {
    // Another address of the subnet: ptp routes it via the gateway, not on-link.
    auto peer = routeGet(*sock, w.subnet().lastAddress().prev().value());
    if (pr.ok(peer, &p, "route get in the subnet") &&
        (peer->gateway != w.gateway() || peer->dev != eth0->index)) {
      pr.add(&p, "the subnet is not routed via the gateway");
    }
  } else {
    expectSysctl(pr, &p, IpFamily::kV6, kPodIfname, "accept_dad", "0");
    expectSysctl(pr, &p, IpFamily::kV4, kPodIfname, "arp_notify", "1");
  }
}

void checkHostSide(Problems& pr, Socket& node, const World& w, const Pod& p) {
  auto veth = netlink::getLinkByName(node, p.host_veth);
  if (!pr.ok(veth, &p, "host veth " + p.host_veth)) return;
  if (veth->kind != "veth" || !veth->isUp() || veth->link_netnsid < 0) {
    pr.add(&p, "host end is not an UP veth with its peer in another namespace");
  }
  int want_dev = veth->index;
  if (w.options().kind == Kind::kBridge) {
    if (veth->master != w.bridgeIndex()) pr.add(&p, "host end is not enslaved to the bridge");
    want_dev = w.bridgeIndex();
  } else {
    auto addrs = netlink::listAddresses(node, veth->index, IpFamily::kV4);
    if (pr.ok(addrs, &p, "host veth addresses") &&
        (addrs->size() != 1 || addrs->front().prefix != *IpPrefix::make(w.gateway(), 32))) {
      pr.add(&p, "host veth does not carry exactly " + w.gateway().str() + "/32");
    }
  }
  expectSysctl(pr, &p, IpFamily::kV6, p.host_veth, "accept_ra", "0");
  auto r = routeGet(node, p.address.address());
  if (pr.ok(r, &p, "route get " + p.ip_text) && (r->dev != want_dev || r->gateway)) {
    pr.add(&p, "the node does not route " + p.ip_text + " to the pod's link");
  }
  auto lease = ipam::readFileText(p.lease_path);
  if (!lease || *lease != p.lease_text) pr.add(&p, "lease file missing or wrong");
}

}  // namespace

std::vector<std::string> verifyAfterAdd(const World& w) {
  Problems pr;
  auto node = Socket::open();
  if (!pr.ok(node, nullptr, "node socket")) return pr.take();
  for (const Pod& p : w.pods()) {
    checkHostSide(pr, *node, w, p);
    checkPodSide(pr, w, p);
  }
  size_t n = 0;
  auto rules = rulesByComment(pr, kMasqChain, &n);
  if (n != w.pods().size()) {
    pr.add(nullptr, std::to_string(n) + " masquerade rules for " + std::to_string(w.pods().size()) +
                        " pods");
  }
  for (const Pod& p : w.pods()) {
    if (rules[p.comment] != 1) pr.add(&p, "not exactly one masquerade rule with its comment");
  }
  rulesByComment(pr, "postrouting", &n);
  if (n != 3) pr.add(nullptr, "postrouting has " + std::to_string(n) + " rules, want 3");
  auto files = ipamFiles(w.ipamDir());
  if (files.size() != w.pods().size() + 2 || !files.contains("lock") ||
      !files.contains("last_reserved_ip.0")) {
    pr.add(nullptr, "IPAM directory holds " + std::to_string(files.size()) + " files, want " +
                        std::to_string(w.pods().size() + 2));
  }
  auto last = ipam::readFileText(w.lastReservedPath());
  const bool last_ok = last && std::any_of(w.pods().begin(), w.pods().end(),
                                           [&](const Pod& p) { return p.ip_text == *last; });
  if (!last_ok) pr.add(nullptr, "last_reserved_ip.0 does not name a pod address");
  if (w.options().parallel == 1 && last && !w.pods().empty() && *last != w.pods().back().ip_text) {
    pr.add(nullptr, "last_reserved_ip.0 is not the last pod's address");
  }
  return pr.take();
}

std::vector<std::string> verifyAfterDel(const World& w) {
  Problems pr;
  auto node = Socket::open();
  if (!pr.ok(node, nullptr, "node socket")) return pr.take();
  auto links = netlink::listLinks(*node);
  if (pr.ok(links, nullptr, "node links")) {
    for (const netlink::Link& l : *links) {
      if (l.kind == "veth") pr.add(nullptr, "veth " + l.name + " left in the node namespace");
      if (w.options().kind == Kind::kBridge && l.master == w.bridgeIndex()) {
        pr.add(nullptr, l.name + " still enslaved to the bridge");
      }
    }
  }
  if (w.options().kind == Kind::kPtp) {
    auto routes = netlink::listRoutes(*node, {.family = IpFamily::kV4, .table = RT_TABLE_MAIN});
    if (pr.ok(routes, nullptr, "node routes")) {
      for (const netlink::Route& r : *routes) {
        if (w.subnet().contains(r.dst.address())) {
          pr.add(nullptr, "route " + r.dst.str() + " left in the node namespace");
        }
      }
    }
    auto addrs = netlink::listAddresses(*node, 0, IpFamily::kV4);
    if (pr.ok(addrs, nullptr, "node addresses")) {
      for (const netlink::Address& a : *addrs) {
        if (!a.ip().isLoopback()) pr.add(nullptr, "address " + a.cidr() + " left on the node");
      }
    }
  }
  for (const Pod& p : w.pods()) {
    auto in_pod = NsSwitch::enter(*p.ns, w.node());
    if (!pr.ok(in_pod, &p, "enter pod")) continue;
    auto sock = Socket::open();
    if (!pr.ok(sock, &p, "pod socket")) continue;
    auto pod_links = netlink::listLinks(*sock);
    if (pr.ok(pod_links, &p, "pod links") &&
        (pod_links->size() != 1 || pod_links->front().name != "lo")) {
      pr.add(&p, "links other than lo left in the pod");
    }
  }
  size_t n = 0;
  rulesByComment(pr, kMasqChain, &n);
  if (n != 0) pr.add(nullptr, std::to_string(n) + " masquerade rules left");
  rulesByComment(pr, "postrouting", &n);
  if (n != 3) pr.add(nullptr, "postrouting has " + std::to_string(n) + " rules, want 3");
  if (ipamFiles(w.ipamDir()) != std::set<std::string>{"last_reserved_ip.0", "lock"}) {
    pr.add(nullptr, "IPAM directory holds more than lock and last_reserved_ip.0");
  }
  return pr.take();
}

}  // namespace cni::floorbench
