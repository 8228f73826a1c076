// src/dhcp/client.h — a DHCPv4 client for one interface of the *calling thread's* network
// namespace (the daemon runs it on a thread that joined the pod's netns).
//
// Transport: a UDP socket bound to 0.0.0.0:68 with SO_BINDTODEVICE(ifname) and SO_BROADCAST
// (the reference uses an AF_PACKET socket instead). Before the interface has an address the
// kernel only delivers replies that are broadcast, so every request carries the BOOTP broadcast
// flag (RFC 2131 §4.1) — the reference's `-broadcast` daemon flag is therefore always on here.
// RENEW and RELEASE are unicast to the server when a route to it exists (the pod's interface has
// the leased address by then) and fall back to broadcast when it does not.
//
// Retransmission follows the reference: each attempt waits up to `timeout` for each reply; failed
// attempts are retried after 2 s (+-1 s) four times, then after 4 s, 8 s, ... (+-1 s) until the
// delay reaches `resend_max`. `stopped` is polled so a DEL can cut a long retry short.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/dhcp/packet.h"

namespace cni::dhcp {

struct ClientConfig {
  std::string ifname;
  std::string client_id;              // option 61 value without its type byte
  std::vector<uint8_t> request_list;  // option 55
  std::vector<Option> provide;        // extra options sent in DISCOVER/REQUEST (12, 60, 77, ...)
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds resend_max{std::chrono::seconds(62)};
  // Sleeps up to `d`; returns false when the lease is being stopped (abort the retries).
  std::function<bool(std::chrono::milliseconds d)> sleep;
};

class Client {
 public:
  explicit Client(ClientConfig cfg) : cfg_(std::move(cfg)) {}

  // Looks up the interface (sets it up if it is down, as the reference does) and runs
  // DISCOVER -> OFFER -> REQUEST -> ACK, with retries. A NAK restarts the exchange.
  Expected<Packet> acquire();
  // RENEWING (unicast REQUEST with ciaddr, to the server of `ack`) / REBINDING (broadcast).
  // One round of retries; a NAK is an error.
  Expected<Packet> renew(const Packet& ack);
  Expected<Packet> rebind(const Packet& ack);
  // DHCPRELEASE for the lease of `ack` (no reply in the protocol).
  Status release(const Packet& ack);

  // Builds the messages (exposed for the unit tests).
  Packet makeDiscover(uint32_t xid) const;
  Packet makeRequest(uint32_t xid, const Packet& offer) const;
  Packet makeRenew(uint32_t xid, const Packet& ack) const;
  Packet makeRelease(uint32_t xid, const Packet& ack) const;
  void setMac(std::vector<uint8_t> mac) { mac_ = std::move(mac); }

 private:
  Status prepareLink();
  Packet base(uint32_t xid, MessageType type) const;
  Expected<Packet> withRetries(const std::function<Expected<Packet>()>& attempt);

  ClientConfig cfg_;
  std::vector<uint8_t> mac_;
};

}  // namespace cni::dhcp
