// src/dhcp/client.cc — see client.h.
#include "src/dhcp/client.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "src/common/errno_text.h"
#include "src/common/unique_fd.h"
#include "src/netlink/link.h"
#include "src/netlink/socket.h"

namespace cni::dhcp {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

uint32_t randomXid() {
  static thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<uint32_t>(gen());
}

milliseconds jitter(milliseconds base) {
  static thread_local std::mt19937 gen{std::random_device{}()};
  std::uniform_int_distribution<int> d(-1000, 999);
  return base + milliseconds(d(gen));
}

Error sysError(std::string_view what, int err) {
  return Error(ErrorCode::kInternal, std::string(what) + ": " + goErrnoText(err));
}

// The UDP endpoint of one exchange.
class Endpoint {
 public:
  static Expected<Endpoint> open(const std::string& ifname) {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail(sysError("socket", errno));
    int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::setsockopt(fd.get(), SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0) {
      return fail(sysError("setsockopt", errno));
    }
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                     static_cast<socklen_t>(ifname.size())) != 0) {
      return fail(sysError("SO_BINDTODEVICE " + ifname, errno));
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(kClientPort);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      return fail(sysError("bind 0.0.0.0:68", errno));
    }
    return Endpoint(std::move(fd));
  }

  // Unicast to `server` if given and routable, else broadcast.
  Status send(const Packet& p, const std::optional<Ipv4>& server) {
    std::vector<uint8_t> bytes = encode(p);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(kServerPort);
    if (server) {
      std::memcpy(&sa.sin_addr, server->data(), 4);
      if (::sendto(fd_.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa),
                   sizeof sa) >= 0) {
        return {};
      }
      // No address/route yet: fall through to broadcast.
    }
    sa.sin_addr.s_addr = htonl(INADDR_BROADCAST);
    if (::sendto(fd_.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa),
                 sizeof sa) < 0) {
      return fail(sysError("sendto", errno));
    }
    return {};
  }

  // The next reply for `xid`/`mac` of one of `types`, or an error after `timeout`.
  Expected<Packet> receive(uint32_t xid, const std::vector<uint8_t>& mac,
                           std::initializer_list<MessageType> types, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::vector<uint8_t> buf(1500);
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return fail(ErrorCode::kInternal, "timed out waiting for a DHCP reply");
      }
      pollfd pfd{fd_.get(), POLLIN, 0};
      int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(sysError("poll", errno));
      if (n == 0) continue;
      ssize_t got = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return fail(sysError("recv", errno));
      }
      auto p = decode(std::span(buf.data(), static_cast<size_t>(got)));
      if (!p || p->op != 2 || p->xid != xid) continue;
      if (!std::equal(mac.begin(), mac.end(), p->chaddr.begin())) continue;
      auto t = p->type();
      if (t && std::ranges::find(types, *t) != types.end()) return *p;
    }
  }

 private:
  explicit Endpoint(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

std::vector<uint8_t> ipBytes(const Ipv4& a) { return {a.begin(), a.end()}; }

}  // namespace

Status Client::prepareLink() {
  CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
  auto link = netlink::getLinkByName(s, cfg_.ifname);
  if (!link) {
    return fail(ErrorCode::kInternal,
                "error looking up \"" + cfg_.ifname + "\": " + link.error().msg);
  }
  mac_ = link->mac;
  if (!link->isUp()) CNI_TRY(netlink::setLinkUp(s, link->index));
  return {};
}

Packet Client::base(uint32_t xid, MessageType type) const {
  Packet p;
  p.xid = xid;
  p.flags = kFlagBroadcast;
  p.hlen = static_cast<uint8_t>(std::min<size_t>(mac_.size(), 16));
  std::copy_n(mac_.begin(), p.hlen, p.chaddr.begin());
  p.set(opt::kMessageType, {static_cast<uint8_t>(type)});
  std::vector<uint8_t> id{0};  // type 0: an opaque identifier, not a hardware address
  id.insert(id.end(), cfg_.client_id.begin(), cfg_.client_id.end());
  p.set(opt::kClientId, std::move(id));
  return p;
}

Packet Client::makeDiscover(uint32_t xid) const {
  Packet p = base(xid, MessageType::kDiscover);
  for (const Option& o : cfg_.provide) p.set(o.code, o.data);
  if (!cfg_.request_list.empty()) p.set(opt::kParamRequestList, cfg_.request_list);
  return p;
}

