// src/nft/list.cc — nf_tables dumps and check-first deletes (see list.h).
#include "src/nft/list.h"

#include <cerrno>
#include <optional>

#include "src/nft/transaction.h"
#include "src/nft/wire.h"

namespace cni::nft {
namespace {

using netlink::AttrList;
using netlink::RawMessage;

// Dumps `msg_type` for family `f` (NFPROTO_UNSPEC = all). ENOENT (a filter naming a missing
// table or chain) is an empty answer.
Expected<std::vector<RawMessage>> dumpAll(NfSocket& s, uint16_t msg_type, uint8_t family,
                                          std::string_view table = {},
                                          std::string_view chain = {}) {
  netlink::Message req = nftMessage(msg_type, family, 0);
  if (msg_type == NFT_MSG_GETRULE) {
    // The kernel filters rule dumps by table/chain itself.
    if (!table.empty()) req.putString(NFTA_RULE_TABLE, table);
    if (!chain.empty()) req.putString(NFTA_RULE_CHAIN, chain);
  }
  int err = 0;
  auto r = s.dump(req, &err);
  if (!r && err == ENOENT) return std::vector<RawMessage>{};
  return r;
}

std::string str(const AttrList& a, uint16_t type) {
  const netlink::Attr* x = a.find(type);
  return x ? x->str() : std::string();
}

uint64_t be64(const AttrList& a, uint16_t type) {
  const netlink::Attr* x = a.find(type);
  return x ? fromBe64(x->data) : 0;
}

std::string comment(const AttrList& a, uint16_t type) {
  const netlink::Attr* x = a.find(type);
  return x ? commentFromUdata(x->data) : std::string();
}

// The "jump <chain>" / "goto <chain>" of an immediate expression's data, if it is one.
std::optional<std::string> immediateJump(std::span<const uint8_t> data) {
  std::span<const uint8_t> imm, verdict;
  netlink::forEachAttr(data, [&](uint16_t t, std::span<const uint8_t> d) {
    if (t == NFTA_IMMEDIATE_DATA) imm = d;
  });
  netlink::forEachAttr(imm, [&](uint16_t t, std::span<const uint8_t> d) {
    if (t == NFTA_DATA_VERDICT) verdict = d;
  });
  std::optional<int32_t> code;
  std::string_view chain;
  netlink::forEachAttr(verdict, [&](uint16_t t, std::span<const uint8_t> d) {
    if (t == NFTA_VERDICT_CODE && d.size() == 4) code = static_cast<int32_t>(fromBe32(d));
    if (t == NFTA_VERDICT_CHAIN) chain = netlink::strView(d);
  });
  if (!code || chain.empty() || (*code != NFT_JUMP && *code != NFT_GOTO)) return std::nullopt;
  return std::string(*code == NFT_JUMP ? "jump " : "goto ") + std::string(chain);
}

Expected<std::pair<Family, AttrList>> parse(const RawMessage& m) {
  auto g = m.familyHeader<nfgenmsg>();
  if (!g) return fail(ErrorCode::kInternal, "truncated nf_tables message");
  CNI_ASSIGN_OR_RETURN(AttrList attrs, m.attrs(sizeof(nfgenmsg)));
  return std::pair{static_cast<Family>(g->nfgen_family), std::move(attrs)};
}

}  // namespace

std::vector<std::string> ruleJumps(const Rule& r) {
  std::vector<std::string> out;
  for (const Expr& e : r.expressions()) {
    if (e.name != "immediate") continue;
    if (auto jump = immediateJump(e.data)) out.push_back(std::move(*jump));
  }
  return out;
}

Expected<std::vector<TableInfo>> listTables(NfSocket& s, std::optional<Family> f) {
  CNI_ASSIGN_OR_RETURN(auto msgs, dumpAll(s, NFT_MSG_GETTABLE, f ? static_cast<uint8_t>(*f) : 0));
  std::vector<TableInfo> out;
  for (const RawMessage& m : msgs) {
    CNI_ASSIGN_OR_RETURN(auto p, parse(m));
    auto& [family, a] = p;
    if (f && family != *f) continue;
    out.push_back({family, str(a, NFTA_TABLE_NAME), be64(a, NFTA_TABLE_HANDLE),
                   comment(a, NFTA_TABLE_USERDATA)});
  }
  return out;
}

Expected<std::optional<TableInfo>> findTable(NfSocket& s, Family f, std::string_view table) {
  CNI_ASSIGN_OR_RETURN(auto tables, listTables(s, f));
  for (auto& t : tables) {
    if (t.name == table) return std::optional<TableInfo>(std::move(t));
  }
  return std::optional<TableInfo>();
}

Expected<std::vector<ChainInfo>> listChains(NfSocket& s, Family f, std::string_view table) {
  CNI_ASSIGN_OR_RETURN(auto msgs, dumpAll(s, NFT_MSG_GETCHAIN, static_cast<uint8_t>(f)));
  std::vector<ChainInfo> out;
  for (const RawMessage& m : msgs) {
    CNI_ASSIGN_OR_RETURN(auto p, parse(m));
    auto& [family, a] = p;
    if (family != f || str(a, NFTA_CHAIN_TABLE) != table) continue;
    ChainInfo c{family,
                std::string(table),
                str(a, NFTA_CHAIN_NAME),
                be64(a, NFTA_CHAIN_HANDLE),
                std::nullopt,
                comment(a, NFTA_CHAIN_USERDATA)};
    if (const netlink::Attr* hook = a.find(NFTA_CHAIN_HOOK)) {
      CNI_ASSIGN_OR_RETURN(AttrList h, hook->nested());
      BaseChain b;
      if (const auto* n = h.find(NFTA_HOOK_HOOKNUM)) b.hook = static_cast<Hook>(fromBe32(n->data));
      if (const auto* n = h.find(NFTA_HOOK_PRIORITY)) {
        b.priority = static_cast<int32_t>(fromBe32(n->data));
      }
      std::string type = str(a, NFTA_CHAIN_TYPE);
      b.type = type == "nat"     ? ChainType::kNat
               : type == "route" ? ChainType::kRoute
                                 : ChainType::kFilter;
      if (const auto* n = a.find(NFTA_CHAIN_POLICY)) b.policy_drop = fromBe32(n->data) == NF_DROP;
      c.base = b;
    }
    out.push_back(std::move(c));
  }
  return out;
}

Expected<std::vector<RuleInfo>> listRules(NfSocket& s, Family f, std::string_view table,
                                          std::string_view chain) {
  // Parsed straight out of the receive buffer (no copy per message, no attribute lists): a
  // node has one masquerade rule per pod, and the dump is on every ADD and DEL.
  netlink::Message req = nftMessage(NFT_MSG_GETRULE, static_cast<uint8_t>(f), 0);
  // The kernel filters rule dumps by table/chain itself.
  if (!table.empty()) req.putString(NFTA_RULE_TABLE, table);
  if (!chain.empty()) req.putString(NFTA_RULE_CHAIN, chain);
  std::vector<RuleInfo> out;
  auto each = [&](std::span<const uint8_t> m) -> Status {
    auto payload = m.subspan(NLMSG_HDRLEN);
    if (payload.size() < sizeof(nfgenmsg)) {
      return fail(ErrorCode::kInternal, "truncated nf_tables message");
    }
    const auto family = static_cast<Family>(payload[0]);  // nfgenmsg.nfgen_family
    std::string_view r_table, r_chain;
    std::span<const uint8_t> handle, udata, exprs;
    bool has_exprs = false;
    const bool ok = netlink::forEachAttr(payload.subspan(NLMSG_ALIGN(sizeof(nfgenmsg))),
                                         [&](uint16_t type, std::span<const uint8_t> d) {
                                           switch (type) {
                                             case NFTA_RULE_TABLE:
                                               r_table = netlink::strView(d);
                                               break;
                                             case NFTA_RULE_CHAIN:
                                               r_chain = netlink::strView(d);
                                               break;
                                             case NFTA_RULE_HANDLE:
                                               handle = d;
                                               break;
                                             case NFTA_RULE_USERDATA:
                                               udata = d;
                                               break;
                                             case NFTA_RULE_EXPRESSIONS:
                                               exprs = d;
                                               has_exprs = true;
                                               break;
                                             default:
                                               break;
                                           }
                                         });
    if (!ok) return fail(ErrorCode::kInternal, "malformed netlink attribute stream");
    // Filter here too: the kernel's dump filter is an optimisation we do not rely on.
    if (family != f || r_table != table || (!chain.empty() && r_chain != chain)) return {};
    RuleInfo r{family,
               std::string(r_table),
               std::string(r_chain),
               handle.empty() ? 0 : fromBe64(handle),
               udata.empty() ? std::string() : commentFromUdata(udata),
               {}};
    if (has_exprs) {
      bool elems_ok = true;
      const bool list_ok = netlink::forEachAttr(exprs, [&](uint16_t, std::span<const uint8_t> e) {
        std::string_view name;
        std::span<const uint8_t> data;
        elems_ok = netlink::forEachAttr(e,
                                        [&](uint16_t t, std::span<const uint8_t> d) {
                                          if (t == NFTA_EXPR_NAME) name = netlink::strView(d);
                                          if (t == NFTA_EXPR_DATA) data = d;
                                        }) &&
                   elems_ok;
        r.expr_names.emplace_back(name);
        if (name == "immediate") {
          if (auto jump = immediateJump(data)) r.jumps.push_back(std::move(*jump));
        }
      });
      if (!list_ok || !elems_ok) {
        return fail(ErrorCode::kInternal, "malformed netlink attribute stream");
      }
    }
    out.push_back(std::move(r));
    return {};
  };
  int err = 0;
  Status st = s.dumpEach(
      req, each, [&] { out.clear(); }, &err);
  if (!st) {
    // ENOENT (a filter naming a missing table or chain) is an empty answer.
    if (err == ENOENT) return std::vector<RuleInfo>{};
    return std::unexpected(std::move(st).error());
  }
  return out;
}

Expected<std::vector<RuleInfo>> findRulesByComment(NfSocket& s, Family f, std::string_view table,
                                                   std::string_view chain,
                                                   std::string_view prefix) {
  CNI_ASSIGN_OR_RETURN(auto rules, listRules(s, f, table, chain));
  std::vector<RuleInfo> out;
  for (auto& r : rules) {
    if (!r.comment.empty() && r.comment.starts_with(prefix)) out.push_back(std::move(r));
  }
  return out;
}

Expected<size_t> deleteRulesByComment(NfSocket& s, Family f, std::string_view table,
                                      std::string_view chain, std::string_view prefix) {
  CNI_ASSIGN_OR_RETURN(auto rules, findRulesByComment(s, f, table, chain, prefix));
  if (rules.empty()) return size_t{0};
  const bool destroy = kernelHasDestroy();
  Transaction tx;
  for (const RuleInfo& r : rules) {
    if (destroy) {
      tx.destroyRule(f, table, r.chain, r.handle);
    } else {
      tx.deleteRule(f, table, r.chain, r.handle);
    }
  }
  CNI_TRY(tx.commit(s));
  return rules.size();
}

Expected<bool> deleteTableIfExists(NfSocket& s, Family f, std::string_view table) {
  CNI_ASSIGN_OR_RETURN(auto t, findTable(s, f, table));
  if (!t) return false;
  Transaction tx;
  if (kernelHasDestroy()) {
    tx.destroyTable(f, table);
  } else {
    tx.deleteTable(f, table);
  }
  CNI_TRY(tx.commit(s));
  return true;
}

Expected<bool> deleteChainIfExists(NfSocket& s, Family f, std::string_view table,
                                   std::string_view chain) {
  CNI_ASSIGN_OR_RETURN(auto chains, listChains(s, f, table));
  bool found = false;
  for (const auto& c : chains) found = found || c.name == chain;
  if (!found) return false;
  Transaction tx;
  if (kernelHasDestroy()) {
    tx.destroyChain(f, table, chain);
  } else {
    tx.deleteChain(f, table, chain);
  }
  CNI_TRY(tx.commit(s));
  return true;
}

}  // namespace cni::nft
