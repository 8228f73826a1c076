// src/netlink/attr.cc — attribute stream parsing (see attr.h).
#include "src/netlink/attr.h"

#include <algorithm>

namespace cni::netlink {
namespace {

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

std::string Attr::str() const {
  const char* p = reinterpret_cast<const char*>(data.data());
  size_t n = 0;
  while (n < data.size() && p[n] != '\0') ++n;
  return std::string(p, n);
}

Expected<AttrList> Attr::nested() const { return AttrList::parse(data); }

Expected<AttrList> AttrList::parse(std::span<const uint8_t> bytes) {
  AttrList out;
  size_t off = 0;
  while (off + NLA_HDRLEN <= bytes.size()) {
    nlattr a;
    std::memcpy(&a, bytes.data() + off, sizeof a);
    if (a.nla_len < NLA_HDRLEN || off + a.nla_len > bytes.size()) {
      return fail(ErrorCode::kInternal, "malformed netlink attribute (type " +
                                            std::to_string(a.nla_type & NLA_TYPE_MASK) + ", len " +
                                            std::to_string(a.nla_len) + ")");
    }
    out.attrs_.push_back(Attr{static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK),
                              bytes.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN)});
    off += align4(a.nla_len);
  }
  // Trailing bytes shorter than an attribute header can only be padding.
  if (off < bytes.size() && bytes.size() - off >= NLA_HDRLEN) {
    return fail(ErrorCode::kInternal, "malformed netlink attribute stream");
  }
  return out;
}

const Attr* AttrList::find(uint16_t type) const {
  const Attr* found = nullptr;
  for (const Attr& a : attrs_) {
    if (a.type == type) found = &a;
  }
  return found;
}

nlmsghdr RawMessage::header() const {
  nlmsghdr h{};
  std::memcpy(&h, bytes_.data(), std::min(bytes_.size(), sizeof h));
  return h;
}

std::span<const uint8_t> RawMessage::payload() const {
  if (bytes_.size() <= NLMSG_HDRLEN) return {};
  return std::span<const uint8_t>(bytes_).subspan(NLMSG_HDRLEN);
}

Expected<AttrList> RawMessage::attrs(size_t header_len) const {
  auto p = payload();
  size_t start = align4(header_len);
  if (p.size() < start) {
    return fail(ErrorCode::kInternal, "netlink message (type " + std::to_string(type()) +
                                          ") shorter than its family header");
  }
  return AttrList::parse(p.subspan(start));
}

}  // namespace cni::netlink
