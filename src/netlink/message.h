// src/netlink/message.h — building one netlink request: header, family header, attributes.
//
// Layout (every part padded to 4 bytes, NLMSG_ALIGN / NLA_ALIGN):
//
//   +----------+----------------------+---------+---------+-- ... --+
//   | nlmsghdr | family header        | attr    | attr    |         |
//   | len,type | ifinfomsg / ifaddrmsg| len,type| (nested:|         |
//   | flags,seq| / rtmsg ...          | payload | attrs)  |         |
//   +----------+----------------------+---------+---------+-- ... --+
//
// Attribute puts are bounds-checked: an attribute (or a nest) longer than nla_len can express
// (65535 bytes) or a message growing past its size limit does not write anything and records a
// *sticky* error instead, so a request can be built with plain calls and checked once:
// Socket refuses to send a Message whose status() is an error (the first error is kept, with the
// attribute type that caused it). Multi-byte integers are host byte order, as rtnetlink expects;
// the few network-order attributes are the caller's business.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "src/common/error.h"

namespace cni::netlink {

// An open nested attribute; close it with Message::endNest (in LIFO order).
struct Nest {
  size_t offset = 0;
  bool valid = false;
};

class Message {
 public:
  static constexpr size_t kDefaultMaxSize = 64 * 1024;

  // nlmsg_type (RTM_GETLINK, ...) and NLM_F_* flags. NLM_F_REQUEST is always added;
  // Socket adds NLM_F_ACK to non-dump requests and fills seq/pid.
  Message(uint16_t type, uint16_t flags, size_t max_size = kDefaultMaxSize);

  // The fixed family header (ifinfomsg, ifaddrmsg, rtmsg, ...). Must be the first put.
  template <class T>
  Message& putHeader(const T& h) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (buf_.size() != NLMSG_HDRLEN) {
      setError(0, "family header must precede attributes");
      return *this;
    }
    append(&h, sizeof(T));
    return *this;
  }

  Message& putBytes(uint16_t type, std::span<const uint8_t> data);
  Message& putU8(uint16_t type, uint8_t v) { return putRaw(type, &v, sizeof v); }
  Message& putU16(uint16_t type, uint16_t v) { return putRaw(type, &v, sizeof v); }
  Message& putU32(uint16_t type, uint32_t v) { return putRaw(type, &v, sizeof v); }
  Message& putU64(uint16_t type, uint64_t v) { return putRaw(type, &v, sizeof v); }
  Message& putS32(uint16_t type, int32_t v) { return putRaw(type, &v, sizeof v); }
  // NUL-terminated string (what NLA_STRING / NLA_NUL_STRING policies expect).
  Message& putString(uint16_t type, std::string_view s);
  // Zero-length attribute (NLA_FLAG).
  Message& putFlag(uint16_t type) { return putRaw(type, nullptr, 0); }
  template <class T>
  Message& putStruct(uint16_t type, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return putRaw(type, &v, sizeof v);
  }

  // A family header *inside* an open nest, without an attribute header of its own: the peer
  // of a veth (VETH_INFO_PEER carries an ifinfomsg then IFLA_* attributes) is encoded this way.
  template <class T>
  Message& putInnerHeader(const T& h) {
    static_assert(std::is_trivially_copyable_v<T>);
    return putUnframed(&h, sizeof(T));
  }

  // Opens a nested attribute (NLA_F_NESTED set unless nested_flag is false: strict kernel
  // policies require it on newer attributes, and the kernel masks it off everywhere else).
  Nest beginNest(uint16_t type, bool nested_flag = true);
  // Closes `n`, patching its length; an over-long nest becomes the sticky error.
  Message& endNest(Nest n);

  // The first error recorded by a put, or success.
  const Status& status() const { return status_; }

  uint16_t type() const;
  uint16_t flags() const;
  void addFlags(uint16_t f);
  uint32_t seq() const;
  // Stamps nlmsg_seq / nlmsg_pid (done by Socket before sending).
  void stamp(uint32_t seq, uint32_t pid);

  // The encoded message, nlmsg_len up to date.
  std::span<const uint8_t> bytes() const { return buf_; }

 private:
  Message& putRaw(uint16_t type, const void* data, size_t len);
  Message& putUnframed(const void* data, size_t len);
  void append(const void* data, size_t len);  // + padding to 4 bytes
  void setLen();
  void setError(uint16_t attr_type, std::string_view what);

  std::vector<uint8_t> buf_;
  size_t max_size_;
  Status status_;
};

}  // namespace cni::netlink
