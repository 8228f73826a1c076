// src/pluginkit/masq.cc — IP masquerade rules in `inet cni_plugins_masquerade` (see masq.h).
//
// The layout, the comments and the hash-prefixed rule comments are those of the Go reference's
// nftables backend, so a node can switch between the two implementations in either direction:
// each finds (and tears down, and garbage-collects) the other's rules by comment prefix. Every
// operation looks first (one dump) and then changes everything in one atomic batch; teardown and
// GC send no batch at all when there is nothing to remove (a failing or even an empty change is
// not free, see docs kernel-floor).
#include "src/pluginkit/masq.h"

#include <algorithm>
#include <unordered_set>

#include "src/common/sha512.h"
#include "src/nft/list.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"
#include "src/nft/transaction.h"
#include "src/nft/wire.h"

namespace cni::pluginkit {
namespace {

using nft::Family;

constexpr std::string_view kTableComment =
    "Masquerading for plugins from github.com/containernetworking/plugins";
constexpr std::string_view kChainComment =
    "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";
constexpr std::string_view kPostrouting = "postrouting";
// knftables.CommentLengthMax, which is also nft's own limit (NFTNL_UDATA_COMMENT_MAXLEN: 128
// characters, stored with a NUL). The reference cuts the comment there, and GC compares whole
// comments, so ours must be cut at exactly the same byte.
constexpr size_t kCommentLengthMax = 128;

// utils.MustFormatHashWithPrefix(16, "", s): the first 16 hex digits of SHA-512.
std::string hash16(std::string_view s) { return sha512Hex(s).substr(0, 16); }

std::string withoutQuotes(std::string_view s) {
  std::string out(s);
  std::erase(out, '"');
  return out;
}

// The instance's (or network's) rules in masq_checks — the only chain the reference searches.
Expected<std::vector<nft::RuleInfo>> findMasqRules(nft::NfSocket& s, std::string_view prefix) {
  return nft::findRulesByComment(s, Family::kInet, kMasqTable, kMasqChain, prefix);
}

// Rules found by a dump just now; DESTROY (kernel >= 6.3) keeps a concurrent deleter winning
// the race from failing our whole batch.
void removeRule(nft::Transaction& tx, const nft::RuleInfo& r) {
  if (nft::kernelHasDestroy()) {
    tx.destroyRule(Family::kInet, kMasqTable, r.chain, r.handle);
  } else {
    tx.deleteRule(Family::kInet, kMasqTable, r.chain, r.handle);
  }
}

nft::Rule rule(std::string_view chain, std::vector<nft::Stmt> stmts, std::string comment = {}) {
  return nft::Rule{Family::kInet, std::string(kMasqTable), std::string(chain), std::move(stmts),
                   std::move(comment)};
}

}  // namespace

std::string masqNetworkHash(std::string_view network) { return hash16(network); }

std::string masqInstanceHash(std::string_view network, std::string_view ifname,
                             std::string_view container_id) {
  std::string key(ifname);
  key += ':';
  key += container_id;
  return masqNetworkHash(network) + "-" + hash16(key);
}

std::string masqComment(std::string_view network, std::string_view ifname,
                        std::string_view container_id) {
  std::string c = masqInstanceHash(network, ifname, container_id) +
                  ", net: " + withoutQuotes(network) + ", if: " + withoutQuotes(ifname) +
                  ", id: " + withoutQuotes(container_id);
  if (c.size() > kCommentLengthMax) c.resize(kCommentLengthMax);
  return c;
}

namespace {

// postrouting's three rules, in order.
std::vector<nft::Rule> postroutingRules() {
  return {rule(kPostrouting, {nft::stmt::daddr(*IpPrefix::parse("224.0.0.0/4")),
                              nft::stmt::verdict(nft::Verdict::ret())}),
          rule(kPostrouting, {nft::stmt::daddr(*IpPrefix::parse("ff00::/8")),
                              nft::stmt::verdict(nft::Verdict::ret())}),
          rule(kPostrouting, {nft::stmt::verdict(nft::Verdict::goTo(kMasqChain))})};
}

// Whether postrouting already holds exactly those rules (compared by expression sequence and
// jump/goto targets).
bool postroutingIntact(const std::vector<nft::RuleInfo>& table_rules) {
  const std::vector<nft::Rule> want = postroutingRules();
  size_t i = 0;
  for (const nft::RuleInfo& r : table_rules) {
    if (r.chain != kPostrouting) continue;
    if (i == want.size()) return false;
    std::vector<std::string> names;
    for (const nft::Expr& e : want[i].expressions()) names.push_back(e.name);
    if (names != r.expr_names || nft::ruleJumps(want[i]) != r.jumps) return false;
    ++i;
  }
  return i == want.size();
}

Status setup(std::string_view network, std::string_view ifname, std::string_view container_id,
             const std::vector<IpPrefix>& addresses) {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  // One dump of the whole table: this instance's stale rules and the state of postrouting.
  CNI_ASSIGN_OR_RETURN(auto table_rules, nft::listRules(s, Family::kInet, kMasqTable));
  const std::string instance = masqInstanceHash(network, ifname, container_id);
  std::vector<nft::RuleInfo> stale;
  for (const nft::RuleInfo& r : table_rules) {
    if (r.chain == kMasqChain && r.comment.starts_with(instance)) stale.push_back(r);
  }

  nft::Transaction tx;
  // The reference flushes and rewrites postrouting on every ADD, so a damaged or older chain is
  // repaired. We do that only when it is not already right: a batch that deletes anything
  // makes the closing of the nf_tables socket wait for a grace period (~10 ms per ADD, docs
  // kernel-floor); intact, the batch only adds.
  if (!postroutingIntact(table_rules)) {
    tx.add(nft::Table{Family::kInet, std::string(kMasqTable), std::string(kTableComment)});
    // masq_checks first: postrouting's goto needs it, and `nft list` shows chains in creation
    // order, as for the reference.
    tx.add(nft::Chain{Family::kInet, std::string(kMasqTable), std::string(kMasqChain), std::nullopt,
                      std::string(kChainComment)});
    tx.add(nft::Chain{
        Family::kInet, std::string(kMasqTable), std::string(kPostrouting),
        nft::BaseChain{nft::ChainType::kNat, nft::Hook::kPostrouting, nft::kPrioSrcnat, false},
        ""});
    tx.flushChain(Family::kInet, kMasqTable, kPostrouting);
    for (const nft::Rule& r : postroutingRules()) tx.add(r);
  }

  for (const nft::RuleInfo& r : stale) removeRule(tx, r);
  const std::string comment = masqComment(network, ifname, container_id);
  for (const IpPrefix& a : addresses) {
    // "ip saddr <pod ip> ip daddr != <its subnet> masquerade" (ip6 for IPv6; a v4-mapped
    // address counts as IPv4, as Go's To4() has it — the stmt builders unmap).
    tx.add(rule(kMasqChain,
                {nft::stmt::saddr(a.address()), nft::stmt::daddr(a.network(), nft::CmpOp::kNeq),
                 nft::stmt::masquerade()},
                comment));
  }
  return tx.commit(s);
}

Expected<size_t> gc(std::string_view network, const std::vector<Attachment>& valid) {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  CNI_ASSIGN_OR_RETURN(auto found, findMasqRules(s, masqNetworkHash(network)));
  if (found.empty()) return size_t{0};

  std::unordered_set<std::string> keep;
  for (const Attachment& a : valid) {
    keep.insert(masqComment(network, a.ifname, a.container_id));
  }
  nft::Transaction tx;
  size_t removed = 0;
  for (const nft::RuleInfo& r : found) {
    if (keep.contains(r.comment)) continue;
    removeRule(tx, r);
    ++removed;
  }
  CNI_TRY(tx.commit(s));  // an empty transaction sends nothing
  return removed;
}

}  // namespace

Status setupIpMasq(std::string_view network, std::string_view ifname, std::string_view container_id,
                   const std::vector<IpPrefix>& addresses) {
  CNI_TRY_CTX(setup(network, ifname, container_id, addresses), "failed to set up IP masquerade");
  return {};
}

Status teardownIpMasq(std::string_view network, std::string_view ifname,
                      std::string_view container_id) {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  return teardownIpMasq(s, network, ifname, container_id);
}

Status teardownIpMasq(nft::NfSocket& s, std::string_view network, std::string_view ifname,
                      std::string_view container_id) {
  // Finds first and sends nothing when there is nothing to delete.
  CNI_TRY_CTX(nft::deleteRulesByComment(s, Family::kInet, kMasqTable, kMasqChain,
                                        masqInstanceHash(network, ifname, container_id)),
              "failed to tear down IP masquerade");
  return {};
}

Expected<size_t> gcIpMasq(std::string_view network, const std::vector<Attachment>& valid) {
  auto n = gc(network, valid);
  if (!n)
    return std::unexpected(
        std::move(n).error().withContext("failed to garbage-collect IP masquerade rules"));
  return n;
}

}  // namespace cni::pluginkit
