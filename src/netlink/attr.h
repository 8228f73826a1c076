// src/netlink/attr.h — reading what the kernel sends: received messages and their attributes.
//
// Everything here is a bounds-checked *view* over bytes owned by a RawMessage: parsing never
// reads past a length, a malformed attribute stream is an error (not a crash), and typed getters
// return nullopt when the payload has the wrong size, so a kernel that sends a u8 where we
// expect a u32 is noticed instead of misread. Structs are memcpy'd out (no unaligned casts).
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "src/common/error.h"

namespace cni::netlink {

class AttrList;

// One attribute: its type (NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off) and payload.
struct Attr {
  uint16_t type = 0;
  std::span<const uint8_t> data;

  std::optional<uint8_t> u8() const { return scalar<uint8_t>(); }
  std::optional<uint16_t> u16() const { return scalar<uint16_t>(); }
  std::optional<uint32_t> u32() const { return scalar<uint32_t>(); }
  std::optional<uint64_t> u64() const { return scalar<uint64_t>(); }
  std::optional<int32_t> s32() const { return scalar<int32_t>(); }
  // Up to the first NUL (NLA_STRING payloads usually, not always, carry one).
  std::string str() const;
  // The payload parsed as a list of attributes (IFLA_LINKINFO, ...).
  Expected<AttrList> nested() const;

  template <class T>
  std::optional<T> scalar() const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (data.size() != sizeof(T)) return std::nullopt;
    T v;
    std::memcpy(&v, data.data(), sizeof v);
    return v;
  }
};

// The attributes of one level, in wire order.
class AttrList {
 public:
  // Fails on a truncated or malformed stream (nla_len < 4 or past the end).
  static Expected<AttrList> parse(std::span<const uint8_t> bytes);

  // The last attribute of this type (the kernel sends each once; "last wins" as in libnl).
  const Attr* find(uint16_t type) const;
  const std::vector<Attr>& all() const { return attrs_; }

 private:
  std::vector<Attr> attrs_;
};

// Calls f(type, payload) for each attribute of `bytes` in wire order (type with NLA_F_NESTED /
// NLA_F_NET_BYTEORDER masked off), without building an AttrList: for hot loops over dumps with
// many messages. False on a malformed stream, where AttrList::parse fails.
template <class F>
bool forEachAttr(std::span<const uint8_t> bytes, F&& f) {
  size_t off = 0;
  while (off + NLA_HDRLEN <= bytes.size()) {
    nlattr a;
    std::memcpy(&a, bytes.data() + off, sizeof a);
    if (a.nla_len < NLA_HDRLEN || off + a.nla_len > bytes.size()) return false;
    f(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK),
      bytes.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    off += (size_t{a.nla_len} + 3) & ~size_t{3};
  }
  return off >= bytes.size() || bytes.size() - off < NLA_HDRLEN;
}

// Up to the first NUL of a string attribute's payload, as Attr::str() but without a copy.
inline std::string_view strView(std::span<const uint8_t> data) {
  const char* p = reinterpret_cast<const char*>(data.data());
  size_t n = 0;
  while (n < data.size() && p[n] != '\0') ++n;
  return std::string_view(p, n);
}

// One received netlink message (header + payload), owning its bytes. Attr/AttrList views made
// from it point into those bytes: keep the RawMessage alive while using them.
class RawMessage {
 public:
  explicit RawMessage(std::span<const uint8_t> whole) : bytes_(whole.begin(), whole.end()) {}

  nlmsghdr header() const;
  uint16_t type() const { return header().nlmsg_type; }
  // Everything after the netlink header.
  std::span<const uint8_t> payload() const;

  // The family header at the start of the payload, if the payload is long enough.
  template <class T>
  std::optional<T> familyHeader() const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto p = payload();
    if (p.size() < sizeof(T)) return std::nullopt;
    T v;
    std::memcpy(&v, p.data(), sizeof v);
    return v;
  }

  // The attributes following a family header of `header_len` bytes (padded to 4).
  Expected<AttrList> attrs(size_t header_len) const;

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace cni::netlink