Packet Client::makeRequest(uint32_t xid, const Packet& offer) const {
  Packet p = base(xid, MessageType::kRequest);
  p.set(opt::kRequestedIp, ipBytes(offer.yiaddr));
  if (auto sid = offer.ipOption(opt::kServerId)) p.set(opt::kServerId, ipBytes(*sid));
  for (const Option& o : cfg_.provide) p.set(o.code, o.data);
  if (!cfg_.request_list.empty()) p.set(opt::kParamRequestList, cfg_.request_list);
  return p;
}

Packet Client::makeRenew(uint32_t xid, const Packet& ack) const {
  Packet p = base(xid, MessageType::kRequest);
  p.ciaddr = ack.yiaddr;  // RENEWING/REBINDING: ciaddr set, no 50/54 (RFC 2131 §4.3.2)
  for (const Option& o : cfg_.provide) p.set(o.code, o.data);
  if (!cfg_.request_list.empty()) p.set(opt::kParamRequestList, cfg_.request_list);
  return p;
}

Packet Client::makeRelease(uint32_t xid, const Packet& ack) const {
  Packet p = base(xid, MessageType::kRelease);
  p.flags = 0;
  p.ciaddr = ack.yiaddr;
  if (auto sid = ack.ipOption(opt::kServerId)) p.set(opt::kServerId, ipBytes(*sid));
  return p;
}

Expected<Packet> Client::withRetries(const std::function<Expected<Packet>()>& attempt) {
  milliseconds base_delay = std::chrono::seconds(4);
  int fast_left = 4;
  for (;;) {
    auto r = attempt();
    if (r) return r;
    milliseconds delay;
    if (fast_left > 0) {
      delay = jitter(std::chrono::seconds(2));
      --fast_left;
    } else {
      if (base_delay > cfg_.resend_max) return fail(ErrorCode::kInternal, "no more tries");
      delay = jitter(base_delay);
      base_delay *= 2;
    }
    if (cfg_.sleep && !cfg_.sleep(delay)) return r;
    if (!cfg_.sleep) std::this_thread::sleep_for(delay);
  }
}

Expected<Packet> Client::acquire() {
  CNI_TRY(prepareLink());
  return withRetries([&]() -> Expected<Packet> {
    CNI_ASSIGN_OR_RETURN(Endpoint ep, Endpoint::open(cfg_.ifname));
    const uint32_t xid = randomXid();
    CNI_TRY(ep.send(makeDiscover(xid), std::nullopt));
    CNI_ASSIGN_OR_RETURN(Packet offer, ep.receive(xid, mac_, {MessageType::kOffer}, cfg_.timeout));
    CNI_TRY(ep.send(makeRequest(xid, offer), std::nullopt));
    CNI_ASSIGN_OR_RETURN(
        Packet ack, ep.receive(xid, mac_, {MessageType::kAck, MessageType::kNak}, cfg_.timeout));
    if (ack.type() == MessageType::kNak) {
      return fail(ErrorCode::kInternal, "DHCP server NACK'd own offer");
    }
    return ack;
  });
}

Expected<Packet> Client::renew(const Packet& ack) {
  CNI_TRY(prepareLink());
  return withRetries([&]() -> Expected<Packet> {
    CNI_ASSIGN_OR_RETURN(Endpoint ep, Endpoint::open(cfg_.ifname));
    const uint32_t xid = randomXid();
    CNI_TRY(ep.send(makeRenew(xid, ack), ack.ipOption(opt::kServerId)));
    CNI_ASSIGN_OR_RETURN(
        Packet r, ep.receive(xid, mac_, {MessageType::kAck, MessageType::kNak}, cfg_.timeout));
    if (r.type() == MessageType::kNak) {
      return fail(ErrorCode::kInternal, "DHCP server did not renew lease");
    }
    return r;
  });
}

Expected<Packet> Client::rebind(const Packet& ack) {
  CNI_TRY(prepareLink());
  CNI_ASSIGN_OR_RETURN(Endpoint ep, Endpoint::open(cfg_.ifname));
  const uint32_t xid = randomXid();
  CNI_TRY(ep.send(makeRenew(xid, ack), std::nullopt));
  CNI_ASSIGN_OR_RETURN(Packet r,
                       ep.receive(xid, mac_, {MessageType::kAck, MessageType::kNak}, cfg_.timeout));
  if (r.type() == MessageType::kNak) {
    return fail(ErrorCode::kInternal, "DHCP server did not rebind lease");
  }
  return r;
}

Status Client::release(const Packet& ack) {
  CNI_TRY(prepareLink());
  CNI_ASSIGN_OR_RETURN(Endpoint ep, Endpoint::open(cfg_.ifname));
  return ep.send(makeRelease(randomXid(), ack), ack.ipOption(opt::kServerId));
}

}  // namespace cni::dhcp
