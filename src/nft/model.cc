// src/nft/model.cc — names, rendering helpers and expression assembly for the model.
#include "src/nft/model.h"

#include <arpa/inet.h>

#include <cstring>

#include "src/nft/wire.h"

namespace cni::nft {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::string_view familyName(Family f) {
  switch (f) {
    case Family::kInet:
      return "inet";
    case Family::kIp:
      return "ip";
    case Family::kIp6:
      return "ip6";
    case Family::kBridge:
      return "bridge";
    case Family::kNetdev:
      return "netdev";
    case Family::kArp:
      return "arp";
  }
  return "?";
}

std::string_view chainTypeName(ChainType t) {
  switch (t) {
    case ChainType::kFilter:
      return "filter";
    case ChainType::kNat:
      return "nat";
    case ChainType::kRoute:
      return "route";
  }
  return "?";
}

std::string_view hookName(Hook h) {
  switch (h) {
    case Hook::kPrerouting:
      return "prerouting";
    case Hook::kInput:
      return "input";
    case Hook::kForward:
      return "forward";
    case Hook::kOutput:
      return "output";
    case Hook::kPostrouting:
      return "postrouting";
  }
  return "?";
}

uint32_t setTypeLen(SetType t) {
  switch (t) {
    case SetType::kIpv4Addr:
      return 4;
    case SetType::kIpv6Addr:
      return 16;
    case SetType::kInetService:
      return 2;
  }
  return 0;
}

std::string_view setTypeName(SetType t) {
  switch (t) {
    case SetType::kIpv4Addr:
      return "ipv4_addr";
    case SetType::kIpv6Addr:
      return "ipv6_addr";
    case SetType::kInetService:
      return "inet_service";
  }
  return "?";
}

std::vector<uint8_t> SetElement::addr(const IpAddress& a) {
  // bytes() views its object: the unmapped copy must outlive the view (ASan caught
  // `a.unmapped().bytes()` reading a dead temporary).
  const IpAddress plain = a.unmapped();
  const auto b = plain.bytes();
  return {b.begin(), b.end()};
}

std::vector<uint8_t> SetElement::port(uint16_t p) {
  uint16_t be = htons(p);
  std::vector<uint8_t> out(2);
  std::memcpy(out.data(), &be, 2);
  return out;
}

static std::string valueText(SetType t, const std::vector<uint8_t>& v) {
  if (t == SetType::kInetService && v.size() == 2) return std::to_string((v[0] << 8) | v[1]);
  if (auto a = IpAddress::fromBytes(v)) return a->str();
  return "0x" + hex(v);
}

std::string elementText(const Set& s, const SetElement& e) {
  std::string t = valueText(s.key, e.key);
  if (s.data) t += " : " + valueText(*s.data, e.value);
  return t;
}

std::vector<Expr> Rule::expressions() const {
  // Families whose packets can be either IPv4 or IPv6 need nft's `meta nfproto` guard before
  // an L3 header match; ip/ip6 tables see only their own. (bridge/netdev would want `ether
  // type`; cnikit only writes L3 matches in inet/ip/ip6 tables.)
  const bool guard = family == Family::kInet;
  uint8_t guarded = 0;
  std::vector<Expr> out;
  for (const Stmt& s : stmts) {
    if (guard && s.nfproto != 0 && s.nfproto != guarded) {
      auto dep = stmt::nfproto(s.nfproto).exprs;
      out.insert(out.end(), dep.begin(), dep.end());
      guarded = s.nfproto;
    }
    out.insert(out.end(), s.exprs.begin(), s.exprs.end());
  }
  return out;
}

std::string Rule::text() const {
  std::string t;
  for (const Stmt& s : stmts) {
    if (!t.empty()) t += ' ';
    t += (family == Family::kInet && !s.inet_text.empty()) ? s.inet_text : s.text;
  }
  if (!comment.empty())
    t += (t.empty() ? "" : " ") + std::string("comment ") + quoted(comment.substr(0, kCommentMax));
  return t;
}

}  // namespace cni::nft
