// src/dhcp/packet.h — DHCPv4 (RFC 2131/2132) messages as values: encode, decode, and the pure
// helpers the client needs (option lookup, classless static routes of RFC 3442, lease timers).
//
// Nothing here touches a socket or the clock, so every byte of the wire format is unit-tested.
// Options are kept as an ordered list of (code, bytes) because the order the client sends them
// in is visible on the wire, and decode() concatenates repeated occurrences of one code as
// RFC 3396 requires (long option 121 lists are split that way by some servers).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"

namespace cni::dhcp {

enum class MessageType : uint8_t {
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
};

// Option codes used by the client (RFC 2132 unless noted).
namespace opt {
inline constexpr uint8_t kPad = 0;
inline constexpr uint8_t kSubnetMask = 1;
inline constexpr uint8_t kRouter = 3;
inline constexpr uint8_t kHostName = 12;
inline constexpr uint8_t kStaticRoutes = 33;
inline constexpr uint8_t kRequestedIp = 50;
inline constexpr uint8_t kLeaseTime = 51;
inline constexpr uint8_t kMessageType = 53;
inline constexpr uint8_t kServerId = 54;
inline constexpr uint8_t kParamRequestList = 55;
inline constexpr uint8_t kMaxMessageSize = 57;
inline constexpr uint8_t kRenewalTime = 58;
inline constexpr uint8_t kRebindingTime = 59;
inline constexpr uint8_t kVendorClass = 60;
inline constexpr uint8_t kClientId = 61;
inline constexpr uint8_t kUserClass = 77;
inline constexpr uint8_t kClasslessRoutes = 121;  // RFC 3442
inline constexpr uint8_t kEnd = 255;
}  // namespace opt

using Ipv4 = std::array<uint8_t, 4>;  // network order

inline constexpr uint16_t kFlagBroadcast = 0x8000;
inline constexpr uint16_t kServerPort = 67;
inline constexpr uint16_t kClientPort = 68;

struct Option {
  uint8_t code = 0;
  std::vector<uint8_t> data;
  bool operator==(const Option&) const = default;
};

struct Packet {
  uint8_t op = 1;  // 1 BOOTREQUEST, 2 BOOTREPLY
  uint8_t htype = 1;
  uint8_t hlen = 6;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  Ipv4 ciaddr{}, yiaddr{}, siaddr{}, giaddr{};
  std::array<uint8_t, 16> chaddr{};
  std::vector<Option> options;  // without pad/end

  // The data of option `code` (all occurrences concatenated), or nullopt.
  std::optional<std::vector<uint8_t>> find(uint8_t code) const;
  std::optional<MessageType> type() const;
  std::optional<Ipv4> ipOption(uint8_t code) const;       // first 4 bytes of the option
  std::optional<uint32_t> u32Option(uint8_t code) const;  // big-endian 4-byte option
  // Appends (or replaces, keeping its position) option `code`.
  void set(uint8_t code, std::vector<uint8_t> data);
};

// The wire form: 236-byte BOOTP header, magic cookie, options (each longer than 255 bytes split
// per RFC 3396), end, padded to 300 bytes (the BOOTP minimum some relays insist on).
std::vector<uint8_t> encode(const Packet& p);
// Parses a received datagram; rejects short packets, a bad cookie, truncated options.
Expected<Packet> decode(std::span<const uint8_t> bytes);

// A route learnt from the lease. gw is nullopt for RFC 3442 entries with router 0.0.0.0 (the
// destination is on-link).
struct LeaseRoute {
  Ipv4 dst{};
  int prefix_len = 0;
  std::optional<Ipv4> gw;
  bool operator==(const LeaseRoute&) const = default;
};
// RFC 3442 option 121: (width, ceil(width/8) significant octets, router)*. nullopt if malformed.
std::optional<std::vector<LeaseRoute>> parseClasslessRoutes(std::span<const uint8_t> data);
std::vector<uint8_t> encodeClasslessRoutes(std::span<const LeaseRoute> routes);
// Option 33: (destination, router) pairs, the prefix length is the destination's class.
std::vector<LeaseRoute> parseStaticRoutes(std::span<const uint8_t> data);

// The routes a lease yields, as the reference computes them: option 121 alone when present and
// well formed (RFC 3442 says ignore 3 and 33 then); otherwise option 33 routes followed by a
// default route via the first router (if any).
std::vector<LeaseRoute> leaseRoutes(const Packet& ack);

// Lease timers from an ACK. Defaults as the reference (RFC 2131 §4.4.5 suggests 87.5% for T2;
// the reference uses 85%): T2 = 85% of the lease when absent or beyond the lease, T1 = 50% when
// absent or beyond T2.
struct LeaseTimes {
  std::chrono::seconds lease{0}, renew{0}, rebind{0};
  bool operator==(const LeaseTimes&) const = default;
};
// Fails when the ACK has no lease time (option 51), as the reference does.
Expected<LeaseTimes> leaseTimes(const Packet& ack);

// "a.b.c.d".
std::string ipv4Str(const Ipv4& a);
// Netmask bytes -> prefix length; nullopt for a non-contiguous mask.
std::optional<int> maskLength(const Ipv4& mask);

// Option names the reference accepts in `request`/`provide` (dhcp-options(5) spelling), or a
// decimal code 0..255. Fails with the reference's message otherwise.
Expected<uint8_t> parseOptionName(std::string_view name);

// The client identifier the reference derives: "<containerID>/<netName>/<ifname>", cut at 254
// bytes; on the wire option 61 is a 0 type byte followed by it.
std::string clientIdFor(std::string_view container_id, std::string_view net_name,
                        std::string_view ifname);

}  // namespace cni::dhcp
