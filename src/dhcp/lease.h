// src/dhcp/lease.h — one maintained DHCP lease: the daemon's unit of state per attachment.
//
// Lease::acquire() starts a thread that joins the pod's network namespace (setns on that thread
// only; the daemon's other threads never change namespace), obtains the lease there and reports
// back; the thread then keeps the lease alive: RENEW (unicast) at T1, REBIND (broadcast) once
// T2 has passed, and — as the reference does — brings the interface down if the lease expires
// without renewal. stop() wakes the thread, which sends DHCPRELEASE and exits; the destructor
// stops it too, so a Lease can never leak its thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "src/common/error.h"
#include "src/dhcp/client.h"
#include "src/dhcp/packet.h"
#include "src/netns/netns.h"

namespace cni::dhcp {

// What the plugin reports for a lease.
struct LeaseInfo {
  Ipv4 address{};
  int prefix_len = 0;
  std::optional<Ipv4> gateway;  // first router (option 3)
  std::vector<LeaseRoute> routes;
  LeaseTimes times;
};

// The pure part of a lease: its ACK turned into what the plugin reports. Fails like the
// reference when the ACK has no subnet mask.
Expected<LeaseInfo> leaseInfo(const Packet& ack);

class Lease {
 public:
  // Blocks until the lease is obtained (or the retries are exhausted).
  static Expected<std::unique_ptr<Lease>> acquire(netns::NetNs ns, ClientConfig cfg);
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  LeaseInfo info() const;
  const std::string& clientId() const { return cfg_.client_id; }
  // Ends the maintenance thread, sending DHCPRELEASE first unless `release` is false (a lease
  // that lost a race for its client ID must not release the winner's binding). Idempotent.
  void stop(bool release = true);

 private:
  Lease(netns::NetNs ns, ClientConfig cfg) : ns_(std::move(ns)), cfg_(std::move(cfg)) {}
  void run();
  void maintain(Client& client);
  bool sleepFor(std::chrono::milliseconds d);  // false once stopping
  bool sleepUntil(std::chrono::steady_clock::time_point t);
  Status commit(const Packet& ack);

  netns::NetNs ns_;
  ClientConfig cfg_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool release_ = true;
  // Acquisition handshake with acquire().
  bool acquired_done_ = false;
  Status acquired_;
  Packet ack_;
  LeaseInfo info_;
  std::chrono::steady_clock::time_point renew_at_, rebind_at_, expire_at_;
};

}  // namespace cni::dhcp
