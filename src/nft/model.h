// src/nft/model.h — the nf_tables objects cnikit creates: tables, chains, sets/maps, rules.
//
// Plain values; Transaction (transaction.h) turns them into batch messages and nft-like text.
// Names follow nft: Family kInet is `inet`, a base chain has a type/hook/priority/policy, a
// regular chain has none. Comments are stored as nft stores them (libnftnl udata), so
// `nft list ruleset` shows `comment "..."` for our objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/nft/expr.h"
#include "src/nft/uapi.h"

namespace cni::nft {

enum class Family : uint8_t {
  kInet = NFPROTO_INET,
  kIp = NFPROTO_IPV4,
  kIp6 = NFPROTO_IPV6,
  kBridge = NFPROTO_BRIDGE,
  kNetdev = NFPROTO_NETDEV,
  kArp = NFPROTO_ARP,
};
std::string_view familyName(Family f);  // "inet", "ip", ...

struct Table {
  Family family = Family::kInet;
  std::string name;
  std::string comment;
};

enum class ChainType { kFilter, kNat, kRoute };
// NF_INET_* hook numbers (the bridge family uses the same numbers for the same five hooks).
enum class Hook : uint32_t {
  kPrerouting = 0,
  kInput = 1,
  kForward = 2,
  kOutput = 3,
  kPostrouting = 4,
};
std::string_view chainTypeName(ChainType t);
std::string_view hookName(Hook h);

// Standard priorities (nft's symbolic names).
inline constexpr int32_t kPrioFilter = 0;
inline constexpr int32_t kPrioDstnat = -100;
inline constexpr int32_t kPrioSrcnat = 100;
inline constexpr int32_t kPrioBridgeDstnat = -300;  // bridge family
inline constexpr int32_t kPrioBridgeFilter = -200;  // bridge family

struct BaseChain {
  ChainType type = ChainType::kFilter;
  Hook hook = Hook::kPrerouting;
  int32_t priority = 0;
  bool policy_drop = false;

  bool operator==(const BaseChain&) const = default;
};

struct Chain {
  Family family = Family::kInet;
  std::string table;
  std::string name;
  std::optional<BaseChain> base;  // nullopt: a regular chain (jump/goto target)
  std::string comment;
};

// Key / data types of sets and maps (nft datatype ids and lengths).
enum class SetType : uint32_t { kIpv4Addr = 7, kIpv6Addr = 8, kInetService = 13 };
uint32_t setTypeLen(SetType t);
std::string_view setTypeName(SetType t);

// A set key or map value, raw bytes in the type's byte order (addresses and ports network order).
struct SetElement {
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;  // maps only

  static std::vector<uint8_t> addr(const IpAddress& a);
  static std::vector<uint8_t> port(uint16_t p);
};

struct Set {
  Family family = Family::kInet;
  std::string table;
  std::string name;
  SetType key = SetType::kIpv4Addr;
  std::optional<SetType> data;  // set: a map with values of this type
  std::vector<SetElement> elements;
};

struct Rule {
  Family family = Family::kInet;
  std::string table;
  std::string chain;
  std::vector<Stmt> stmts;
  std::string comment;  // <= 128 bytes (longer is cut, as knftables does)

  // The expressions in encoding order, with the `meta nfproto` dependency inserted where the
  // table family needs it (see expr.h).
  std::vector<Expr> expressions() const;
  // "ip saddr 10.0.0.2 ip daddr != 10.0.0.0/24 masquerade comment \"...\""
  std::string text() const;
};

// Renders a set/map element for text output ("10.0.0.2", "8080", "10.0.0.2 : 80").
std::string elementText(const Set& s, const SetElement& e);

}  // namespace cni::nft
