// src/nft/expr.cc — expression encoding and the nft-syntax statements built from them.
#include "src/nft/expr.h"

#include <linux/netfilter/nf_tables_compat.h>
#include <net/if.h>

#include <array>
#include <cstring>

#include "src/nft/uapi.h"
#include "src/nft/wire.h"

namespace cni::nft {
namespace {

std::span<const uint8_t> asBytes(const uint32_t& v) {
  return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

// NFTA_*_DATA-style nest holding one NFTA_DATA_VALUE.
void putDataValue(AttrBuf& b, uint16_t type, std::span<const uint8_t> value) {
  size_t n = b.beginNest(type);
  b.putBytes(NFTA_DATA_VALUE, value);
  b.endNest(n);
}

std::string regText(uint32_t r) { return "reg " + std::to_string(r); }

const char* baseText(PayloadBase b) {
  switch (b) {
    case PayloadBase::kLink:
      return "link";
    case PayloadBase::kNetwork:
      return "network";
    case PayloadBase::kTransport:
      return "transport";
  }
  return "?";
}

std::string metaKeyText(uint32_t key) {
  switch (key) {
    case NFT_META_L4PROTO:
      return "l4proto";
    case NFT_META_NFPROTO:
      return "nfproto";
    case NFT_META_IIFNAME:
      return "iifname";
    case NFT_META_OIFNAME:
      return "oifname";
    case NFT_META_PROTOCOL:
      return "protocol";
    case NFT_META_MARK:
      return "mark";
    default:
      return "key " + std::to_string(key);
  }
}

std::string protoText(uint8_t p) {
  switch (p) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_SCTP:
      return "sctp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "ipv6-icmp";
    default:
      return std::to_string(p);
  }
}

std::string cmpText(CmpOp op) { return op == CmpOp::kEq ? "" : "!= "; }

// The IPv4/IPv6 header offsets nft uses for saddr/daddr.
struct AddrField {
  uint32_t offset;
  uint32_t len;
  const char* proto;  // "ip" / "ip6"
  uint8_t nfproto;
};

AddrField addrField(bool v6, bool source) {
  if (v6) return {source ? 8u : 24u, 16u, "ip6", NFPROTO_IPV6};
  return {source ? 12u : 16u, 4u, "ip", NFPROTO_IPV4};
}

Stmt addrMatch(const IpAddress& a, CmpOp op, bool source) {
  IpAddress addr = a.unmapped();
  AddrField f = addrField(addr.isV6(), source);
  Stmt s;
  s.text = std::string(f.proto) + (source ? " saddr " : " daddr ") + cmpText(op) + addr.str();
  s.exprs = {expr::payload(PayloadBase::kNetwork, f.offset, f.len), expr::cmp(op, addr.bytes())};
  s.nfproto = f.nfproto;
  return s;
}

Stmt prefixMatch(const IpPrefix& p, CmpOp op, bool source) {
  IpPrefix net = p.network();
  if (net.address().isV4Mapped()) {
    auto v4 = IpPrefix::make(net.address().unmapped(), std::max(0, net.length() - 96));
    if (v4) net = *v4;
  }
  if (net.length() == net.address().bitLength()) return addrMatch(net.address(), op, source);
  AddrField f = addrField(net.isV6(), source);
  Stmt s;
  s.text = std::string(f.proto) + (source ? " saddr " : " daddr ") + cmpText(op) +
           net.address().str() + "/" + std::to_string(net.length());
  s.exprs = {expr::payload(PayloadBase::kNetwork, f.offset, f.len),
             expr::bitwise(net.mask().bytes()), expr::cmp(op, net.address().bytes())};
  s.nfproto = f.nfproto;
  return s;
}

Stmt ifnameMatch(uint32_t key, std::string_view name, CmpOp op) {
  // meta iifname loads the whole IFNAMSIZ buffer, NUL padded: compare all of it (an exact
  // match; nft uses a shorter compare only for "eth*" wildcards).
  std::array<uint8_t, IFNAMSIZ> buf{};
  std::memcpy(buf.data(), name.data(), std::min(name.size(), size_t{IFNAMSIZ - 1}));
  Stmt s;
  s.text = metaKeyText(key) + " " + cmpText(op) + "\"" + std::string(name) + "\"";
  s.exprs = {expr::meta(key), expr::cmp(op, buf)};
  return s;
}

// The Ethernet header: destination at 0, source at 6, 6 bytes each. nft prints the address as
// lower-case colon-separated hex, which is also what Go's net.HardwareAddr.String() gives.
Stmt etherMatch(std::span<const uint8_t> mac, CmpOp op, bool source) {
  static const char* digits = "0123456789abcdef";
  std::string addr;
  for (uint8_t b : mac) {
    if (!addr.empty()) addr += ':';
    addr += digits[b >> 4];
    addr += digits[b & 15];
  }
  Stmt s;
  s.text = std::string("ether ") + (source ? "saddr " : "daddr ") + cmpText(op) + addr;
  s.exprs = {expr::payload(PayloadBase::kLink, source ? 6u : 0u, 6), expr::cmp(op, mac)};
  return s;
}

Stmt natStmt(NatType type, const IpAddress& to, std::optional<uint16_t> port) {
  IpAddress addr = to.unmapped();
  const uint8_t nfproto = addr.isV6() ? NFPROTO_IPV6 : NFPROTO_IPV4;
  std::string where = addr.isV6() && port ? "[" + addr.str() + "]" : addr.str();
  if (port) where += ":" + std::to_string(*port);
  const char* verb = type == NatType::kSnat ? "snat" : "dnat";
  Stmt s;
  s.text = std::string(verb) + " to " + where;
  s.inet_text = std::string(verb) + (addr.isV6() ? " ip6" : " ip") + " to " + where;
  s.exprs.push_back(expr::immediate(addr.bytes(), expr::kReg1));
  if (port) {
    uint16_t be = htons(*port);
    s.exprs.push_back(
        expr::immediate({reinterpret_cast<const uint8_t*>(&be), sizeof be}, expr::kReg2));
  }
  s.exprs.push_back(expr::nat(type, nfproto, expr::kReg1, port ? expr::kReg2 : 0));
  return s;
}

}  // namespace

int32_t Verdict::code() const {
  switch (kind) {
    case Kind::kAccept:
      return NF_ACCEPT;
    case Kind::kDrop:
      return NF_DROP;
    case Kind::kReturn:
      return NFT_RETURN;
    case Kind::kJump:
      return NFT_JUMP;
    case Kind::kGoto:
      return NFT_GOTO;
    case Kind::kContinue:
      return NFT_CONTINUE;
  }
  return NFT_CONTINUE;
}

std::string Verdict::text() const {
  switch (kind) {
    case Kind::kAccept:
      return "accept";
    case Kind::kDrop:
      return "drop";
    case Kind::kReturn:
      return "return";
    case Kind::kJump:
      return "jump " + chain;
    case Kind::kGoto:
      return "goto " + chain;
    case Kind::kContinue:
      return "continue";
  }
  return "?";
}

namespace expr {

Expr payload(PayloadBase base, uint32_t offset, uint32_t len, uint32_t dreg) {
  AttrBuf b;
  b.putBe32(NFTA_PAYLOAD_DREG, dreg)
      .putBe32(NFTA_PAYLOAD_BASE, static_cast<uint32_t>(base))
      .putBe32(NFTA_PAYLOAD_OFFSET, offset)
      .putBe32(NFTA_PAYLOAD_LEN, len);
  return {"payload", b.bytes(),
          "[ payload load " + std::to_string(len) + "b @ " + baseText(base) + " header + " +
              std::to_string(offset) + " => " + regText(dreg) + " ]"};
}

Expr meta(uint32_t key, uint32_t dreg) {
  AttrBuf b;
  b.putBe32(NFTA_META_DREG, dreg).putBe32(NFTA_META_KEY, key);
  return {"meta", b.bytes(), "[ meta load " + metaKeyText(key) + " => " + regText(dreg) + " ]"};
}

Expr cmp(CmpOp op, std::span<const uint8_t> value, uint32_t sreg) {
  AttrBuf b;
  b.putBe32(NFTA_CMP_SREG, sreg).putBe32(NFTA_CMP_OP, static_cast<uint32_t>(op));
  putDataValue(b, NFTA_CMP_DATA, value);
  return {"cmp", b.bytes(),
          std::string("[ cmp ") + (op == CmpOp::kEq ? "eq " : "neq ") + regText(sreg) + " 0x" +
              hex(value) + " ]"};
}

Expr bitwise(std::span<const uint8_t> mask, uint32_t sreg, uint32_t dreg) {
  std::vector<uint8_t> zero(mask.size(), 0);
  AttrBuf b;
  b.putBe32(NFTA_BITWISE_SREG, sreg)
      .putBe32(NFTA_BITWISE_DREG, dreg)
      .putBe32(NFTA_BITWISE_LEN, static_cast<uint32_t>(mask.size()));
  putDataValue(b, NFTA_BITWISE_MASK, mask);
  putDataValue(b, NFTA_BITWISE_XOR, zero);
  return {"bitwise", b.bytes(),
          "[ bitwise " + regText(dreg) + " = ( " + regText(sreg) + " & 0x" + hex(mask) + " ) ^ 0x" +
              hex(zero) + " ]"};
}

Expr lookup(std::string_view set, bool invert, uint32_t sreg) {
  AttrBuf b;
  b.putString(NFTA_LOOKUP_SET, set).putBe32(NFTA_LOOKUP_SREG, sreg);
  if (invert) b.putBe32(NFTA_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
  return {"lookup", b.bytes(),
          "[ lookup " + regText(sreg) + " set " + std::string(set) + (invert ? " 0x1" : "") + " ]"};
}

Expr immediate(const Verdict& v) {
  AttrBuf b;
  b.putBe32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
  size_t data = b.beginNest(NFTA_IMMEDIATE_DATA);
  size_t verdict = b.beginNest(NFTA_DATA_VERDICT);
  b.putBe32(NFTA_VERDICT_CODE, static_cast<uint32_t>(v.code()));
  if (!v.chain.empty()) b.putString(NFTA_VERDICT_CHAIN, v.chain);
  b.endNest(verdict);
  b.endNest(data);
  std::string t = v.text();
  if (!v.chain.empty()) t = t.substr(0, t.find(' ')) + " -> " + v.chain;
  return {"immediate", b.bytes(), "[ immediate reg 0 " + t + " ]"};
}

Expr immediate(std::span<const uint8_t> value, uint32_t dreg) {
  AttrBuf b;
  b.putBe32(NFTA_IMMEDIATE_DREG, dreg);
  putDataValue(b, NFTA_IMMEDIATE_DATA, value);
  return {"immediate", b.bytes(), "[ immediate " + regText(dreg) + " 0x" + hex(value) + " ]"};
}

Expr fibDaddrType(uint32_t dreg) {
  AttrBuf b;
  b.putBe32(NFTA_FIB_DREG, dreg)
      .putBe32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE)
      .putBe32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
  return {"fib", b.bytes(), "[ fib daddr type => " + regText(dreg) + " ]"};
}

Expr ctState(uint32_t dreg) {
  AttrBuf b;
  b.putBe32(NFTA_CT_DREG, dreg).putBe32(NFTA_CT_KEY, NFT_CT_STATE);
  return {"ct", b.bytes(), "[ ct load state => " + regText(dreg) + " ]"};
}

Expr masq() { return {"masq", {}, "[ masq ]"}; }

Expr nat(NatType type, uint8_t nfproto, uint32_t addr_reg, uint32_t port_reg) {
  AttrBuf b;
  b.putBe32(NFTA_NAT_TYPE, static_cast<uint32_t>(type)).putBe32(NFTA_NAT_FAMILY, nfproto);
  std::string t = std::string("[ nat ") + (type == NatType::kSnat ? "snat" : "dnat") +
                  (nfproto == NFPROTO_IPV6 ? " ip6" : " ip");
  if (addr_reg != 0) {
    b.putBe32(NFTA_NAT_REG_ADDR_MIN, addr_reg);
    t += " addr_min " + regText(addr_reg);
  }
  if (port_reg != 0) {
    b.putBe32(NFTA_NAT_REG_PROTO_MIN, port_reg);
    t += " proto_min " + regText(port_reg);
  }
  return {"nat", b.bytes(), t + " ]"};
}

Expr counter() { return {"counter", {}, "[ counter ]"}; }

Expr xtMatch(std::string_view name, uint32_t rev, std::span<const uint8_t> info) {
  std::vector<uint8_t> padded(info.begin(), info.end());
  padded.resize((padded.size() + 7) / 8 * 8, 0);
  AttrBuf b;
  b.putString(NFTA_MATCH_NAME, name).putBe32(NFTA_MATCH_REV, rev).putBytes(NFTA_MATCH_INFO, padded);
  return {"match", b.bytes(),
          "[ match name " + std::string(name) + " rev " + std::to_string(rev) + " ]"};
}

}  // namespace expr

namespace stmt {

Stmt saddr(const IpAddress& a, CmpOp op) { return addrMatch(a, op, true); }
Stmt daddr(const IpAddress& a, CmpOp op) { return addrMatch(a, op, false); }
Stmt saddr(const IpPrefix& p, CmpOp op) { return prefixMatch(p, op, true); }
Stmt daddr(const IpPrefix& p, CmpOp op) { return prefixMatch(p, op, false); }

Stmt l4proto(uint8_t proto) {
  Stmt s;
  s.text = "meta l4proto " + protoText(proto);
  s.exprs = {expr::meta(NFT_META_L4PROTO), expr::cmp(CmpOp::kEq, std::span(&proto, 1))};
  return s;
}

Stmt dport(uint8_t proto, uint16_t port, CmpOp op) {
  uint16_t be = htons(port);
  Stmt s = l4proto(proto);
  s.text = protoText(proto) + " dport " + cmpText(op) + std::to_string(port);
  s.exprs.push_back(expr::payload(PayloadBase::kTransport, 2, 2));
  s.exprs.push_back(expr::cmp(op, {reinterpret_cast<const uint8_t*>(&be), sizeof be}));
  return s;
}

Stmt iifname(std::string_view name, CmpOp op) { return ifnameMatch(NFT_META_IIFNAME, name, op); }
Stmt oifname(std::string_view name, CmpOp op) { return ifnameMatch(NFT_META_OIFNAME, name, op); }

Stmt nfproto(uint8_t proto) {
  Stmt s;
  s.text = std::string("meta nfproto ") + (proto == NFPROTO_IPV4   ? "ipv4"
                                           : proto == NFPROTO_IPV6 ? "ipv6"
                                                                   : std::to_string(proto).c_str());
  s.exprs = {expr::meta(NFT_META_NFPROTO), expr::cmp(CmpOp::kEq, std::span(&proto, 1))};
  return s;
}

Stmt etherSaddr(std::span<const uint8_t> mac, CmpOp op) { return etherMatch(mac, op, true); }
Stmt etherDaddr(std::span<const uint8_t> mac, CmpOp op) { return etherMatch(mac, op, false); }

Stmt inSet(Field f, std::string_view set, bool invert) {
  Stmt s;
  std::string field;
  switch (f) {
    case Field::kIpSaddr:
    case Field::kIpDaddr:
    case Field::kIp6Saddr:
    case Field::kIp6Daddr: {
      bool v6 = f == Field::kIp6Saddr || f == Field::kIp6Daddr;
      bool src = f == Field::kIpSaddr || f == Field::kIp6Saddr;
      AddrField af = addrField(v6, src);
      field = std::string(af.proto) + (src ? " saddr" : " daddr");
      s.exprs.push_back(expr::payload(PayloadBase::kNetwork, af.offset, af.len));
      s.nfproto = af.nfproto;
      break;
    }
    case Field::kTcpDport:
    case Field::kUdpDport: {
      uint8_t proto = f == Field::kTcpDport ? IPPROTO_TCP : IPPROTO_UDP;
      s.exprs = l4proto(proto).exprs;
      field = protoText(proto) + " dport";
      s.exprs.push_back(expr::payload(PayloadBase::kTransport, 2, 2));
      break;
    }
  }
  s.text = field + (invert ? " != @" : " @") + std::string(set);
  s.exprs.push_back(expr::lookup(set, invert));
  return s;
}

Stmt fibDaddrLocal() {
  uint32_t local = RTN_LOCAL;  // fib reports the route type host-order
  Stmt s;
  s.text = "fib daddr type local";
  s.exprs = {expr::fibDaddrType(), expr::cmp(CmpOp::kEq, asBytes(local))};
  return s;
}

Stmt ctState(uint32_t bits) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {kCtStateInvalid, "invalid"},
      {kCtStateEstablished, "established"},
      {kCtStateRelated, "related"},
      {kCtStateNew, "new"},
      {kCtStateUntracked, "untracked"}};
  std::string names;
  for (auto [bit, name] : kNames) {
    if (bits & bit) names += (names.empty() ? "" : ",") + std::string(name);
  }
  uint32_t zero = 0;
  Stmt s;
  s.text = "ct state " + names;
  s.exprs = {expr::ctState(), expr::bitwise(asBytes(bits)), expr::cmp(CmpOp::kNeq, asBytes(zero))};
  return s;
}

Stmt verdict(const Verdict& v) { return Stmt{v.text(), {}, {expr::immediate(v)}, 0}; }
Stmt masquerade() { return Stmt{"masquerade", {}, {expr::masq()}, 0}; }
Stmt snat(const IpAddress& to, std::optional<uint16_t> port) {
  return natStmt(NatType::kSnat, to, port);
}
Stmt dnat(const IpAddress& to, std::optional<uint16_t> port) {
  return natStmt(NatType::kDnat, to, port);
}
Stmt counter() { return Stmt{"counter", {}, {expr::counter()}, 0}; }

Stmt raw(std::vector<Expr> exprs) {
  Stmt s;
  for (const Expr& e : exprs) s.text += (s.text.empty() ? "" : " ") + e.debug;
  s.exprs = std::move(exprs);
  return s;
}

}  // namespace stmt

}  // namespace cni::nft
