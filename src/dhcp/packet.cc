// src/dhcp/packet.cc — see packet.h.
#include "src/dhcp/packet.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

namespace cni::dhcp {
namespace {

constexpr uint8_t kCookie[4] = {99, 130, 83, 99};
constexpr size_t kHeaderLen = 236;
constexpr size_t kMinPacket = 300;

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// The classful prefix length of an option-33 destination (RFC 2132 §5.8).
int classfulLength(const Ipv4& a) {
  if (a[0] < 128) return 8;
  if (a[0] < 192) return 16;
  return 24;
}

}  // namespace

std::optional<std::vector<uint8_t>> Packet::find(uint8_t code) const {
  std::optional<std::vector<uint8_t>> out;
  for (const Option& o : options) {
    if (o.code != code) continue;
    if (!out) out.emplace();
    out->insert(out->end(), o.data.begin(), o.data.end());
  }
  return out;
}

std::optional<MessageType> Packet::type() const {
  auto d = find(opt::kMessageType);
  if (!d || d->size() != 1 || (*d)[0] < 1 || (*d)[0] > 8) return std::nullopt;
  return static_cast<MessageType>((*d)[0]);
}

std::optional<Ipv4> Packet::ipOption(uint8_t code) const {
  auto d = find(code);
  if (!d || d->size() < 4) return std::nullopt;
  return Ipv4{(*d)[0], (*d)[1], (*d)[2], (*d)[3]};
}

std::optional<uint32_t> Packet::u32Option(uint8_t code) const {
  auto d = find(code);
  if (!d || d->size() != 4) return std::nullopt;
  return get32(d->data());
}

void Packet::set(uint8_t code, std::vector<uint8_t> data) {
  auto it = std::ranges::find(options, code, &Option::code);
  if (it != options.end()) {
    it->data = std::move(data);
    // Drop any further occurrences: set() defines the whole value.
    std::erase_if(options, [&](const Option& o) { return o.code == code && &o != &*it; });
    return;
  }
  options.push_back(Option{code, std::move(data)});
}

std::vector<uint8_t> encode(const Packet& p) {
  std::vector<uint8_t> out;
  out.reserve(kMinPacket + 64);
  out.push_back(p.op);
  out.push_back(p.htype);
  out.push_back(p.hlen);
  out.push_back(p.hops);
  put32(out, p.xid);
  put16(out, p.secs);
  put16(out, p.flags);
  for (const Ipv4* a : {&p.ciaddr, &p.yiaddr, &p.siaddr, &p.giaddr}) {
    out.insert(out.end(), a->begin(), a->end());
  }
  out.insert(out.end(), p.chaddr.begin(), p.chaddr.end());
  out.resize(kHeaderLen, 0);  // sname (64) + file (128)
  out.insert(out.end(), std::begin(kCookie), std::end(kCookie));
  for (const Option& o : p.options) {
    size_t off = 0;
    do {  // RFC 3396: a value longer than 255 bytes goes out as consecutive pieces
      size_t n = std::min<size_t>(255, o.data.size() - off);
      out.push_back(o.code);
      out.push_back(static_cast<uint8_t>(n));
      out.insert(out.end(), o.data.begin() + off, o.data.begin() + off + n);
      off += n;
    } while (off < o.data.size());
  }
  out.push_back(opt::kEnd);
  if (out.size() < kMinPacket) out.resize(kMinPacket, 0);
  return out;
}

Expected<Packet> decode(std::span<const uint8_t> b) {
  if (b.size() < kHeaderLen + 4) {
    return fail(ErrorCode::kInternal, "DHCP packet too short: " + std::to_string(b.size()));
  }
  if (!std::equal(std::begin(kCookie), std::end(kCookie), b.begin() + kHeaderLen)) {
    return fail(ErrorCode::kInternal, "DHCP packet without magic cookie");
  }
  Packet p;
  const uint8_t* d = b.data();
  p.op = d[0];
  p.htype = d[1];
  p.hlen = d[2];
  p.hops = d[3];
  p.xid = get32(d + 4);
  p.secs = get16(d + 8);
  p.flags = get16(d + 10);
  std::memcpy(p.ciaddr.data(), d + 12, 4);
  std::memcpy(p.yiaddr.data(), d + 16, 4);
  std::memcpy(p.siaddr.data(), d + 20, 4);
  std::memcpy(p.giaddr.data(), d + 24, 4);
  std::memcpy(p.chaddr.data(), d + 28, 16);
  size_t i = kHeaderLen + 4;
  while (i < b.size()) {
    uint8_t code = b[i++];
    if (code == opt::kPad) continue;
    if (code == opt::kEnd) return p;
    if (i >= b.size() || i + 1 + b[i] > b.size()) {
      return fail(ErrorCode::kInternal,
                  "DHCP option " + std::to_string(code) + " runs past the packet end");
    }
    size_t n = b[i++];
    p.options.push_back(Option{code, std::vector<uint8_t>(b.begin() + i, b.begin() + i + n)});
    i += n;
  }
  return p;  // no end option: tolerated, as most clients do
}

std::optional<std::vector<LeaseRoute>> parseClasslessRoutes(std::span<const uint8_t> data) {
  std::vector<LeaseRoute> out;
  size_t i = 0;
  while (i < data.size()) {
    int width = data[i++];
    if (width > 32) return std::nullopt;
    size_t sig = static_cast<size_t>((width + 7) / 8);
    if (i + sig + 4 > data.size()) return std::nullopt;
    LeaseRoute r;
    r.prefix_len = width;
    std::copy_n(data.begin() + i, sig, r.dst.begin());
    i += sig;
    Ipv4 gw{data[i], data[i + 1], data[i + 2], data[i + 3]};
    i += 4;
    if (gw != Ipv4{}) r.gw = gw;
    out.push_back(r);
  }
  return out;
}

std::vector<uint8_t> encodeClasslessRoutes(std::span<const LeaseRoute> routes) {
  std::vector<uint8_t> out;
  for (const LeaseRoute& r : routes) {
    out.push_back(static_cast<uint8_t>(r.prefix_len));
    out.insert(out.end(), r.dst.begin(), r.dst.begin() + (r.prefix_len + 7) / 8);
    Ipv4 gw = r.gw.value_or(Ipv4{});
    out.insert(out.end(), gw.begin(), gw.end());
  }
  return out;
}

std::vector<LeaseRoute> parseStaticRoutes(std::span<const uint8_t> data) {
  std::vector<LeaseRoute> out;
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    LeaseRoute r;
    std::copy_n(data.begin() + i, 4, r.dst.begin());
    r.prefix_len = classfulLength(r.dst);
    r.gw = Ipv4{data[i + 4], data[i + 5], data[i + 6], data[i + 7]};
    out.push_back(r);
  }
  return out;
}

