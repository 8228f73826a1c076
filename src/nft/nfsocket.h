// src/nft/nfsocket.h — a NETLINK_NETFILTER socket speaking nf_tables: atomic batches and dumps.
//
// nf_tables only changes state inside a batch: NFNL_MSG_BATCH_BEGIN (res_id =
// NFNL_SUBSYS_NFTABLES), the messages, NFNL_MSG_BATCH_END, all in ONE sendmsg. The kernel
// processes the whole batch synchronously inside that sendmsg and commits it atomically, or
// aborts all of it if any message failed. Every message carries NLM_F_ACK, so there is one reply
// per message (an ACK, or the error for that message with the kernel's extended-ACK text); by
// the time sendmsg returns they are all queued, which is how we know we have read them all.
//
// The shared netlink::Socket (src/netlink/socket.h) sends one message per exchange, so this is a
// separate, small socket of our own; it reuses netlink::Message to build and netlink::RawMessage /
// AttrList to parse. Like every netlink socket it belongs to the network namespace of the thread
// that opened it: open it inside NetNs::run().
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/common/unique_fd.h"
#include "src/netlink/attr.h"
#include "src/netlink/message.h"

namespace cni::nft {

// One failed message of a batch.
struct BatchFailure {
  size_t index = 0;  // position in the batch (0-based, BEGIN/END not counted)
  int error = 0;     // positive errno
  std::string ext_ack;
};

class NfSocket {
 public:
  static Expected<NfSocket> open();

  NfSocket(NfSocket&&) noexcept = default;
  NfSocket& operator=(NfSocket&&) noexcept = default;

  // Sends `msgs` as one atomic batch and reads every reply. Returns the failures (empty: the
  // batch was committed). Local problems (a message that failed to build, send/recv errors, a
  // missing reply) are errors. Messages are stamped with sequence numbers and NLM_F_ACK.
  Expected<std::vector<BatchFailure>> sendBatch(std::vector<netlink::Message>& msgs);

  // A GET with NLM_F_DUMP; returns the data messages. A kernel error is an Error whose
  // `code` is kInternal, msg the errno text and details the extended ACK; the errno itself is
  // stored in *kernel_errno when given (so callers can treat ENOENT as "nothing there").
  Expected<std::vector<netlink::RawMessage>> dump(netlink::Message& req,
                                                  int* kernel_errno = nullptr);
  // The same dump without copying: `each` sees every data message (header included) while it
  // is still in the receive buffer; an error it returns ends the dump and is dumpEach's. A dump the
  // kernel marks interrupted is repeated; `restart` is called before each repetition so the caller
  // can drop what it collected.
  using DumpVisitor = std::function<Status(std::span<const uint8_t> message)>;
  Status dumpEach(netlink::Message& req, const DumpVisitor& each,
                  const std::function<void()>& restart, int* kernel_errno = nullptr);

  uint32_t portId() const { return port_id_; }

 private:
  NfSocket(UniqueFd fd, uint32_t port_id, uint32_t seq)
      : fd_(std::move(fd)), port_id_(port_id), seq_(seq) {}

  // One datagram into buf_ (blocking unless dontwait); 0 = nothing from the kernel.
  Expected<size_t> receive(bool dontwait, bool* would_block);

  UniqueFd fd_;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buf_;
};

// A fresh nf_tables request: `msg` is NFT_MSG_* (nftType() applied), nfgenmsg for `family`.
netlink::Message nftMessage(uint16_t msg, uint8_t family, uint16_t flags);

}  // namespace cni::nft
