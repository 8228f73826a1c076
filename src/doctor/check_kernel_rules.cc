// src/doctor/check_kernel_rules.cc — masquerade (bridge/ptp `ipMasq`) and
// portmap nftables rules against the attachments of the result cache (see
// check_kernel.h):
//   * a live attachment (cache entry, netns alive) whose rules are missing: the
//   pod works
//     inside the node but cannot reach out (masquerade) or its hostPort does
//     not answer;
//   * rules naming a dead attachment: leaked by a pod removed without DEL
//   (netns gone), or by
//     a DEL that never ran. They are harmless until the address is reused —
//     then the new pod inherits the old one's NAT — and they pile up; --fix
//     deletes them one by one.
//
// Which rule belongs to whom: both plugins put the attachment in the rule
// comment (pluginkit::masqComment, pluginkit::hostportRuleComment), so a rule
// is matched to a cache entry by recomputing the comment of every entry. A
// comment cut at nft's 128 bytes cannot be attributed reliably and is left
// alone, as the plugins' own GC does.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "src/doctor/check_kernel.h"
#include "src/nft/transaction.h"
#include "src/pluginkit/hostport_comment.h"
#include "src/pluginkit/masq.h"

namespace cni::doctor::kernel {
namespace {

// The attachment a rule comment names.
struct Named {
  std::string network;  // "" when the comment does not say and no known network matches
  std::string container_id, ifname;
};

// "<hash>-<hash>, net: <net>, if: <ifname>, id: <cid>" (quotes already removed
// by the plugin).
std::optional<Named> parseMasqComment(std::string_view c) {
  const size_t net = c.find(", net: ");
  const size_t ifn = c.find(", if: ", net == std::string_view::npos ? 0 : net);
  const size_t id = c.find(", id: ", ifn == std::string_view::npos ? 0 : ifn);
  if (net == std::string_view::npos || ifn == std::string_view::npos ||
      id == std::string_view::npos) {
    return std::nullopt;
  }
  Named n{std::string(c.substr(net + 7, ifn - net - 7)), std::string(c.substr(id + 6)),
          std::string(c.substr(ifn + 6, id - ifn - 6))};
  // Only our own, intact comments (the hash prefix must be the one the plugin
  // computes).
  if (pluginkit::masqComment(n.network, n.ifname, n.container_id) != c) return std::nullopt;
  return n;
}

// "portmap net:<hash> id:<cid> if:<ifname>": the network is only a hash; the
// name is found among the configured networks and the cached attachments.
std::optional<Named> parseHostportComment(const Context& c, std::string_view comment) {
  constexpr std::string_view kHead = "portmap net:";
  if (!comment.starts_with(kHead)) return std::nullopt;
  const size_t id = comment.find(" id:");
  const size_t ifn = comment.rfind(" if:");
  if (id == std::string_view::npos || ifn == std::string_view::npos || ifn < id) {
    return std::nullopt;
  }
  const std::string_view hash = comment.substr(kHead.size(), id - kHead.size());
  Named n{"", std::string(comment.substr(id + 4, ifn - id - 4)),
          std::string(comment.substr(ifn + 4))};
  std::vector<std::string> candidates;
  for (const Network& net : c.networks) candidates.push_back(net.list.name);
  for (const CacheFile* f : c.attachments()) candidates.push_back(f->entry->network_name);
  for (const std::string& name : candidates) {
    if (pluginkit::masqNetworkHash(name) == hash) {
      n.network = name;
      break;
    }
  }
  if (!n.network.empty() &&
      pluginkit::hostportRuleComment(n.network, n.container_id, n.ifname) != comment) {
    return std::nullopt;
  }
  return n;
}

// The cache file of an attachment: <cache>/results/<net>-<cid>-<ifname>; with
// the network unknown, any results file ending in -<cid>-<ifname>.
std::optional<std::string> cacheFileOf(const std::string& cache_dir, const Named& n) {
  const std::string results = cache_dir + "/results";
  if (!n.network.empty()) {
    std::string p = results + "/" + n.network + "-" + n.container_id + "-" + n.ifname;
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) return p;
    return std::nullopt;
  }
  const std::string suffix = "-" + n.container_id + "-" + n.ifname;
  std::optional<std::string> out;
  if (DIR* d = ::opendir(results.c_str()); d != nullptr) {
    while (const dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name.ends_with(suffix)) out = results + "/" + std::string(name);
    }
    ::closedir(d);
  }
  return out;
}

