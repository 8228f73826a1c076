// src/nft/expr.h — nf_tables expressions (the kernel's VM instructions) and statements.
//
// Two levels:
//   * Expr — one kernel expression ("payload", "cmp", "lookup", ...) with its NFTA_EXPR_DATA
//     attributes already encoded, plus a libnftnl-style debug line
//     ("[ payload load 4b @ network header + 12 => reg 1 ]"). The expr:: builders make them.
//   * Stmt — what one piece of nft syntax means ("ip saddr 10.0.0.2", "tcp dport 8080",
//     "masquerade"): the nft-like text and the expressions that implement it, in the order nft
//     itself generates them, so that `nft list ruleset` decodes our rules back into the same text.
//     The stmt:: builders make them.
//
// Matches on an L3 header carry the family they need (Stmt::nfproto): in inet/bridge/netdev
// tables the rule encoder prefixes the first such match with `meta nfproto ipv4|ipv6`, exactly
// the dependency nft adds itself (without it nft lists the match as raw payload).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/ip.h"
#include "src/nft/uapi.h"

namespace cni::nft {

struct Expr {
  std::string name;           // NFTA_EXPR_NAME
  std::vector<uint8_t> data;  // contents of NFTA_EXPR_DATA (empty: attribute omitted)
  std::string debug;          // libnftnl-style one-line description

  bool operator==(const Expr&) const = default;
};

enum class CmpOp : uint32_t { kEq = NFT_CMP_EQ, kNeq = NFT_CMP_NEQ };
enum class PayloadBase : uint32_t {
  kLink = NFT_PAYLOAD_LL_HEADER,
  kNetwork = NFT_PAYLOAD_NETWORK_HEADER,
  kTransport = NFT_PAYLOAD_TRANSPORT_HEADER,
};
enum class NatType : uint32_t { kSnat = NFT_NAT_SNAT, kDnat = NFT_NAT_DNAT };

struct Verdict {
  enum class Kind { kAccept, kDrop, kReturn, kJump, kGoto, kContinue };
  Kind kind = Kind::kAccept;
  std::string chain;  // kJump / kGoto only

  static Verdict accept() { return {Kind::kAccept, {}}; }
  static Verdict drop() { return {Kind::kDrop, {}}; }
  static Verdict ret() { return {Kind::kReturn, {}}; }
  static Verdict jump(std::string_view c) { return {Kind::kJump, std::string(c)}; }
  static Verdict goTo(std::string_view c) { return {Kind::kGoto, std::string(c)}; }
  int32_t code() const;      // NF_ACCEPT, NF_DROP, NFT_RETURN, NFT_JUMP, NFT_GOTO, NFT_CONTINUE
  std::string text() const;  // "accept", "jump masq_checks", ...
};

// ct state bits as the kernel's ct expression reports them (host-order u32).
inline constexpr uint32_t kCtStateInvalid = 1u << 0;
inline constexpr uint32_t kCtStateEstablished = 1u << 1;
inline constexpr uint32_t kCtStateRelated = 1u << 2;
inline constexpr uint32_t kCtStateNew = 1u << 3;
inline constexpr uint32_t kCtStateUntracked = 1u << 6;

namespace expr {

inline constexpr uint32_t kReg1 = NFT_REG_1;
inline constexpr uint32_t kReg2 = NFT_REG_2;

Expr payload(PayloadBase base, uint32_t offset, uint32_t len, uint32_t dreg = kReg1);
Expr meta(uint32_t key, uint32_t dreg = kReg1);  // NFT_META_L4PROTO, NFT_META_IIFNAME, ...
Expr cmp(CmpOp op, std::span<const uint8_t> value, uint32_t sreg = kReg1);
// dreg = (sreg & mask) ^ 0 over mask.size() bytes (NFT_BITWISE_BOOL).
Expr bitwise(std::span<const uint8_t> mask, uint32_t sreg = kReg1, uint32_t dreg = kReg1);
// Set membership of sreg (a named set of the rule's table); invert: "not in set".
Expr lookup(std::string_view set, bool invert = false, uint32_t sreg = kReg1);
Expr immediate(const Verdict& v);
Expr immediate(std::span<const uint8_t> value, uint32_t dreg);
Expr fibDaddrType(uint32_t dreg = kReg1);  // RTN_* of the destination address, host-order u32
Expr ctState(uint32_t dreg = kReg1);
Expr masq();
// nfproto: NFPROTO_IPV4 / NFPROTO_IPV6; port_reg 0 = keep the port.
Expr nat(NatType type, uint8_t nfproto, uint32_t addr_reg, uint32_t port_reg = 0);
Expr counter();
// An x_tables match run by nft_compat (what iptables-nft emits for `-m comment`, `-m conntrack`):
// NFTA_MATCH_NAME / _REV / _INFO, `info` being the match's struct, zero-padded to 8 bytes as
// the kernel's XT_ALIGN(matchsize) check demands.
Expr xtMatch(std::string_view name, uint32_t rev, std::span<const uint8_t> info);

}  // namespace expr

struct Stmt {
  std::string text;       // nft syntax
  std::string inet_text;  // nft syntax in inet tables, when it differs ("dnat ip to ...")
  std::vector<Expr> exprs;
  uint8_t nfproto = 0;  // NFPROTO_IPV4 / NFPROTO_IPV6 for L3 header matches, else 0

