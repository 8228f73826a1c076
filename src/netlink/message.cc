// src/netlink/message.cc — the request builder (see message.h).
#include "src/netlink/message.h"

#include <limits>
#include <string>

namespace cni::netlink {
namespace {

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

nlmsghdr* header(std::vector<uint8_t>& buf) { return reinterpret_cast<nlmsghdr*>(buf.data()); }
const nlmsghdr* header(const std::vector<uint8_t>& buf) {
  return reinterpret_cast<const nlmsghdr*>(buf.data());
}

}  // namespace

Message::Message(uint16_t type, uint16_t flags, size_t max_size) : max_size_(max_size) {
  buf_.reserve(256);
  buf_.resize(NLMSG_HDRLEN, 0);
  nlmsghdr* h = header(buf_);
  h->nlmsg_type = type;
  h->nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST);
  setLen();
}

void Message::append(const void* data, size_t len) {
  size_t at = buf_.size();
  buf_.resize(at + align4(len), 0);
  if (len > 0) std::memcpy(buf_.data() + at, data, len);
  setLen();
}

void Message::setLen() { header(buf_)->nlmsg_len = static_cast<uint32_t>(buf_.size()); }

void Message::setError(uint16_t attr_type, std::string_view what) {
  if (!status_) return;  // keep the first error: it is the one that explains the others
  std::string msg = "netlink message (type " + std::to_string(type()) + "): " + std::string(what);
  if (attr_type != 0) msg += " (attribute " + std::to_string(attr_type) + ")";
  status_ = fail(ErrorCode::kInternal, std::move(msg));
}

Message& Message::putRaw(uint16_t type, const void* data, size_t len) {
  const size_t total = NLA_HDRLEN + len;
  if (total > std::numeric_limits<uint16_t>::max()) {
    setError(type, "attribute too long");
    return *this;
  }
  if (buf_.size() + align4(total) > max_size_) {
    setError(type, "message exceeds " + std::to_string(max_size_) + " bytes");
    return *this;
  }
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(total);
  a.nla_type = type;
  size_t at = buf_.size();
  buf_.resize(at + align4(total), 0);
  std::memcpy(buf_.data() + at, &a, sizeof a);
  if (len > 0) std::memcpy(buf_.data() + at + NLA_HDRLEN, data, len);
  setLen();
  return *this;
}

Message& Message::putUnframed(const void* data, size_t len) {
  if (buf_.size() + align4(len) > max_size_) {
    setError(0, "message exceeds " + std::to_string(max_size_) + " bytes");
    return *this;
  }
  append(data, len);
  return *this;
}

Message& Message::putBytes(uint16_t type, std::span<const uint8_t> data) {
  return putRaw(type, data.data(), data.size());
}

Message& Message::putString(uint16_t type, std::string_view s) {
  if (s.find('\0') != std::string_view::npos) {
    setError(type, "string attribute contains NUL");
    return *this;
  }
  std::string z(s);  // with its terminating NUL
  return putRaw(type, z.c_str(), z.size() + 1);
}

Nest Message::beginNest(uint16_t type, bool nested_flag) {
  size_t at = buf_.size();
  putRaw(static_cast<uint16_t>(nested_flag ? (type | NLA_F_NESTED) : type), nullptr, 0);
  if (buf_.size() == at) return Nest{};  // the put failed (error recorded)
  return Nest{at, true};
}

Message& Message::endNest(Nest n) {
  if (!n.valid || n.offset + NLA_HDRLEN > buf_.size()) {
    setError(0, "endNest without a matching beginNest");
    return *this;
  }
  size_t len = buf_.size() - n.offset;
  nlattr a;
  std::memcpy(&a, buf_.data() + n.offset, sizeof a);
  if (len > std::numeric_limits<uint16_t>::max()) {
    setError(a.nla_type & NLA_TYPE_MASK, "nested attribute too long");
    return *this;
  }
  a.nla_len = static_cast<uint16_t>(len);
  std::memcpy(buf_.data() + n.offset, &a, sizeof a);
  return *this;
}

uint16_t Message::type() const { return header(buf_)->nlmsg_type; }
uint16_t Message::flags() const { return header(buf_)->nlmsg_flags; }
void Message::addFlags(uint16_t f) { header(buf_)->nlmsg_flags |= f; }
uint32_t Message::seq() const { return header(buf_)->nlmsg_seq; }

void Message::stamp(uint32_t seq, uint32_t pid) {
  header(buf_)->nlmsg_seq = seq;
  header(buf_)->nlmsg_pid = pid;
}

}  // namespace cni::netlink