// The host-local data dir of a network (the default one when unknown or not
// host-local).
std::string dataDirOf(const Context& c, const Model& m, const std::string& network) {
  const NetInfo* n = m.net(network);
  return n != nullptr && n->host_local ? n->data_dir : c.opts.data_dir;
}

// Whether the attachment a rule names is dead right now, and why (for
// evidence). Used both while diagnosing and again by the repair right before it
// deletes anything.
//
// Grace: rules carry no timestamp, and an ADD in flight adds its rules before
// the runtime writes the cache entry (the cache entry is written after the
// whole chain returned). So a rule with no cache entry may be an ADD in
// progress. host-local reserves the address before the main plugin runs, so
// such an ADD has a lease naming the container, written moments ago: a rule is
// called stale only when no cache entry exists AND no host-local lease younger
// than opts.grace names its container. A cache entry whose netns is gone (or is
// no longer a namespace) is a pod removed without DEL, whatever its age.
struct Verdict {
  bool dead = false;
  bool by_entry = false;  // judged by a cache entry (its netns), not by the absence of one
  std::string why;
  std::string cache_path;  // the entry, when there is one
};
Verdict judge(const Options& o, const std::string& data_dir, const Named& n) {
  Verdict v;
  if (auto path = cacheFileOf(o.cache_dir, n)) {
    v.cache_path = *path;
    CacheFile f = readCacheFile(*path);
    if (f.entry) {
      const NetnsState st = netnsStateOf(f.entry->netns, o.offline);
      v.dead = isDead(st);
      v.by_entry = true;
      v.why = "cache entry " + *path + ": netns " + f.entry->netns + " is " +
              std::string(netnsStateName(st));
      return v;
    }
    // An unreadable entry: the state check reports the file; judge by the lease
    // as below.
  }
  if (youngLeaseFor(data_dir, n.network, n.container_id, o.grace)) {
    v.why = "a host-local lease younger than " + std::to_string(o.grace.count()) +
            "s names the container (an ADD may be in flight)";
    return v;
  }
  v.dead = true;
  v.why = "no cache entry for network " + (n.network.empty() ? "?" : n.network) + ", container " +
          n.container_id + ", " + n.ifname + " and no recent host-local lease for it";
  return v;
}

std::string ruleText(nft::Family f, std::string_view table, std::string_view chain,
                     uint64_t handle) {
  return std::string(nft::familyName(f)) + " " + std::string(table) + " " + std::string(chain) +
         " handle " + std::to_string(handle);
}

// --fix for one stale rule: inside the node netns, re-list the chain and delete
// that handle in one batch — only if the attachment is still dead and the
// handle still holds a rule with the same comment (handles are not reused
// within a table's lifetime, but the table may have been recreated). A batch
// that could fail is never sent (docs kernel-floor).
Repair deleteRuleRepair(const Options& o, std::string data_dir, Named n,
                        const nft::RuleInfo& rule) {
  Repair rep;
  rep.action = "delete-rule";
  rep.target = ruleText(rule.family, rule.table, rule.chain, rule.handle) + " (comment \"" +
               rule.comment + "\")";
  rep.apply = [o, data_dir = std::move(data_dir), n = std::move(n), rule]() -> Status {
    if (Verdict v = judge(o, data_dir, n); !v.dead) {
      return fail(ErrorCode::kInternal, "not deleted: the attachment is no longer dead", v.why);
    }
    return inNodeNetns(o, [&]() -> Status {
      CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
      CNI_ASSIGN_OR_RETURN(auto rules, nft::listRules(s, rule.family, rule.table, rule.chain));
      auto it = std::find_if(rules.begin(), rules.end(),
                             [&](const nft::RuleInfo& r) { return r.handle == rule.handle; });
      if (it == rules.end()) return {};  // already gone: nothing to do
      if (it->comment != rule.comment) {
        return fail(ErrorCode::kInternal, "not deleted: handle " + std::to_string(rule.handle) +
                                              " now holds another rule (comment \"" + it->comment +
                                              "\")");
      }
      nft::Transaction tx;
      if (nft::kernelHasDestroy()) {
        tx.destroyRule(rule.family, rule.table, rule.chain, rule.handle);
      } else {
        tx.deleteRule(rule.family, rule.table, rule.chain, rule.handle);
      }
      return tx.commit(s);
    });
  };
  return rep;
}

