// src/nft/transaction.h — a list of nf_tables changes applied as ONE atomic batch.
//
// Build a Transaction from model values (add/flush/delete/destroy), then commit() it through an
// NfSocket: all of it happens, or — if the kernel refuses any message — none of it. render()
// gives the same changes as nft-like text ("add rule inet t c ip saddr 10.0.0.2 masquerade"),
// which is what unit tests compare, without root.
//
// Semantics match the nft commands of the same name: `add` of a table/chain/set that exists is
// not an error (NLM_F_CREATE without NLM_F_EXCL) — but a rule `add` always appends another rule;
// `delete` of something missing fails the WHOLE batch with ENOENT (and the kernel's abort costs
// ~5 ms, see docs kernel-floor): check first (list.h helpers) or use destroy* (kernel >= 6.3),
// which succeed when the object is already gone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/netlink/message.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"

namespace cni::nft {

class Transaction {
 public:
  Transaction& add(const Table& t);
  Transaction& add(const Chain& c);
  Transaction& add(const Set& s);   // the set/map and, if any, its elements
  Transaction& add(const Rule& r);  // appended at the end of r.chain
  Transaction& addElements(const Set& s);
  Transaction& deleteElements(const Set& s);
  Transaction& flushChain(Family f, std::string_view table, std::string_view chain);

  Transaction& deleteTable(Family f, std::string_view table);
  Transaction& deleteChain(Family f, std::string_view table, std::string_view chain);
  Transaction& deleteSet(Family f, std::string_view table, std::string_view set);
  Transaction& deleteRule(Family f, std::string_view table, std::string_view chain,
                          uint64_t handle);
  // As delete*, but a missing object is not an error (kernel >= 6.3, see kernelHasDestroy()).
  Transaction& destroyTable(Family f, std::string_view table);
  Transaction& destroyChain(Family f, std::string_view table, std::string_view chain);
  Transaction& destroyRule(Family f, std::string_view table, std::string_view chain,
                           uint64_t handle);

  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

  // One nft-like line per operation, each ending in '\n'.
  std::string render() const;
  // The encoded messages, in order (not yet stamped with sequence numbers).
  std::vector<netlink::Message> messages() const;

  // Sends everything as one batch. On refusal: ErrorCode::kInternal, msg "nftables: <errno
  // text>", details "<failing operation's text>: <errno text> (<kernel ext-ack text>)" for every
  // failed message, '; ' separated. An empty transaction sends nothing.
  Status commit(NfSocket& sock) const;

 private:
  struct Op {
    std::string text;
    netlink::Message msg;
  };
  void push(std::string text, netlink::Message msg);

  std::vector<Op> ops_;
  uint32_t next_set_id_ = 1;
};

// Whether the running kernel knows NFT_MSG_DESTROY* (Linux >= 6.3).
bool kernelHasDestroy();

}  // namespace cni::nft
