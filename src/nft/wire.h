// src/nft/wire.h — low-level nf_tables wire helpers: constants, a TLV buffer, byte orders.
//
// nf_tables differs from rtnetlink in one way that matters everywhere: its integer attributes
// (registers, lengths, offsets, handles, hook numbers, priorities) are *big-endian* (NLA_BE32 /
// NLA_BE64), while the values compared in registers are raw bytes in whatever order the packet
// or the kernel's meta/ct/fib helpers produce (addresses and ports network order, meta l4proto a
// byte, ct state and fib addrtype a host-order u32). AttrBuf builds the attribute stream of one
// expression (NFTA_EXPR_DATA) so an expression is a self-contained value that can be compared
// byte for byte in tests and copied into any number of rules.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/nft/uapi.h"

namespace cni::nft {

// Message types added after the uapi headers this tree builds against (kernel 6.3): like DEL*
// but ENOENT is not an error, so an idempotent teardown never aborts (and never pays for) a batch.
inline constexpr uint16_t kMsgDestroyTable = 26;
inline constexpr uint16_t kMsgDestroyChain = 27;
inline constexpr uint16_t kMsgDestroyRule = 28;
inline constexpr uint16_t kMsgDestroySet = 29;
inline constexpr uint16_t kMsgDestroySetElem = 30;

// nlmsg_type of an nf_tables message: subsystem in the high byte.
constexpr uint16_t nftType(uint16_t msg) {
  return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

// libnftnl "udata" TLV types nft writes into NFTA_{TABLE,CHAIN,RULE}_USERDATA: each TLV is a
// one-byte type, a one-byte length, the value. Comments are NUL-terminated strings (<= 128 bytes
// with the NUL); nft prints them as `comment "..."`.
inline constexpr uint8_t kUdataComment = 0;  // NFTNL_UDATA_{TABLE,CHAIN,RULE}_COMMENT
inline constexpr size_t kCommentMax = 128;   // bytes of text (129 with the NUL): nft's limit

// Encodes a comment the way nft does; empty in, empty out.
std::vector<uint8_t> commentUdata(std::string_view comment);
// The comment in a userdata blob, or "" when there is none (or it is malformed).
std::string commentFromUdata(std::span<const uint8_t> udata);

uint32_t toBe32(uint32_t v);
uint64_t toBe64(uint64_t v);
uint32_t fromBe32(std::span<const uint8_t> b);  // 0 unless 4 bytes
uint64_t fromBe64(std::span<const uint8_t> b);  // 0 unless 8 bytes

// An attribute stream under construction (4-byte aligned TLVs, nests patched on close).
class AttrBuf {
 public:
  AttrBuf& putBytes(uint16_t type, std::span<const uint8_t> data);
  AttrBuf& putBe32(uint16_t type, uint32_t host_value);
  AttrBuf& putString(uint16_t type, std::string_view s);  // with its NUL
  size_t beginNest(uint16_t type);                        // NLA_F_NESTED set
  AttrBuf& endNest(size_t at);
  const std::vector<uint8_t>& bytes() const { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

// "0a000002" — lower-case hex of raw bytes, for debug text and test diagnostics.
std::string hex(std::span<const uint8_t> b);

}  // namespace cni::nft