// One stale-rule finding, with its repair when the verdict is safe to act on: a
// rule without a cache entry on a network whose IPAM is not host-local has no
// lease to tell an ADD in flight from a leak, so the operator decides (the
// finding says so).
void staleFinding(const Context& c, const Model& m, const Snapshot& s, Report& r, std::string check,
                  std::string_view what, std::string_view cost, const nft::RuleInfo& rule,
                  const Named& n, const Verdict& v, std::string data_dir) {
  const NetInfo* net = m.net(n.network);
  const bool repairable = v.by_entry || net == nullptr || net->host_local;
  const std::string rt = ruleText(rule.family, rule.table, rule.chain, rule.handle);
  std::vector<Evidence> ev{
      {.path = inNetns(s, "nft " + rt), .value = "comment \"" + rule.comment + "\""}};
  ev.push_back({.path = v.cache_path.empty() ? c.opts.cache_dir + "/results" : v.cache_path,
                .value = v.why});
  Finding f =
      finding(std::move(check), Severity::kWarning, rt,
              std::string(what) + " rule of a dead attachment (network " +
                  (n.network.empty() ? "?" : n.network) + ", container " + n.container_id + ", " +
                  n.ifname + "): leaked by a pod removed without DEL; " + std::string(cost),
              (repairable ? "`cnikit doctor --fix` deletes it (or `nft delete rule " + rt +
                                "` in the node's netns); the runtime's CNI GC removes such "
                                "rules too"
                          : "if no pod of container " + n.container_id +
                                " is being created (its IPAM keeps no lease to tell), `nft "
                                "delete rule " +
                                rt + "` in the node's netns; the runtime's CNI GC removes it too"),
              std::move(ev));
  if (repairable) f.repair = deleteRuleRepair(c.opts, std::move(data_dir), n, rule);
  r.add(std::move(f));
}

// Index: comment -> cache entries whose attachment that comment names.
template <class CommentFn>
std::map<std::string, const Attachment*> byComment(const Model& m, CommentFn fn) {
  std::map<std::string, const Attachment*> out;
  for (const Attachment& a : m.attachments) {
    out.emplace(fn(a.entry()), &a);
  }
  return out;
}

size_t resultIps(const libcni::CacheEntry& e) {
  if (!e.result || !e.result->is_object()) return 0;
  const Json* ips = spec::findKey(*e.result, "ips");
  return ips != nullptr && ips->is_array() ? ips->size() : 0;
}

}  // namespace

