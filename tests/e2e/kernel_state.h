// tests/e2e/kernel_state.h — the networking state of one network namespace as comparable text,
// for differential tests (reference plugins vs ours).
//
// A Snapshot is a set of named sections, each a list of one-line facts:
//   link       name, kind, mtu, admin flags, promiscuity, MAC, master, veth peer, queues
//   bridge     bridge attributes (stp, vlan_filtering, ...) and port flags (hairpin, isolated, ...)
//   addr       per link: family, address/prefix, peer, broadcast, scope (DAD/nodad flags ignored)
//   route      every table, both families: type, dst, gateway, dev, table, proto, scope, metric,
//              src, metrics (mtu, ...), multipath hops
//   rule       policy routing rules of both families (`ip -j rule`: priority, src, table, ...)
//   sysctl     ip_forward, ipv6 all.forwarding, per link arp_notify/accept_ra/accept_dad/...
//   nft        `nft -s list ruleset` minus the tables iptables-nft manages, flattened to
//              "table T / chain C #i: rule" (order kept: rule order matters)
//   iptables / ip6tables   `iptables-save` / `ip6tables-save` (sorted; counters dropped; tables
//              holding nothing but empty built-in chains dropped)
//   masq       the *meaning* of pod masquerading, whichever backend wrote it:
//              "masq src=<ip> exempt=<subnets> [mcast-exempt] net=<net> id=<cid>", read from the
//              reference's iptables chains (CNI-<hash> + POSTROUTING jump) or from the nft table
//              `inet cni_plugins_masquerade` (whose per-pod rules are removed from `nft`)
//   masq-infra the rest of `inet cni_plugins_masquerade` (table, chains, multicast returns): the
//              skeleton an nftables masquerade backend leaves in place, like iptables' chains
//   portmap    the *meaning* of host port mappings ("dnat tcp *:8080 -> 10.1.0.2:80 id=<cid>",
//              "hairpin-masq src=<subnet> dst=<pod>", "localhost-masq dst=<pod>"), read from the
//              reference's iptables CNI-DN-* chains or from our nft tables `ip/ip6 cni_hostport`
//   portmap-infra  the chains and jumps that carry them, on either side (left in place by both)
//
// Volatile identifiers are renamed by a Normaliser shared by every text of one run (results,
// snapshots), numbered by first appearance: `veth` + 8 hex -> vethN, MACs -> macN. Link
// indexes, counters, operstate/carrier and IPv6 link-local state (fe80:: addresses and the
// kernel's fe80::/64, ff00::/8 and local fe80 routes, all created asynchronously by the kernel
// once carrier comes up) are left out: they depend on timing, not on the plugin.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::e2e {

class Normaliser {
 public:
  // Rewrites veth names and MACs in `text` (all-zero, broadcast and multicast MACs are kept).
  std::string apply(std::string_view text);
  // The same on every string inside a JSON document.
  Json applyJson(const Json& doc);
  // Also replace the fixed string `from` by `to` (e.g. a pod netns path that differs per side).
  void alias(std::string from, std::string to) {
    aliases_.emplace_back(std::move(from), std::move(to));
  }

 private:
  std::map<std::string, std::string> veths_, macs_;
  std::vector<std::pair<std::string, std::string>> aliases_;
};

struct Snapshot {
  std::map<std::string, std::vector<std::string>> sections;
  std::string raw;  // the unprocessed command output, for failure messages

  const std::vector<std::string>& section(const std::string& name) const;
  std::string text() const;  // every section, for failure messages
};

// Snapshots the named network namespace (/run/netns/<name>) with `ip`, `nft`, `iptables-save`
// and /proc/sys, all run inside it. Fails when the namespace cannot be entered.
Expected<Snapshot> snapshotNetns(const std::string& netns_name, Normaliser& norm);

// "" when equal; otherwise, per differing section, the lines only in `a` ("- ") and only in
// `b` ("+ "), or a note that only the order differs (ordered sections: nft).
std::string diffSnapshots(const Snapshot& a, const Snapshot& b, std::string_view a_name = "a",
                          std::string_view b_name = "b");

// A copy without the lines for which drop(section, line) is true (empty sections removed).
Snapshot filterSnapshot(const Snapshot& s,
                        const std::function<bool(const std::string&, const std::string&)>& drop);

// True if `line` mentions link `name` as a whole word (a link line, an address or route on it,
// its sysctls, a rule matching it).
bool mentionsLink(const std::string& line, const std::string& name);

}  // namespace cni::e2e
