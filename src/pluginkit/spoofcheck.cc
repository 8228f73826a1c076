// src/pluginkit/spoofcheck.cc — the bridge plugin's MAC spoof check in `bridge nat` (see
// spoofcheck.h).
//
// Same objects, names and comments as the Go reference (pkg/link/spoofcheck.go), so either
// implementation tears down the other's rules. Two differences, both deliberate:
//   * setup is ONE batch (the reference applies two: declare the objects, then flush and fill);
//     it looks first, so a repeated setup for the same port replaces its PREROUTING jump instead
//     of appending a second one (the reference accumulates them);
//   * teardown looks first and sends nothing when nothing exists (the reference always sends
//     its chain deletions, which fail — and cost a kernel abort — when they are gone).
#include "src/pluginkit/spoofcheck.h"

#include <algorithm>

#include "src/netlink/link_set.h"
#include "src/nft/list.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"
#include "src/nft/transaction.h"

namespace cni::pluginkit {
namespace {

using nft::Family;

constexpr std::string_view kTable = "nat";
constexpr std::string_view kBaseChain = "PREROUTING";
constexpr int32_t kBasePriority = -300;  // the bridge family's "dstnat", before filtering

std::string ifaceChain(std::string_view id) { return "cni-br-iface-" + std::string(id); }
std::string macChain(std::string_view id) { return ifaceChain(id) + "-mac"; }
std::string ruleComment(std::string_view id) { return "macspoofchk-" + std::string(id); }

nft::Rule rule(std::string_view chain, std::vector<nft::Stmt> stmts, std::string_view id) {
  return nft::Rule{Family::kBridge, std::string(kTable), std::string(chain), std::move(stmts),
                   ruleComment(id)};
}

// PREROUTING rules carrying exactly this port's comment (a prefix match would also catch
// "<id>0", another container's port).
Expected<std::vector<nft::RuleInfo>> findJumpRules(nft::NfSocket& s, std::string_view id) {
  const std::string comment = ruleComment(id);
  CNI_ASSIGN_OR_RETURN(auto rules,
                       nft::findRulesByComment(s, Family::kBridge, kTable, kBaseChain, comment));
  std::erase_if(rules, [&](const nft::RuleInfo& r) { return r.comment != comment; });
  return rules;
}

void removeRule(nft::Transaction& tx, const nft::RuleInfo& r, bool destroy) {
  if (destroy) {
    tx.destroyRule(Family::kBridge, kTable, r.chain, r.handle);
  } else {
    tx.deleteRule(Family::kBridge, kTable, r.chain, r.handle);
  }
}

Status setup(std::string_view host_iface, std::string_view container_mac, std::string_view id) {
  CNI_ASSIGN_OR_RETURN(std::vector<uint8_t> mac, netlink::parseMac(container_mac));
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  CNI_ASSIGN_OR_RETURN(auto stale, findJumpRules(s, id));
  const std::string iface_chain = ifaceChain(id), mac_chain = macChain(id);

  nft::Transaction tx;
  tx.add(nft::Table{Family::kBridge, std::string(kTable), ""});
  tx.add(nft::Chain{
      Family::kBridge, std::string(kTable), std::string(kBaseChain),
      nft::BaseChain{nft::ChainType::kFilter, nft::Hook::kPrerouting, kBasePriority, false}, ""});
  tx.add(nft::Chain{Family::kBridge, std::string(kTable), iface_chain, std::nullopt, ""});
  tx.add(nft::Chain{Family::kBridge, std::string(kTable), mac_chain, std::nullopt, ""});
  tx.flushChain(Family::kBridge, kTable, iface_chain);
  tx.flushChain(Family::kBridge, kTable, mac_chain);
  const bool destroy = nft::kernelHasDestroy();
  for (const nft::RuleInfo& r : stale) removeRule(tx, r, destroy);
  tx.add(rule(kBaseChain,
              {nft::stmt::iifname(host_iface), nft::stmt::verdict(nft::Verdict::jump(iface_chain))},
              id));
  tx.add(rule(iface_chain, {nft::stmt::verdict(nft::Verdict::jump(mac_chain))}, id));
  tx.add(
      rule(mac_chain, {nft::stmt::etherSaddr(mac), nft::stmt::verdict(nft::Verdict::ret())}, id));
  tx.add(rule(mac_chain, {nft::stmt::verdict(nft::Verdict::drop())}, id));
  return tx.commit(s);
}

Status teardown(nft::NfSocket& s, std::string_view id) {
  CNI_ASSIGN_OR_RETURN(auto jumps, findJumpRules(s, id));
  CNI_ASSIGN_OR_RETURN(auto chains, nft::listChains(s, Family::kBridge, kTable));
  const std::string iface_chain = ifaceChain(id), mac_chain = macChain(id);
  auto exists = [&](const std::string& name) {
    return std::ranges::any_of(chains, [&](const nft::ChainInfo& c) { return c.name == name; });
  };

  // Order matters: the kernel refuses (EBUSY) to delete a chain that is still a jump target.
  // Deleting a chain deletes its own rules with it, so: the PREROUTING jumps (iface chain now
  // unreferenced), the iface chain (and its jump: mac chain unreferenced), the mac chain.
  const bool destroy = nft::kernelHasDestroy();
  nft::Transaction tx;
  for (const nft::RuleInfo& r : jumps) removeRule(tx, r, destroy);
  for (const std::string& c : {iface_chain, mac_chain}) {
    if (!exists(c)) continue;
    if (destroy) {
      tx.destroyChain(Family::kBridge, kTable, c);
    } else {
      tx.deleteChain(Family::kBridge, kTable, c);
    }
  }
  return tx.commit(s);  // nothing found: empty, nothing is sent
}

}  // namespace

std::string spoofCheckId(std::string_view container_id, std::string_view ifname) {
  return std::string(container_id) + "-" + std::string(ifname);
}

Status setupSpoofCheck(std::string_view host_iface, std::string_view container_mac,
                       std::string_view id) {
  CNI_TRY_CTX(setup(host_iface, container_mac, id), "failed to setup spoof-check");
  return {};
}

Status teardownSpoofCheck(nft::NfSocket& sock, std::string_view id) {
  CNI_TRY_CTX(teardown(sock, id), "failed to teardown spoof-check");
  return {};
}

Status teardownSpoofCheck(std::string_view id) {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  return teardownSpoofCheck(s, id);
}

}  // namespace cni::pluginkit