void masqueradeFindings(const Context& c, const Model& m, const Snapshot& s, Report& r) {
  const std::string chain_where = inNetns(s, "nft inet " + std::string(pluginkit::kMasqTable) +
                                                 " " + std::string(pluginkit::kMasqChain));
  // Live attachments of masquerading networks need their rules (one per pod
  // address).
  for (const NetInfo& n : m.nets) {
    if (!n.ip_masq || (n.type != "bridge" && n.type != "ptp")) continue;
    for (const Attachment* a : m.live(n.name())) {
      const auto& e = a->entry();
      const std::string comment = pluginkit::masqComment(n.name(), e.ifname, e.container_id);
      const size_t have = static_cast<size_t>(
          std::count_if(s.masq_rules.begin(), s.masq_rules.end(),
                        [&](const nft::RuleInfo& x) { return x.comment == comment; }));
      const size_t want = std::max<size_t>(1, resultIps(e));
      if (have >= want) continue;
      // Attached by the Go reference's iptables backend: its chain masquerades the pod.
      if (s.xt_nat_chains.contains(referenceMasqChain(n.name(), e.container_id))) continue;
      r.add(finding("kernel.masquerade-missing", Severity::kWarning, a->file->path,
                    "container " + e.container_id + " of network " + n.name() + " (" + e.ifname +
                        ") has " + std::to_string(have) + " of its " + std::to_string(want) +
                        " masquerade rules: its traffic beyond the node leaves with the "
                        "pod address and "
                        "gets no answer",
                    "recreate the pod (its ADD adds the rules again); `cnikit "
                    "--container-id " +
                        e.container_id + " -i " + e.ifname + " check " + n.name() + " " + e.netns +
                        "` confirms; then find what flushed the rules (a firewall "
                        "reload, `nft flush "
                        "ruleset`)",
                    {{.path = chain_where,
                      .value = std::to_string(have) + " rules with comment \"" + comment + "\""},
                     {.path = a->file->path, .value = attachmentText(e) + ", alive"}}));
    }
  }
  // Rules of dead attachments.
  const auto known = byComment(m, [](const libcni::CacheEntry& e) {
    return pluginkit::masqComment(e.network_name, e.ifname, e.container_id);
  });
  for (const nft::RuleInfo& rule : s.masq_rules) {
    std::optional<Named> n;
    if (auto it = known.find(rule.comment); it != known.end()) {
      const auto& e = it->second->entry();
      n = Named{e.network_name, e.container_id, e.ifname};
    } else {
      n = parseMasqComment(rule.comment);
    }
    if (!n) continue;  // not ours, or cut at 128 bytes: cannot be attributed
    std::string data_dir = dataDirOf(c, m, n->network);
    Verdict v = judge(c.opts, data_dir, *n);
    if (!v.dead) continue;
    staleFinding(c, m, s, r, "kernel.masquerade-stale", "masquerade",
                 "such rules pile up, and a pod later given the same address is "
                 "masqueraded by it even on a network without ipMasq",
                 rule, *n, v, std::move(data_dir));
  }
}

void referenceChainFindings(const Model& m, const Snapshot& s, Report& r) {
  // Chains the Go reference's iptables backend left for attachments that are gone. They are
  // attributed by name (a hash of network and container), so only cached attachments can be
  // matched; deleting them means finding their jump rules, which is iptables' job: the fix
  // says how, the doctor does not repair them.
  for (const Attachment& a : m.attachments) {
    if (a.liveness != Liveness::kDead) continue;
    const auto& e = a.entry();
    struct Kind {
      std::string chain;
      const char* check;
      const char* what;
      const char* jump_from;
    };
    for (const Kind& k : {Kind{referenceMasqChain(e.network_name, e.container_id),
                               "kernel.masquerade-stale", "masquerade", "POSTROUTING"},
                          Kind{referencePortmapChain(e.network_name, e.container_id),
                               "kernel.portmap-stale", "portmap", "CNI-HOSTPORT-DNAT"}}) {
      if (!s.xt_nat_chains.contains(k.chain)) continue;
      r.add(finding(
          k.check, Severity::kWarning, "nat " + k.chain,
          std::string("the Go reference plugins' iptables ") + k.what + " chain " + k.chain +
              " of " + attachmentText(e) + " outlived the attachment (its DEL never ran)",
          "run the DEL the runtime missed (see state.attachment-stale), or by hand: `iptables "
          "-t nat -S " +
              std::string(k.jump_from) + " | grep " + k.chain +
              "` shows the jump to delete (-D), then `iptables -t nat -F " + k.chain +
              " && iptables -t nat -X " + k.chain + "` (ip6tables too for IPv6 pods)",
          {{.path = inNetns(s, "iptables nat chain"), .value = k.chain},
           {.path = a.file->path,
            .value = attachmentText(e) + ", " + std::string(netnsStateName(a.netns_state))}}));
    }
  }
}

