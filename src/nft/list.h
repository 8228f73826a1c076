// src/nft/list.h — reading nf_tables state back (dumps) and check-first teardown helpers.
//
// Teardown must never send a batch that fails: the kernel's abort path costs a synchronize_rcu
// (~5 ms, docs kernel-floor). So the *IfExists / ByComment helpers look first and send nothing
// when there is nothing to delete. A concurrent deleter could still win the race between the
// look and the delete; on kernels with DESTROY messages (>= 6.3) the helpers use them, so even
// that race does not fail the batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"

namespace cni::nft {

struct TableInfo {
  Family family = Family::kInet;
  std::string name;
  uint64_t handle = 0;
  std::string comment;
};

struct ChainInfo {
  Family family = Family::kInet;
  std::string table;
  std::string name;
  uint64_t handle = 0;
  std::optional<BaseChain> base;
  std::string comment;
};

struct RuleInfo {
  Family family = Family::kInet;
  std::string table;
  std::string chain;
  uint64_t handle = 0;
  std::string comment;
  std::vector<std::string> expr_names;  // "payload", "cmp", ... in order
  // The chains of the rule's jump/goto verdicts (immediate expressions), in order, as
  // Verdict::text() writes them: "jump hostports", "goto masq_checks".
  std::vector<std::string> jumps;
};

// The `jumps` listRules reports for `r` once it is added (from its immediate verdicts).
std::vector<std::string> ruleJumps(const Rule& r);

// All tables (of one family, if given).
Expected<std::vector<TableInfo>> listTables(NfSocket& s, std::optional<Family> f = std::nullopt);
Expected<std::optional<TableInfo>> findTable(NfSocket& s, Family f, std::string_view table);
// Chains of a table; empty when the table does not exist.
Expected<std::vector<ChainInfo>> listChains(NfSocket& s, Family f, std::string_view table);
// Rules of a table, or of one chain of it ("" = all chains), in chain order; empty when the
// table or chain does not exist.
Expected<std::vector<RuleInfo>> listRules(NfSocket& s, Family f, std::string_view table,
                                          std::string_view chain = {});
// Rules whose comment starts with `prefix`.
Expected<std::vector<RuleInfo>> findRulesByComment(NfSocket& s, Family f, std::string_view table,
                                                   std::string_view chain, std::string_view prefix);

// Deletes (in one batch) the rules findRulesByComment returns; returns how many. Sends nothing
// when there are none.
Expected<size_t> deleteRulesByComment(NfSocket& s, Family f, std::string_view table,
                                      std::string_view chain, std::string_view prefix);
// Deletes the table (with everything in it) if it exists; returns whether it did.
Expected<bool> deleteTableIfExists(NfSocket& s, Family f, std::string_view table);
// Deletes the chain if it exists. The kernel refuses (EBUSY) a chain that still has rules or
// is a jump/goto target: flush/delete those first.
Expected<bool> deleteChainIfExists(NfSocket& s, Family f, std::string_view table,
                                   std::string_view chain);

}  // namespace cni::nft
