// src/common/ip.cc — IpAddress / IpPrefix (see ip.h for the Go text rules reproduced here).
#include "src/common/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace cni {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::unexpected<Error> badIp(std::string_view text) {
  return fail(ErrorCode::kDecodingFailure, "invalid IP address: " + std::string(text));
}
std::unexpected<Error> badCidr(std::string_view text) {
  return fail(ErrorCode::kDecodingFailure, "invalid CIDR address: " + std::string(text));
}

// Go's net.IP.String for a non-v4-mapped IPv6 address: RFC 5952 without a dotted tail.
// (glibc's inet_ntop prints "::1.2.3.4" for IPv4-compatible addresses; Go prints "::102:304".)
std::string formatV6(const std::array<uint8_t, 16>& b) {
  int best_start = -1;
  int best_len = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && b[2 * j] == 0 && b[2 * j + 1] == 0) ++j;
    if (j - i > best_len) {  // strictly longer: the first run wins a tie
      best_start = i;
      best_len = j - i;
    }
    i = (j > i) ? j : i + 1;
  }
  if (best_len < 2) best_start = -1;  // "::" never replaces a single zero group

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(39);
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    unsigned group = (static_cast<unsigned>(b[2 * i]) << 8) | b[2 * i + 1];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned nibble = (group >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out += kHex[nibble];
        started = true;
      }
    }
  }
  return out;
}

std::string formatV4(const uint8_t* b) {
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
         std::to_string(b[3]);
}

// The prefix as Go compares it in IPNet.Contains: v4-mapped addresses/prefixes fold to IPv4.
struct Effective {
  IpAddress address;
  int length;
};
Effective effective(const IpPrefix& p) {
  if (p.address().isV4Mapped()) {
    return {p.address().unmapped(), std::max(0, p.length() - 96)};
  }
  return {p.address(), p.length()};
}

bool samePrefixBits(std::span<const uint8_t> a, std::span<const uint8_t> b, int length) {
  for (int i = 0; i < length / 8; ++i) {
    if (a[i] != b[i]) return false;
  }
  int rem = length % 8;
  if (rem == 0) return true;
  uint8_t m = static_cast<uint8_t>(0xff << (8 - rem));
  return (a[length / 8] & m) == (b[length / 8] & m);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// IpAddress

Expected<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; an embedded NUL must not truncate the input.
  if (text.empty() || text.find('\0') != std::string_view::npos) return badIp(text);
  std::string s(text);
  IpAddress out;
  if (::inet_pton(AF_INET, s.c_str(), out.bytes_.data()) == 1) {
    out.family_ = IpFamily::kV4;
    return out;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.bytes_.data()) == 1) {
    out.family_ = IpFamily::kV6;
    return out;
  }
  return badIp(text);
}

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& bytes) {
  IpAddress out;
  out.family_ = IpFamily::kV4;
  std::copy(bytes.begin(), bytes.end(), out.bytes_.begin());
  return out;
}

IpAddress IpAddress::v4(uint32_t host_order) {
  return v4({static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
             static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)});
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress out;
  out.family_ = IpFamily::kV6;
  out.bytes_ = bytes;
  return out;
}

std::optional<IpAddress> IpAddress::fromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() == 4) return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  if (bytes.size() == 16) {
    std::array<uint8_t, 16> b;
    std::copy(bytes.begin(), bytes.end(), b.begin());
    return v6(b);
  }
  return std::nullopt;
}

bool IpAddress::isV4Mapped() const {
  return isV6() && std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes_.begin());
}

IpAddress IpAddress::unmapped() const {
  if (!isV4Mapped()) return *this;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

uint32_t IpAddress::toV4Uint() const {
  if (!isV4()) return 0;
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

bool IpAddress::isUnspecified() const {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

bool IpAddress::isLoopback() const {
  IpAddress u = unmapped();
  if (u.isV4()) return u.bytes_[0] == 127;
  for (int i = 0; i < 15; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[15] == 1;
}

std::string IpAddress::str() const {
  if (isV4()) return formatV4(bytes_.data());
  if (isV4Mapped()) return formatV4(bytes_.data() + 12);  // Go: To4() != nil prints dotted
  return formatV6(bytes_);
}

std::optional<IpAddress> IpAddress::next() const {
  IpAddress out = *this;
  for (int i = static_cast<int>(bytes().size()) - 1; i >= 0; --i) {
    if (++out.bytes_[i] != 0) return out;
  }
  return std::nullopt;  // wrapped past the all-ones address
}

std::optional<IpAddress> IpAddress::prev() const {
  IpAddress out = *this;
  for (int i = static_cast<int>(bytes().size()) - 1; i >= 0; --i) {
    if (out.bytes_[i]-- != 0) return out;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// IpPrefix

IpAddress prefixMask(IpFamily family, int length) {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 16 && length > 0; ++i, length -= 8) {
    b[i] = length >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - length));
  }
  if (family == IpFamily::kV4) return IpAddress::v4({b[0], b[1], b[2], b[3]});
  return IpAddress::v6(b);
}

Expected<IpPrefix> IpPrefix::parse(std::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return badCidr(cidr);
  auto address = IpAddress::parse(cidr.substr(0, slash));
  if (!address) return badCidr(cidr);
  // Go's dtoi: one or more ASCII digits (leading zeros allowed), nothing else.
  std::string_view len_text = cidr.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 6) return badCidr(cidr);
  int length = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9') return badCidr(cidr);
    length = length * 10 + (c - '0');
  }
  if (length > address->bitLength()) return badCidr(cidr);
  IpPrefix out;
  out.address_ = *address;
  out.length_ = length;
  return out;
}

Expected<IpPrefix> IpPrefix::make(const IpAddress& address, int length) {
  if (length < 0 || length > address.bitLength()) {
    return fail(ErrorCode::kDecodingFailure,
                "invalid prefix length " + std::to_string(length) + " for " + address.str());
  }
  IpPrefix out;
  out.address_ = address;
  out.length_ = length;
  return out;
}

IpPrefix IpPrefix::network() const {
  IpPrefix out = *this;
  IpAddress m = mask();
  std::array<uint8_t, 16> b{};
  auto src = address_.bytes();
  auto mb = m.bytes();
  for (size_t i = 0; i < src.size(); ++i) b[i] = src[i] & mb[i];
  out.address_ = isV4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  return out;
}

IpAddress IpPrefix::mask() const { return prefixMask(family(), length_); }

IpAddress IpPrefix::lastAddress() const {
  IpAddress m = mask();
  std::array<uint8_t, 16> b{};
  auto src = address_.bytes();
  auto mb = m.bytes();
  for (size_t i = 0; i < src.size(); ++i) b[i] = static_cast<uint8_t>(src[i] | ~mb[i]);
  return isV4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
}

bool IpPrefix::contains(const IpAddress& ip) const {
  Effective e = effective(*this);
  IpAddress x = ip.unmapped();
  if (x.family() != e.address.family()) return false;
  return samePrefixBits(e.address.bytes(), x.bytes(), e.length);
}

bool IpPrefix::overlaps(const IpPrefix& other) const {
  Effective a = effective(*this);
  Effective b = effective(other);
  if (a.address.family() != b.address.family()) return false;
  return samePrefixBits(a.address.bytes(), b.address.bytes(), std::min(a.length, b.length));
}

std::string IpPrefix::str() const {
  Effective e = effective(*this);
  return e.address.str() + "/" + std::to_string(e.length);
}

}  // namespace cni