void portmapFindings(const Context& c, const Model& m, const Snapshot& s, Report& r) {
  auto is_dnat = [](const nft::RuleInfo& x) {
    return x.chain == pluginkit::kHostportChain || x.chain == pluginkit::kHostIpHostportChain;
  };
  // Live attachments with port mappings on a network that chains portmap: their
  // DNAT rules.
  for (const NetInfo& n : m.nets) {
    if (!n.has_portmap) continue;
    for (const Attachment* a : m.live(n.name())) {
      const auto& e = a->entry();
      const Json* maps = e.capability_args.is_object()
                             ? spec::findKey(e.capability_args, "portMappings")
                             : nullptr;
      if (maps == nullptr || !maps->is_array() || maps->empty()) continue;
      // Expected DNAT rules: one per mapping and pod address family, a hostIP
      // mapping only for its own family (as portmap's attachmentRules).
      bool fam[2] = {false, false};  // v4, v6
      if (e.result && e.result->is_object()) {
        if (const Json* ips = spec::findKey(*e.result, "ips"); ips && ips->is_array()) {
          for (const Json& ip : *ips) {
            const Json* addr = ip.is_object() ? spec::findKey(ip, "address") : nullptr;
            if (addr == nullptr || !addr->is_string()) continue;
            if (auto p = IpPrefix::parse(addr->get<std::string>())) fam[p->isV6()] = true;
          }
        }
      }
      size_t want = 0;
      for (const Json& mp : *maps) {
        const Json* hip = mp.is_object() ? spec::findKey(mp, "hostIP") : nullptr;
        std::optional<IpAddress> host_ip;
        if (hip != nullptr && hip->is_string() && !hip->get<std::string>().empty()) {
          if (auto ip = IpAddress::parse(hip->get<std::string>())) host_ip = *ip;
        }
        for (int v6 = 0; v6 < 2; ++v6) {
          if (fam[v6] && (!host_ip || host_ip->isV6() == (v6 == 1))) ++want;
        }
      }
      if (!fam[0] && !fam[1]) want = 1;  // no cached addresses: at least one rule
      const std::string comment =
          pluginkit::hostportRuleComment(n.name(), e.container_id, e.ifname);
      const size_t have = static_cast<size_t>(
          std::count_if(s.hostport_rules.begin(), s.hostport_rules.end(),
                        [&](const auto& x) { return is_dnat(x) && x.comment == comment; }));
      if (have >= want) continue;
      if (s.xt_nat_chains.contains(referencePortmapChain(n.name(), e.container_id))) continue;
      r.add(finding(
          "kernel.portmap-missing", Severity::kWarning, a->file->path,
          "container " + e.container_id + " of network " + n.name() + " has " +
              std::to_string(have) + " of its " + std::to_string(want) +
              " hostPort DNAT rules: its hostPorts do not answer",
          "recreate the pod (its ADD adds the rules again); `cnikit "
          "--container-id " +
              e.container_id + " -i " + e.ifname + " --cap-args '{\"portMappings\":" +
              maps->dump() + "}' check " + n.name() + " " + e.netns +
              "` confirms; then find what flushed the rules (a firewall "
              "reload, `nft flush "
              "ruleset`)",
          {{.path = inNetns(s, "nft ip/ip6 cni_hostport hostports, hostip_hostports"),
            .value = std::to_string(have) + " rules with comment \"" + comment + "\""},
           {.path = a->file->path, .value = "capabilityArgs portMappings " + maps->dump()}}));
    }
  }
  // Rules (DNAT and hairpin SNAT) of dead attachments.
  const auto known = byComment(m, [](const libcni::CacheEntry& e) {
    return pluginkit::hostportRuleComment(e.network_name, e.container_id, e.ifname);
  });
  for (const nft::RuleInfo& rule : s.hostport_rules) {
    if (rule.chain != pluginkit::kHostportChain && rule.chain != pluginkit::kHostIpHostportChain &&
        rule.chain != pluginkit::kHostportMasqChain) {
      continue;
    }
    std::optional<Named> n;
    if (auto it = known.find(rule.comment); it != known.end()) {
      const auto& e = it->second->entry();
      n = Named{e.network_name, e.container_id, e.ifname};
    } else if (rule.comment.size() < pluginkit::kHostportCommentMax) {
      n = parseHostportComment(c, rule.comment);
    }
    if (!n) continue;
    std::string data_dir = dataDirOf(c, m, n->network);
    Verdict v = judge(c.opts, data_dir, *n);
    if (!v.dead) continue;
    staleFinding(c, m, s, r, "kernel.portmap-stale", "portmap",
                 "its hostPort still points at the dead pod's address: a pod later "
                 "given that address receives the traffic, and a new pod asking for "
                 "the same hostPort is shadowed by the older rule",
                 rule, *n, v, std::move(data_dir));
  }
}

}  // namespace cni::doctor::kernel