std::vector<LeaseRoute> leaseRoutes(const Packet& ack) {
  if (auto d = ack.find(opt::kClasslessRoutes)) {
    if (auto r = parseClasslessRoutes(*d); r && !r->empty()) return *r;
  }
  std::vector<LeaseRoute> out;
  if (auto d = ack.find(opt::kStaticRoutes)) out = parseStaticRoutes(*d);
  if (auto gw = ack.ipOption(opt::kRouter)) out.push_back(LeaseRoute{{}, 0, *gw});
  return out;
}

Expected<LeaseTimes> leaseTimes(const Packet& ack) {
  auto lease = ack.u32Option(opt::kLeaseTime);
  if (!lease) return fail(ErrorCode::kInternal, "DHCP option Lease Time not found in DHCPACK");
  LeaseTimes t;
  t.lease = std::chrono::seconds(*lease);
  auto t2 = ack.u32Option(opt::kRebindingTime);
  t.rebind =
      t2 && std::chrono::seconds(*t2) <= t.lease ? std::chrono::seconds(*t2) : t.lease * 85 / 100;
  auto t1 = ack.u32Option(opt::kRenewalTime);
  t.renew = t1 && std::chrono::seconds(*t1) <= t.rebind ? std::chrono::seconds(*t1) : t.lease / 2;
  return t;
}

std::string ipv4Str(const Ipv4& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
         std::to_string(a[3]);
}

std::optional<int> maskLength(const Ipv4& mask) {
  uint32_t m = get32(mask.data());
  int len = std::countl_one(m);
  if (len < 32 && (m << len) != 0) return std::nullopt;
  return len;
}

Expected<uint8_t> parseOptionName(std::string_view name) {
  static constexpr std::pair<std::string_view, uint8_t> kNames[] = {
      {"dhcp-client-identifier", opt::kClientId},
      {"subnet-mask", opt::kSubnetMask},
      {"routers", opt::kRouter},
      {"host-name", opt::kHostName},
      {"user-class", opt::kUserClass},
      {"vendor-class-identifier", opt::kVendorClass},
  };
  for (const auto& [n, code] : kNames) {
    if (n == name) return code;
  }
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (name.empty() || ec != std::errc() || ptr != name.data() + name.size() || v > 255) {
    return fail(ErrorCode::kInternal, "Can not parse option: strconv.ParseUint: parsing \"" +
                                          std::string(name) + "\": invalid syntax");
  }
  return static_cast<uint8_t>(v);
}

std::string clientIdFor(std::string_view container_id, std::string_view net_name,
                        std::string_view ifname) {
  std::string id =
      std::string(container_id) + "/" + std::string(net_name) + "/" + std::string(ifname);
  if (id.size() > 254) id.resize(254);
  return id;
}

}  // namespace cni::dhcp
