// src/nft/nfsocket.cc — nf_tables batches and dumps (see nfsocket.h).
#include "src/nft/nfsocket.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "src/netlink/dump_retry.h"
#include "src/netlink/socket.h"
#include "src/nft/uapi.h"
#include "src/nft/wire.h"

namespace cni::nft {
namespace {

constexpr size_t kRecvSize = 64 * 1024;
// Replies are queued before sendmsg returns; this only bounds the wait if some went missing.
constexpr int kAckTimeoutMs = 1000;

Error localError(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

std::string extAckText(std::span<const uint8_t> payload, size_t offset) {
  if (offset > payload.size()) return {};
  auto attrs = netlink::AttrList::parse(payload.subspan(offset));
  if (!attrs) return {};
  const netlink::Attr* msg = attrs->find(NLMSGERR_ATTR_MSG);
  return msg ? msg->str() : std::string();
}

// errno and ext-ack text of an NLMSG_ERROR payload.
bool parseError(const nlmsghdr& h, std::span<const uint8_t> payload, int* err, std::string* ack) {
  if (payload.size() < sizeof(nlmsgerr)) return false;
  nlmsgerr e;
  std::memcpy(&e, payload.data(), sizeof e);
  *err = -e.error;
  if (e.error != 0 && (h.nlmsg_flags & NLM_F_ACK_TLVS)) {
    size_t tlv = (h.nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsgerr) : sizeof(int) + e.msg.nlmsg_len;
    *ack = extAckText(payload, NLMSG_ALIGN(tlv));
  }
  return true;
}

netlink::Message batchMarker(uint16_t type) {
  netlink::Message m(type, 0);
  nfgenmsg g{};
  g.nfgen_family = AF_UNSPEC;
  g.version = NFNETLINK_V0;
  g.res_id = htons(NFNL_SUBSYS_NFTABLES);
  m.putHeader(g);
  return m;
}

}  // namespace

netlink::Message nftMessage(uint16_t msg, uint8_t family, uint16_t flags) {
  netlink::Message m(nftType(msg), flags);
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = 0;
  m.putHeader(g);
  return m;
}

Expected<NfSocket> NfSocket::open() {
  int raw = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (raw < 0) return failErrno(ErrorCode::kInternal, "failed to open netfilter socket", errno);
  UniqueFd fd(raw);
  const int one = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return failErrno(ErrorCode::kInternal, "failed to bind netfilter socket", errno);
  }
  socklen_t len = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return failErrno(ErrorCode::kInternal, "getsockname on netfilter socket", errno);
  }
  return NfSocket(std::move(fd), local.nl_pid, static_cast<uint32_t>(::time(nullptr)) << 8);
}

Expected<size_t> NfSocket::receive(bool dontwait, bool* would_block) {
  if (buf_.size() < kRecvSize) buf_.resize(kRecvSize);
  sockaddr_nl from{};
  // An empty buffer for the peek: MSG_TRUNC still reports the datagram's real size, and nothing
  // is copied twice (a dump's datagrams are up to 32 KiB).
  iovec iov{buf_.data(), 0};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Peek the real size first so that no reply is ever truncated.
  ssize_t size;
  do {
    size = ::recvmsg(fd_.get(), &msg, MSG_PEEK | MSG_TRUNC | (dontwait ? MSG_DONTWAIT : 0));
  } while (size < 0 && errno == EINTR);
  if (size < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *would_block = true;
      return size_t{0};
    }
    return failErrno(ErrorCode::kInternal, "netfilter receive", errno);
  }
  if (static_cast<size_t>(size) > buf_.size()) buf_.resize(static_cast<size_t>(size));
  iov = {buf_.data(), buf_.size()};
  msg.msg_namelen = sizeof from;
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return failErrno(ErrorCode::kInternal, "netfilter receive", errno);
  if (msg.msg_flags & MSG_TRUNC) return fail(localError("netfilter reply truncated"));
  if (from.nl_pid != 0) return size_t{0};  // not from the kernel
  return static_cast<size_t>(n);
}

