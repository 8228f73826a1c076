// plugins/meta/portmap_rules.cc — portmap's nftables rules (layout in portmap.h): building them,
// adding them in one batch per family, checking and removing them by comment.
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "plugins/meta/portmap.h"
#include "src/netlink/link.h"
#include "src/netlink/route.h"
#include "src/netlink/socket.h"
#include "src/nft/list.h"
#include "src/nft/transaction.h"
#include "src/sysctl/sysctl.h"

namespace cni::plugins::portmap {
namespace {

using nft::Family;

constexpr std::string_view kPrerouting = "prerouting";
constexpr std::string_view kOutput = "output";
constexpr std::string_view kOurChains[] = {kHostPortsChain, kHostIpHostPortsChain, kMasqChain};

Family familyOf(const IpPrefix& p) { return p.isV4() ? Family::kIp : Family::kIp6; }

// One netlink attribute carrying a big-endian u32 (how nf_tables expression attributes are sent).
void putBe32Attr(std::vector<uint8_t>& out, uint16_t type, uint32_t v) {
  const uint16_t len = 8;
  const uint32_t be = htonl(v);
  uint8_t buf[8];
  std::memcpy(buf, &len, 2);
  std::memcpy(buf + 2, &type, 2);
  std::memcpy(buf + 4, &be, 4);
  out.insert(out.end(), buf, buf + 8);
}

// "ct status dnat": the connection was destination-NATed (by one of our rules, since only
// those connections reach the container address through the node). This is what the iptables
// backend's SETMARK achieves: masquerade only the port-mapped connections, never plain pod
// traffic (which, with br_netfilter, also crosses postrouting).
nft::Stmt ctStatusDnat() {
  std::vector<uint8_t> data;
  putBe32Attr(data, NFTA_CT_DREG, nft::expr::kReg1);
  putBe32Attr(data, NFTA_CT_KEY, NFT_CT_STATUS);
  const uint32_t mask = IPS_DST_NAT;  // host order, as ct reports status
  const uint32_t zero = 0;
  nft::Stmt s;
  s.text = "ct status dnat";
  s.exprs = {
      nft::Expr{"ct", data, "[ ct load status => reg 1 ]"},
      nft::expr::bitwise(std::span(reinterpret_cast<const uint8_t*>(&mask), 4)),
      nft::expr::cmp(nft::CmpOp::kNeq, std::span(reinterpret_cast<const uint8_t*>(&zero), 4))};
  return s;
}

nft::Rule rule(Family f, std::string_view chain, std::vector<nft::Stmt> stmts,
               std::string_view comment = {}) {
  return nft::Rule{.family = f,
                   .table = std::string(kTable),
                   .chain = std::string(chain),
                   .stmts = std::move(stmts),
                   .comment = std::string(comment)};
}

// This attachment's rules for one family, in the order they are added.
std::vector<nft::Rule> attachmentRules(const PortMapConf& c, const IpPrefix& container,
                                       std::string_view comment) {
  const Family f = familyOf(container);
  const IpAddress& ip = container.address();
  std::vector<nft::Rule> out;
  for (const PortMapping& m : c.mappings) {
    bool use_host_ip = false;
    if (m.host_ip) {
      if (m.host_ip->isV4() != ip.isV4()) continue;  // the other family's mapping
      use_host_ip = !m.host_ip->isUnspecified();
    }
    std::vector<nft::Stmt> stmts;
    if (use_host_ip) stmts.push_back(nft::stmt::daddr(*m.host_ip));
    stmts.push_back(nft::stmt::dport(m.proto, static_cast<uint16_t>(m.host_port)));
    stmts.push_back(nft::stmt::dnat(ip, static_cast<uint16_t>(m.container_port)));
    out.push_back(
        rule(f, use_host_ip ? kHostIpHostPortsChain : kHostPortsChain, std::move(stmts), comment));
  }
  if (c.snat && !out.empty()) {
    // Hairpin: a pod of the same subnet (or this one) reaching the pod through a node address
    // must see the reply come back from the node, so its source is rewritten. masqAll: any
    // source (macvlan/ipvlan, where the node is not on the pod's L2 path).
    std::vector<nft::Stmt> hairpin;
    if (!c.masq_all) hairpin.push_back(nft::stmt::saddr(container.network()));
    hairpin.push_back(nft::stmt::daddr(ip));
    hairpin.push_back(ctStatusDnat());
    hairpin.push_back(nft::stmt::masquerade());
    out.push_back(rule(f, kMasqChain, std::move(hairpin), comment));
    if (ip.isV4() && !c.masq_all) {
      // Localhost: 127.0.0.1 cannot be a source on the wire.
      out.push_back(rule(f, kMasqChain,
                         {nft::stmt::saddr(*IpAddress::parse("127.0.0.1")), nft::stmt::daddr(ip),
                          nft::stmt::masquerade()},
                         comment));
    }
  }
  return out;
}

bool ours(std::string_view chain) {
  return std::ranges::find(kOurChains, chain) != std::end(kOurChains);
}

std::vector<std::string> exprNames(const nft::Rule& r) {
  std::vector<std::string> names;
  for (const nft::Expr& e : r.expressions()) names.push_back(e.name);
  return names;
}

}  // namespace

namespace {

// The chains forwardPorts makes, with their base-chain settings (nullopt: a regular chain).
struct ChainSpec {
  std::string_view name;
  std::optional<nft::BaseChain> base;
};
std::vector<ChainSpec> ourChainSpecs() {
  const auto nat = [](nft::Hook hook, int32_t prio) {
    return nft::BaseChain{.type = nft::ChainType::kNat, .hook = hook, .priority = prio};
  };
  return {{kHostPortsChain, std::nullopt},
          {kHostIpHostPortsChain, std::nullopt},
          {kPrerouting, nat(nft::Hook::kPrerouting, nft::kPrioDstnat)},
          {kOutput, nat(nft::Hook::kOutput, nft::kPrioDstnat)},
          {kMasqChain, nat(nft::Hook::kPostrouting, nft::kPrioSrcnat)}};
}

// The two jumps of an entry chain (prerouting, output), in order.
std::vector<nft::Rule> entryRules(Family f, std::string_view chain) {
  return {
      rule(f, chain, {nft::stmt::verdict(nft::Verdict::jump(kHostIpHostPortsChain))}),
      rule(f, chain,
           {nft::stmt::fibDaddrLocal(), nft::stmt::verdict(nft::Verdict::jump(kHostPortsChain))})};
}

// Whether the table already has every chain as forwardPorts makes it and the entry chains hold
// exactly their two jumps (compared by expression sequence and jump targets).
bool layoutIntact(Family f, const std::vector<nft::ChainInfo>& chains,
                  const std::vector<nft::RuleInfo>& rules) {
  for (const ChainSpec& want : ourChainSpecs()) {
    auto it = std::ranges::find(chains, want.name, &nft::ChainInfo::name);
    if (it == chains.end() || it->base != want.base) return false;
  }
  for (std::string_view chain : {kPrerouting, kOutput}) {
    const std::vector<nft::Rule> want = entryRules(f, chain);
    size_t i = 0;
    for (const nft::RuleInfo& r : rules) {
      if (r.chain != chain) continue;
      if (i == want.size() || r.expr_names != exprNames(want[i]) ||
          r.jumps != nft::ruleJumps(want[i])) {
        return false;
      }
      ++i;
    }
    if (i != want.size()) return false;
  }
  return true;
}

}  // namespace

Status forwardPorts(nft::NfSocket& sock, const PortMapConf& c, const IpPrefix& container,
                    std::string_view comment) {
  const Family f = familyOf(container);
  const std::string table(kTable);
  CNI_ASSIGN_OR_RETURN(auto existing, nft::listRules(sock, f, table));
  CNI_ASSIGN_OR_RETURN(auto chains, nft::listChains(sock, f, table));
  nft::Transaction tx;
  // The entry chains are rewritten (as the Go plugin does on every ADD) unless the table is
  // already exactly as we make it, so a node whose chains were edited by hand or by an older
  // version converges. Rewriting every time is not free: re-adding an existing chain and
  // flushing one both leave work for nf_tables' deferred destroy, and the plugin's exit then
  // waits a whole RCU grace period for it when it closes its socket (8-20 ms per ADD,
  // measured; docs kernel-floor). Intact, the batch only adds this attachment's rules.
  if (!layoutIntact(f, chains, existing)) {
    tx.add(nft::Table{.family = f, .name = table, .comment = "CNI portmap plugin"});
    tx.add(nft::Chain{.family = f, .table = table, .name = std::string(kHostPortsChain)});
    tx.add(nft::Chain{.family = f, .table = table, .name = std::string(kHostIpHostPortsChain)});
    for (auto [name, hook] :
         {std::pair{kPrerouting, nft::Hook::kPrerouting}, std::pair{kOutput, nft::Hook::kOutput}}) {
      tx.add(nft::Chain{
          .family = f,
          .table = table,
          .name = std::string(name),
          .base = nft::BaseChain{
              .type = nft::ChainType::kNat, .hook = hook, .priority = nft::kPrioDstnat}});
      tx.flushChain(f, table, name);
      for (const nft::Rule& r : entryRules(f, name)) tx.add(r);
    }
    tx.add(nft::Chain{.family = f,
                      .table = table,
                      .name = std::string(kMasqChain),
                      .base = nft::BaseChain{.type = nft::ChainType::kNat,
                                             .hook = nft::Hook::kPostrouting,
                                             .priority = nft::kPrioSrcnat}});
  }
  // A repeated ADD of the same attachment replaces its rules instead of doubling them.
  for (const nft::RuleInfo& r : existing) {
    if (ours(r.chain) && r.comment == comment) tx.deleteRule(f, table, r.chain, r.handle);
  }
  for (const nft::Rule& r : attachmentRules(c, container, comment)) tx.add(r);
  if (Status s = tx.commit(sock); !s) {
    Error e = s.error();
    e.withContext("unable to set up nftables rules for port mappings");
    return fail(std::move(e));
  }
  return {};
}

Status checkPorts(nft::NfSocket& sock, const PortMapConf& c, const IpPrefix& container,
                  std::string_view comment) {
  const Family f = familyOf(container);
  CNI_ASSIGN_OR_RETURN(auto existing, nft::listRules(sock, f, kTable));
  std::vector<bool> used(existing.size(), false);
  for (const nft::Rule& want : attachmentRules(c, container, comment)) {
    const auto names = exprNames(want);
    bool found = false;
    for (size_t i = 0; i < existing.size() && !found; ++i) {
      const nft::RuleInfo& r = existing[i];
      if (used[i] || r.chain != want.chain || r.comment != comment) continue;
      if (r.expr_names != names) continue;
      used[i] = found = true;
    }
    if (!found) {
      return fail(ErrorCode::kInternal, "missing hostport rules in \"" + want.chain + "\" chain",
                  want.text());
    }
  }
  // The entry jumps: without them nothing reaches our chains.
  for (std::string_view base : {kPrerouting, kOutput}) {
    size_t jumps = 0;
    for (const nft::RuleInfo& r : existing) jumps += r.chain == base;
    if (jumps < 2) {
      return fail(ErrorCode::kInternal,
                  "missing hostport rules in \"" + std::string(base) + "\" chain");
    }
  }
  return {};
}

Expected<size_t> unforwardPorts(nft::NfSocket& sock, std::string_view comment,
                                std::string_view container_id) {
  size_t removed = 0;
  for (Family f : {Family::kIp, Family::kIp6}) {
    CNI_ASSIGN_OR_RETURN(auto existing, nft::listRules(sock, f, kTable));
    nft::Transaction tx;
    for (const nft::RuleInfo& r : existing) {
      if (!ours(r.chain)) continue;
      if (r.comment == comment || (!container_id.empty() && r.comment == container_id)) {
        tx.deleteRule(f, kTable, r.chain, r.handle);
      }
    }
    if (tx.empty()) continue;  // never send a batch that has nothing (or could fail)
    if (Status s = tx.commit(sock); !s) {
      Error e = s.error();
      e.withContext("error deleting nftables rules");
      return fail(std::move(e));
    }
    removed += tx.size();
  }
  return removed;
}

Expected<size_t> gcPorts(nft::NfSocket& sock, std::string_view network,
                         const std::vector<pluginkit::Attachment>& valid) {
  std::set<std::string> keep;
  for (const pluginkit::Attachment& a : valid) {
    keep.insert(ruleComment(network, a.container_id, a.ifname));
  }
  const std::string prefix = pluginkit::hostportNetworkPrefix(network);
  size_t removed = 0;
  for (Family f : {Family::kIp, Family::kIp6}) {
    CNI_ASSIGN_OR_RETURN(auto existing, nft::listRules(sock, f, kTable));
    nft::Transaction tx;
    for (const nft::RuleInfo& r : existing) {
      if (!ours(r.chain) || !r.comment.starts_with(prefix) || keep.contains(r.comment)) continue;
      // A comment cut at 128 bytes cannot be told apart from a valid one: keep it.
      if (r.comment.size() >= 128) continue;
      tx.deleteRule(f, kTable, r.chain, r.handle);
    }
    if (tx.empty()) continue;
    if (Status s = tx.commit(sock); !s) {
      Error e = s.error();
      e.withContext("error deleting nftables rules");
      return fail(std::move(e));
    }
    removed += tx.size();
  }
  return removed;
}

Status enableLocalnetRouting(const IpAddress& container) {
  CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
  CNI_ASSIGN_OR_RETURN(auto routes,
                       netlink::listRoutes(sock, {.family = IpFamily::kV4, .table = 254}));
  const netlink::Route* best = nullptr;
  for (const netlink::Route& r : routes) {
    if (r.dev == 0 || !r.dst.contains(container)) continue;
    if (!best || r.dst.length() > best->dst.length()) best = &r;
  }
  if (!best) return {};  // no route: nothing can reach the pod from here anyway
  CNI_ASSIGN_OR_RETURN(netlink::Link link, netlink::getLinkByIndex(sock, best->dev));
  Status s = sysctl::set(sysctl::ifaceKey(IpFamily::kV4, link.name, "route_localnet"), "1");
  if (!s) {
    Error e = s.error();
    e.withContext("unable to enable route_localnet");
    return fail(std::move(e));
  }
  return {};
}

}  // namespace cni::plugins::portmap
