// src/common/ip.h — IP address and prefix value types with Go's `net` text semantics.
//
// Every CNI result, route and IPAM range is an address or a CIDR written as text, and the Go
// reference decides what text is valid and how it is printed. These types reproduce that:
//
//   * Parsing accepts exactly what Go's net.ParseIP / net.ParseCIDR accept (dotted IPv4 without
//     leading zeros, RFC 4291 IPv6 including an embedded IPv4 tail, no zone, prefix length in
//     decimal, leading zeros allowed in the length: "10.0.0.0/08" is /8).
//   * Printing follows Go's net.IP.String / net.IPNet.String: IPv6 in RFC 5952 form (lowercase,
//     longest run of >= 2 zero groups compressed, first run on a tie, never a dotted tail:
//     "::1.2.3.4" prints "::102:304") and — the one surprise — an IPv4-mapped IPv6 address
//     ("::ffff:1.2.3.4") prints as plain dotted IPv4 "1.2.3.4", because Go stores both in the same
//     16 bytes. A v4-mapped prefix prints as IPv4 with 96 subtracted from the length (clamped at
//     0):
//     "::ffff:1.2.3.4/120" prints "1.2.3.4/24".
//
// Decision (documented here, relied on by spec/ and the plugins): the value keeps the family it was
// parsed with — "::ffff:1.2.3.4" is an IPv6 value, isV4Mapped() is true, and unmapped() yields the
// IPv4 value — so nothing is lost; only str() folds it into Go's text. Use unmapped() wherever Go
// would call To4() (family decisions such as a 0.4.0 result's "version").
//
// Errors: parse failures are ErrorCode::kDecodingFailure with Go's texts
// ("invalid IP address: X", "invalid CIDR address: X"); callers re-code them when the context
// calls for another code (e.g. kInvalidNetworkConfig for a bad IPAM range).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "src/common/error.h"

namespace cni {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

class IpAddress {
 public:
  // 0.0.0.0.
  IpAddress() = default;

  // Go net.ParseIP: IPv4 dotted quad or IPv6 text; no zone ("%eth0"), no surrounding spaces.
  static Expected<IpAddress> parse(std::string_view text);

  static IpAddress v4(const std::array<uint8_t, 4>& bytes);
  // From a host-order integer: v4(0x0a000001) is 10.0.0.1.
  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);
  // 4 bytes -> IPv4, 16 bytes -> IPv6 (network order, as in sockaddr / netlink); else nullopt.
  static std::optional<IpAddress> fromBytes(std::span<const uint8_t> bytes);

  IpFamily family() const { return family_; }
  bool isV4() const { return family_ == IpFamily::kV4; }
  bool isV6() const { return family_ == IpFamily::kV6; }
  // ::ffff:a.b.c.d
  bool isV4Mapped() const;
  // Go's To4() view: a v4-mapped IPv6 address becomes the IPv4 address; anything else unchanged.
  IpAddress unmapped() const;
  // True for IPv4 and v4-mapped IPv6 (Go: To4() != nil).
  bool isV4Like() const { return isV4() || isV4Mapped(); }

  int bitLength() const { return isV4() ? 32 : 128; }
  // Network-order bytes: 4 for IPv4, 16 for IPv6.
  std::span<const uint8_t> bytes() const { return {bytes_.data(), isV4() ? 4u : 16u}; }
  // IPv4 only: the address as a host-order integer (0 for IPv6).
  uint32_t toV4Uint() const;

  bool isUnspecified() const;  // 0.0.0.0 or ::
  bool isLoopback() const;     // 127.0.0.0/8 (also v4-mapped) or ::1

  // Go net.IP.String() (see the file comment for the IPv6 and v4-mapped rules).
  std::string str() const;

  // The numerically next / previous address of the same family; nullopt on wrap-around.
  std::optional<IpAddress> next() const;
  std::optional<IpAddress> prev() const;

  // Orders IPv4 before IPv6, then by bytes.
  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;

 private:
  IpFamily family_ = IpFamily::kV4;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses the first 4 bytes; the rest stay zero.
};

// An address plus a prefix length, keeping host bits: "10.1.0.5/16" stays 10.1.0.5/16 (the form
// CNI results carry: the container's address together with its subnet). network() clears them.
class IpPrefix {
 public:
  IpPrefix() = default;  // 0.0.0.0/0

  // Go types.ParseCIDR (net.ParseCIDR keeping the host part): "<ip>/<decimal length>",
  // 0 <= length <= 32 (IPv4) or 128 (IPv6, including v4-mapped).
  static Expected<IpPrefix> parse(std::string_view cidr);
  // Fails (kDecodingFailure) when length is outside [0, address.bitLength()].
  static Expected<IpPrefix> make(const IpAddress& address, int length);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  IpFamily family() const { return address_.family(); }
  bool isV4() const { return address_.isV4(); }
  bool isV6() const { return address_.isV6(); }

  // Host bits cleared: 10.1.0.5/16 -> 10.1.0.0/16.
  IpPrefix network() const;
  // True if the host bits are already zero.
  bool isNetwork() const { return network() == *this; }
  // The netmask as an address of the same family (/24 -> 255.255.255.0).
  IpAddress mask() const;
  // Highest address in the prefix (IPv4 broadcast address for /0../30).
  IpAddress lastAddress() const;

  // Go IPNet.Contains: an IPv4 (or v4-mapped) address matches an IPv4 (or v4-mapped) prefix;
  // v4-mapped prefixes compare as IPv4 with length - 96 (clamped at 0). No other cross-family
  // match.
  bool contains(const IpAddress& ip) const;
  // Both prefixes share at least one address (same family rules as contains()).
  bool overlaps(const IpPrefix& other) const;

  // Go IPNet.String(): address (host bits kept) + "/" + length, v4-mapped folded as described.
  std::string str() const;

  bool operator==(const IpPrefix&) const = default;

 private:
  IpAddress address_;
  int length_ = 0;
};

// The prefix-length mask of `family` (e.g. 255.255.240.0 for kV4/20). Precondition: 0 <= length
// <= bit length of the family.
IpAddress prefixMask(IpFamily family, int length);

}  // namespace cni