Expected<std::vector<BatchFailure>> NfSocket::sendBatch(std::vector<netlink::Message>& msgs) {
  for (const auto& m : msgs) {
    if (!m.status()) return std::unexpected(m.status().error());
  }
  if (msgs.empty()) return std::vector<BatchFailure>{};
  netlink::Message begin = batchMarker(NFNL_MSG_BATCH_BEGIN);
  netlink::Message end = batchMarker(NFNL_MSG_BATCH_END);
  const uint32_t first = ++seq_;
  begin.stamp(first, port_id_);
  for (size_t i = 0; i < msgs.size(); ++i) {
    msgs[i].addFlags(NLM_F_ACK);
    msgs[i].stamp(first + 1 + static_cast<uint32_t>(i), port_id_);
  }
  seq_ = first + 1 + static_cast<uint32_t>(msgs.size());
  end.stamp(seq_, port_id_);

  std::vector<iovec> iov;
  iov.reserve(msgs.size() + 2);
  auto add = [&](const netlink::Message& m) {
    auto b = m.bytes();
    iov.push_back({const_cast<uint8_t*>(b.data()), b.size()});
  };
  add(begin);
  for (const auto& m : msgs) add(m);
  add(end);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr mh{};
  mh.msg_name = &kernel;
  mh.msg_namelen = sizeof kernel;
  mh.msg_iov = iov.data();
  mh.msg_iovlen = iov.size();
  ssize_t sent;
  do {
    sent = ::sendmsg(fd_.get(), &mh, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return failErrno(ErrorCode::kInternal, "netfilter batch send", errno);

  std::vector<BatchFailure> failures;
  std::vector<bool> answered(msgs.size(), false);
  size_t pending = msgs.size();
  while (pending > 0) {
    bool would_block = false;
    CNI_ASSIGN_OR_RETURN(size_t n, receive(/*dontwait=*/true, &would_block));
    if (would_block) {
      pollfd p{fd_.get(), POLLIN, 0};
      int r = ::poll(&p, 1, kAckTimeoutMs);
      if (r < 0 && errno != EINTR) return failErrno(ErrorCode::kInternal, "netfilter poll", errno);
      if (r == 0) {
        return fail(localError("nftables batch: " + std::to_string(pending) + " of " +
                               std::to_string(msgs.size()) + " replies missing"));
      }
      continue;
    }
    size_t off = 0;
    while (off + NLMSG_HDRLEN <= n) {
      nlmsghdr h;
      std::memcpy(&h, buf_.data() + off, sizeof h);
      if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > n) {
        return fail(localError("malformed netfilter reply"));
      }
      std::span<const uint8_t> payload(buf_.data() + off + NLMSG_HDRLEN,
                                       h.nlmsg_len - NLMSG_HDRLEN);
      off += NLMSG_ALIGN(h.nlmsg_len);
      if (h.nlmsg_type != NLMSG_ERROR || h.nlmsg_seq < first || h.nlmsg_seq > seq_) continue;
      int err = 0;
      std::string ack;
      if (!parseError(h, payload, &err, &ack)) return fail(localError("truncated netlink error"));
      if (h.nlmsg_seq == first || h.nlmsg_seq == seq_) {
        // The batch as a whole was refused (or its commit failed): no per-message replies follow.
        if (err == 0) continue;
        failures.push_back({msgs.size(), err, ack});
        return failures;
      }
      size_t idx = h.nlmsg_seq - first - 1;
      if (!answered[idx]) {
        answered[idx] = true;
        --pending;
      }
      if (err != 0) failures.push_back({idx, err, ack});
    }
  }
  return failures;
}

Expected<std::vector<netlink::RawMessage>> NfSocket::dump(netlink::Message& req,
                                                          int* kernel_errno) {
  std::vector<netlink::RawMessage> out;
  CNI_TRY(dumpEach(
      req,
      [&](std::span<const uint8_t> m) -> Status {
        out.emplace_back(m);
        return {};
      },
      [&] { out.clear(); }, kernel_errno));
  return out;
}

Status NfSocket::dumpEach(netlink::Message& req, const DumpVisitor& each,
                          const std::function<void()>& restart, int* kernel_errno) {
  if (!req.status()) return std::unexpected(req.status().error());
  if (kernel_errno) *kernel_errno = 0;
  req.addFlags(NLM_F_DUMP);
  for (int attempt = 0; attempt < netlink::kDumpAttempts; ++attempt) {
    if (attempt > 0) {
      netlink::pauseBeforeDumpRetry(attempt);
      restart();
    }
    const uint32_t seq = ++seq_;
    req.stamp(seq, port_id_);
    auto b = req.bytes();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
      sent = ::sendto(fd_.get(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                      sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return failErrno(ErrorCode::kInternal, "netfilter send", errno);

    bool interrupted = false;
    bool done = false;
    // A multi-part nf_tables dump resumes by position (an index counting every rule, also those
    // of a batch not yet committed), so a rule added or removed before that position between two
    // parts makes the next part repeat or skip one, and the kernel does not flag this with
    // NLM_F_DUMP_INTR (seen on 6.18 under concurrent ADD/DEL/GC: a DEL listed its rule twice and
    // its batch failed with ENOENT). Two signs are caught and treated as an interrupted dump:
    // messages of different ruleset generations (nfgenmsg.res_id = base_seq & 0xffff, which a
    // commit bumps), and a part that starts with the message the previous part ended with.
    std::optional<uint16_t> generation;
    std::vector<uint8_t> previous_part_last;
    while (!done) {
      bool would_block = false;
      CNI_ASSIGN_OR_RETURN(size_t n, receive(/*dontwait=*/false, &would_block));
      size_t off = 0;
      bool part_start = true;
      std::span<const uint8_t> part_last;
      while (!done && off + NLMSG_HDRLEN <= n) {
        nlmsghdr h;
        std::memcpy(&h, buf_.data() + off, sizeof h);
        if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > n) {
          return fail(localError("malformed netfilter reply"));
        }
        std::span<const uint8_t> whole(buf_.data() + off, h.nlmsg_len);
        off += NLMSG_ALIGN(h.nlmsg_len);
        if (h.nlmsg_seq != seq || h.nlmsg_pid != port_id_) continue;
        if (h.nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
        auto payload = whole.subspan(NLMSG_HDRLEN);
        if (h.nlmsg_type == NLMSG_ERROR) {
          int err = 0;
          std::string ack;
          if (!parseError(h, payload, &err, &ack)) {
            return fail(localError("truncated netlink error"));
          }
          if (err == 0) {
            done = true;
            break;
          }
          if (kernel_errno) *kernel_errno = err;
          return fail(netlink::kernelError(err, std::move(ack)));
        }
        if (h.nlmsg_type == NLMSG_DONE) {
          int status = 0;
          if (payload.size() >= sizeof status) std::memcpy(&status, payload.data(), sizeof status);
          if (status < 0) {
            if (kernel_errno) *kernel_errno = -status;
            return fail(netlink::kernelError(-status));
          }
          done = true;
          break;
        }
        if (h.nlmsg_type == NLMSG_NOOP) continue;
        if (payload.size() >= sizeof(nfgenmsg)) {
          uint16_t gen = 0;
          std::memcpy(&gen, payload.data() + offsetof(nfgenmsg, res_id), sizeof gen);
          if (generation && *generation != gen) interrupted = true;
          generation = gen;
        }
        if (part_start && std::ranges::equal(whole, previous_part_last)) interrupted = true;
        part_start = false;
        part_last = whole;
        CNI_TRY(each(whole));
      }
      if (!part_last.empty()) previous_part_last.assign(part_last.begin(), part_last.end());
    }
    if (!interrupted) return {};
  }
  return fail(ErrorCode::kTryAgainLater, "nftables dump interrupted by concurrent changes " +
                                             std::to_string(netlink::kDumpAttempts) + " times");
}

}  // namespace cni::nft