  bool operator==(const Stmt&) const = default;
};

// Packet fields usable with stmt::inSet (and the key type a set needs for them).
enum class Field { kIpSaddr, kIpDaddr, kIp6Saddr, kIp6Daddr, kTcpDport, kUdpDport };

namespace stmt {

// "ip saddr 10.0.0.2" / "ip6 saddr fd00::2" (family from the address), with != for kNeq.
Stmt saddr(const IpAddress& a, CmpOp op = CmpOp::kEq);
Stmt daddr(const IpAddress& a, CmpOp op = CmpOp::kEq);
// "ip daddr != 10.0.0.0/24": a prefix match (host bits of `p` are ignored). Full-length
// prefixes become plain address matches.
Stmt saddr(const IpPrefix& p, CmpOp op = CmpOp::kEq);
Stmt daddr(const IpPrefix& p, CmpOp op = CmpOp::kEq);
// "meta l4proto tcp"
Stmt l4proto(uint8_t proto);
// "tcp dport 8080" / "udp dport 53" (proto IPPROTO_TCP / IPPROTO_UDP / IPPROTO_SCTP).
Stmt dport(uint8_t proto, uint16_t port, CmpOp op = CmpOp::kEq);
// `iifname "eth0"` / `oifname != "cni0"`.
Stmt iifname(std::string_view name, CmpOp op = CmpOp::kEq);
Stmt oifname(std::string_view name, CmpOp op = CmpOp::kEq);
// "meta nfproto ipv4"
Stmt nfproto(uint8_t proto);
// "ether saddr 0a:58:0a:00:00:05" / "ether daddr != ...": the link-layer header, as matched in
// bridge-family tables (where nft adds no dependency for it). `mac` must be 6 bytes (parse text
// with netlink::parseMac first).
Stmt etherSaddr(std::span<const uint8_t> mac, CmpOp op = CmpOp::kEq);
Stmt etherDaddr(std::span<const uint8_t> mac, CmpOp op = CmpOp::kEq);
// "ip saddr @allowed" / "tcp dport != @ports"
Stmt inSet(Field f, std::string_view set, bool invert = false);
// "fib daddr type local"
Stmt fibDaddrLocal();
// "ct state established,related"
Stmt ctState(uint32_t bits);
// "accept", "drop", "return", "jump c", "goto c"
Stmt verdict(const Verdict& v);
Stmt masquerade();
// "snat to 10.0.0.1" / "dnat to 10.0.0.2:80" (IPv6: "dnat to [fd00::2]:80").
Stmt snat(const IpAddress& to, std::optional<uint16_t> port = std::nullopt);
Stmt dnat(const IpAddress& to, std::optional<uint16_t> port = std::nullopt);
Stmt counter();
// Escape hatch: any expressions, rendered as their debug lines.
Stmt raw(std::vector<Expr> exprs);

}  // namespace stmt

}  // namespace cni::nft
