// src/nft/wire.cc — nf_tables wire helpers (see wire.h).
#include "src/nft/wire.h"

#include <arpa/inet.h>
#include <endian.h>

#include <cstring>

namespace cni::nft {
namespace {

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

std::vector<uint8_t> commentUdata(std::string_view comment) {
  if (comment.empty()) return {};
  if (comment.size() > kCommentMax) comment = comment.substr(0, kCommentMax);
  std::vector<uint8_t> out;
  out.push_back(kUdataComment);
  out.push_back(static_cast<uint8_t>(comment.size() + 1));
  out.insert(out.end(), comment.begin(), comment.end());
  out.push_back(0);
  return out;
}

std::string commentFromUdata(std::span<const uint8_t> udata) {
  size_t off = 0;
  while (off + 2 <= udata.size()) {
    uint8_t type = udata[off];
    uint8_t len = udata[off + 1];
    if (off + 2 + len > udata.size()) return {};
    if (type == kUdataComment) {
      const char* p = reinterpret_cast<const char*>(udata.data() + off + 2);
      size_t n = 0;
      while (n < len && p[n] != '\0') ++n;
      return std::string(p, n);
    }
    off += 2 + len;
  }
  return {};
}

uint32_t toBe32(uint32_t v) { return htobe32(v); }
uint64_t toBe64(uint64_t v) { return htobe64(v); }

uint32_t fromBe32(std::span<const uint8_t> b) {
  if (b.size() != 4) return 0;
  uint32_t v;
  std::memcpy(&v, b.data(), 4);
  return be32toh(v);
}

uint64_t fromBe64(std::span<const uint8_t> b) {
  if (b.size() != 8) return 0;
  uint64_t v;
  std::memcpy(&v, b.data(), 8);
  return be64toh(v);
}

AttrBuf& AttrBuf::putBytes(uint16_t type, std::span<const uint8_t> data) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + data.size());
  a.nla_type = type;
  size_t at = buf_.size();
  buf_.resize(at + align4(a.nla_len), 0);
  std::memcpy(buf_.data() + at, &a, sizeof a);
  if (!data.empty()) std::memcpy(buf_.data() + at + NLA_HDRLEN, data.data(), data.size());
  return *this;
}

AttrBuf& AttrBuf::putBe32(uint16_t type, uint32_t host_value) {
  uint32_t be = toBe32(host_value);
  return putBytes(type, {reinterpret_cast<const uint8_t*>(&be), 4});
}

AttrBuf& AttrBuf::putString(uint16_t type, std::string_view s) {
  std::vector<uint8_t> z(s.begin(), s.end());
  z.push_back(0);
  return putBytes(type, z);
}

size_t AttrBuf::beginNest(uint16_t type) {
  size_t at = buf_.size();
  putBytes(static_cast<uint16_t>(type | NLA_F_NESTED), {});
  return at;
}

AttrBuf& AttrBuf::endNest(size_t at) {
  uint16_t len = static_cast<uint16_t>(buf_.size() - at);
  std::memcpy(buf_.data() + at, &len, sizeof len);
  return *this;
}

std::string hex(std::span<const uint8_t> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

}  // namespace cni::nft
