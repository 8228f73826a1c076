// src/dhcp/lease.cc — see lease.h.
#include "src/dhcp/lease.h"

#include <sched.h>

#include <cstdio>

#include "src/netlink/link.h"
#include "src/netlink/socket.h"

namespace cni::dhcp {
namespace {

using Clock = std::chrono::steady_clock;

void logf(const std::string& id, const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", id.c_str(), msg.c_str());
}

}  // namespace

Expected<LeaseInfo> leaseInfo(const Packet& ack) {
  auto mask = ack.ipOption(opt::kSubnetMask);
  if (!mask) return fail(ErrorCode::kInternal, "DHCP option Subnet Mask not found in DHCPACK");
  auto len = maskLength(*mask);
  if (!len) return fail(ErrorCode::kInternal, "DHCP option Subnet Mask is not a valid mask");
  LeaseInfo info;
  info.address = ack.yiaddr;
  info.prefix_len = *len;
  info.gateway = ack.ipOption(opt::kRouter);
  info.routes = leaseRoutes(ack);
  CNI_ASSIGN_OR_RETURN(info.times, leaseTimes(ack));
  return info;
}

Expected<std::unique_ptr<Lease>> Lease::acquire(netns::NetNs ns, ClientConfig cfg) {
  std::unique_ptr<Lease> l(new Lease(std::move(ns), std::move(cfg)));
  l->cfg_.sleep = [raw = l.get()](std::chrono::milliseconds d) { return raw->sleepFor(d); };
  logf(l->cfg_.client_id, "acquiring lease");
  l->thread_ = std::thread([raw = l.get()] { raw->run(); });
  std::unique_lock lock(l->mu_);
  l->cv_.wait(lock, [&] { return l->acquired_done_; });
  if (!l->acquired_) {
    Error e = l->acquired_.error();
    lock.unlock();
    l->thread_.join();  // the thread ends right after a failed acquisition
    return fail(std::move(e));
  }
  return l;
}

Lease::~Lease() { stop(); }

LeaseInfo Lease::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

void Lease::stop(bool release) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) release_ = release;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Lease::sleepFor(std::chrono::milliseconds d) { return sleepUntil(Clock::now() + d); }

bool Lease::sleepUntil(Clock::time_point t) {
  std::unique_lock lock(mu_);
  return !cv_.wait_until(lock, t, [&] { return stopping_; });
}

Status Lease::commit(const Packet& ack) {
  CNI_ASSIGN_OR_RETURN(LeaseInfo info, leaseInfo(ack));
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  ack_ = ack;
  info_ = info;
  renew_at_ = now + info.times.renew;
  rebind_at_ = now + info.times.rebind;
  expire_at_ = now + info.times.lease;
  return {};
}

void Lease::run() {
  auto report = [&](Status s) {
    std::lock_guard lock(mu_);
    acquired_ = std::move(s);
    acquired_done_ = true;
    cv_.notify_all();
  };
  // Join the pod's namespace on this thread only (the reason this is a dedicated thread).
  if (::setns(ns_.fd(), CLONE_NEWNET) != 0) {
    report(fail(ErrorCode::kInternal, "error switching to ns " + ns_.path()));
    return;
  }
  Client client(cfg_);
  auto ack = client.acquire();
  if (!ack) {
    report(fail(std::move(ack.error())));
    return;
  }
  if (Status s = commit(*ack); !s) {
    report(std::move(s));
    return;
  }
  logf(cfg_.client_id, "lease acquired: " + ipv4Str(ack->yiaddr));
  report({});
  maintain(client);
}

void Lease::maintain(Client& client) {
  for (;;) {
    Clock::time_point renew_at, rebind_at, expire_at;
    {
      std::lock_guard lock(mu_);
      renew_at = renew_at_;
      rebind_at = rebind_at_;
      expire_at = expire_at_;
    }
    if (!sleepUntil(renew_at)) break;
    Packet current;
    {
      std::lock_guard lock(mu_);
      current = ack_;
    }
    // RENEWING until T2, then REBINDING until expiry.
    Expected<Packet> fresh =
        Clock::now() < rebind_at ? client.renew(current) : client.rebind(current);
    if (fresh && commit(*fresh)) {
      logf(cfg_.client_id, "lease renewed");
      continue;
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    logf(cfg_.client_id, fresh ? "renewal ACK unusable" : fresh.error().msg);
    if (Clock::now() >= expire_at) {
      logf(cfg_.client_id, "lease expired, bringing interface DOWN");
      if (auto s = netlink::Socket::open()) {
        if (auto link = netlink::getLinkByName(*s, cfg_.ifname)) {
          (void)netlink::setLinkDown(*s, link->index);
        }
      }
      // Wait for DEL; there is nothing left to release.
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_; });
      return;
    }
    // Retry in a while: next attempt no later than expiry (RFC 2131 §4.4.5 halves the wait).
    const auto now = Clock::now();
    const auto next_deadline = now < rebind_at ? rebind_at : expire_at;
    auto wait = std::max<Clock::duration>((next_deadline - now) / 2, std::chrono::seconds(1));
    std::lock_guard lock(mu_);
    renew_at_ = now + wait;
  }
  Packet last;
  {
    std::lock_guard lock(mu_);
    if (!release_) return;
    last = ack_;
  }
  logf(cfg_.client_id, "releasing lease");
  if (Status s = client.release(last); !s) {
    logf(cfg_.client_id, "failed to release DHCP lease: " + s.error().msg);
  }
}

}  // namespace cni::dhcp
