// src/netlink/socket.cc — netlink request/reply with validation (see socket.h).
#include "src/netlink/socket.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "src/common/errno_text.h"
#include "src/netlink/dump_retry.h"

namespace cni::netlink {
namespace {

constexpr size_t kInitialRecvSize = 32 * 1024;

Error localError(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

// NLMSGERR_ATTR_MSG from the TLVs that follow an error/done payload at `offset`.
std::string extAckText(std::span<const uint8_t> payload, size_t offset) {
  if (offset > payload.size()) return {};
  auto attrs = AttrList::parse(payload.subspan(offset));
  if (!attrs) return {};
  const Attr* msg = attrs->find(NLMSGERR_ATTR_MSG);
  return msg ? msg->str() : std::string();
}

}  // namespace

std::string errnoText(int err) { return goErrnoText(err); }

Error kernelError(int err, std::string ext_ack) {
  return Error(ErrorCode::kInternal, errnoText(err), std::move(ext_ack));
}

Expected<Socket> Socket::open(int protocol) {
  int raw = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (raw < 0) return failErrno(ErrorCode::kInternal, "failed to open netlink socket", errno);
  UniqueFd fd(raw);
  // Best effort: these only improve diagnostics (extended ACK text), reply size (capped ACKs)
  // and dump filtering (strict checking); every kernel of our floor supports them.
  const int one = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);

  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return failErrno(ErrorCode::kInternal, "failed to bind netlink socket", errno);
  }
  socklen_t len = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return failErrno(ErrorCode::kInternal, "getsockname on netlink socket", errno);
  }
  // Any start value works; time-based like libmnl, so replies to an earlier process that had
  // the same port id cannot be mistaken for ours.
  return Socket(std::move(fd), local.nl_pid, static_cast<uint32_t>(::time(nullptr)));
}

Status Socket::send(const Message& req) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  auto bytes = req.bytes();
  while (true) {
    ssize_t n = ::sendto(fd_.get(), bytes.data(), bytes.size(), 0,
                         reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) {
      if (static_cast<size_t>(n) != bytes.size()) return fail(localError("short netlink send"));
      return {};
    }
    if (errno != EINTR) return failErrno(ErrorCode::kInternal, "netlink send", errno);
  }
}

Expected<size_t> Socket::receive() {
  if (buf_.size() < kInitialRecvSize) buf_.resize(kInitialRecvSize);
  sockaddr_nl from{};
  iovec iov{};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  auto recv = [&](int flags) -> ssize_t {
    iov.iov_base = buf_.data();
    // The peek copies nothing: MSG_TRUNC reports the real size even into an empty buffer.
    iov.iov_len = (flags & MSG_PEEK) ? 0 : buf_.size();
    msg.msg_namelen = sizeof from;
    ssize_t n;
    do {
      n = ::recvmsg(fd_.get(), &msg, flags);
    } while (n < 0 && errno == EINTR);
    return n;
  };
  // Peek first with MSG_TRUNC to learn the datagram's real size, so no reply is ever cut.
  ssize_t size = recv(MSG_PEEK | MSG_TRUNC);
  if (size < 0) return failErrno(ErrorCode::kInternal, "netlink receive", errno);
  if (static_cast<size_t>(size) > buf_.size()) buf_.resize(static_cast<size_t>(size));
  ssize_t n = recv(0);
  if (n < 0) return failErrno(ErrorCode::kInternal, "netlink receive", errno);
  if (msg.msg_flags & MSG_TRUNC) return fail(localError("netlink reply truncated"));
  if (msg.msg_namelen != sizeof from || from.nl_family != AF_NETLINK) {
    return fail(localError("netlink reply with an unexpected source address"));
  }
  if (from.nl_pid != 0) return size_t{0};  // not from the kernel: ignore (another process)
  return static_cast<size_t>(n);
}

Expected<Reply> Socket::exchangeOnce(Message& req, bool* interrupted) {
  const bool dump = (req.flags() & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump) req.addFlags(NLM_F_ACK);
  const uint32_t seq = ++seq_;
  req.stamp(seq, port_id_);
  CNI_TRY(send(req));

  Reply reply;
  while (true) {
    CNI_ASSIGN_OR_RETURN(size_t n, receive());
    size_t off = 0;
    while (off + NLMSG_HDRLEN <= n) {
      nlmsghdr h;
      std::memcpy(&h, buf_.data() + off, sizeof h);
      if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > n) {
        return fail(localError("malformed netlink reply"));
      }
      std::span<const uint8_t> whole(buf_.data() + off, h.nlmsg_len);
      off += NLMSG_ALIGN(h.nlmsg_len);
      if (h.nlmsg_seq != seq) continue;  // stale reply to an earlier, abandoned request
      if (h.nlmsg_pid != port_id_) {
        return fail(localError("netlink reply addressed to port " + std::to_string(h.nlmsg_pid) +
                               ", not ours (" + std::to_string(port_id_) + ")"));
      }
      if (h.nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
      auto payload = whole.subspan(NLMSG_HDRLEN);
      switch (h.nlmsg_type) {
        case NLMSG_NOOP:
          continue;
        case NLMSG_OVERRUN:
          return fail(localError("netlink overrun"));
        case NLMSG_ERROR: {
          if (payload.size() < sizeof(nlmsgerr)) {
            return fail(localError("truncated netlink error message"));
          }
          nlmsgerr e;
          std::memcpy(&e, payload.data(), sizeof e);
          reply.error = -e.error;
          if (e.error != 0 && (h.nlmsg_flags & NLM_F_ACK_TLVS)) {
            size_t tlv =
                (h.nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsgerr) : sizeof(int) + e.msg.nlmsg_len;
            reply.ext_ack = extAckText(payload, NLMSG_ALIGN(tlv));
          }
          return reply;
        }
        case NLMSG_DONE: {
          int status = 0;
          if (payload.size() >= sizeof(int)) std::memcpy(&status, payload.data(), sizeof status);
          reply.error = status < 0 ? -status : 0;
          if (reply.error != 0 && (h.nlmsg_flags & NLM_F_ACK_TLVS)) {
            reply.ext_ack = extAckText(payload, NLMSG_ALIGN(sizeof(int)));
          }
          return reply;
        }
        default:
          reply.messages.emplace_back(whole);
          // A non-dump GET is answered by its message then our ACK: keep reading.
      }
    }
  }
}

Expected<Reply> Socket::exchange(Message& req) {
  if (!req.status()) return std::unexpected(req.status().error());
  for (int attempt = 0;; ++attempt) {
    bool interrupted = false;
    CNI_ASSIGN_OR_RETURN(Reply r, exchangeOnce(req, &interrupted));
    if (!interrupted || r.error != 0) return r;
    if (attempt + 1 == kDumpAttempts) {
      return fail(ErrorCode::kTryAgainLater, "netlink dump interrupted by concurrent changes " +
                                                 std::to_string(kDumpAttempts) + " times");
    }
    pauseBeforeDumpRetry(attempt + 1);
  }
}

Status Socket::request(Message& req) {
  CNI_ASSIGN_OR_RETURN(Reply r, exchange(req));
  if (r.error != 0) return fail(kernelError(r.error, std::move(r.ext_ack)));
  return {};
}

Expected<std::vector<RawMessage>> Socket::query(Message& req) {
  CNI_ASSIGN_OR_RETURN(Reply r, exchange(req));
  if (r.error != 0) return fail(kernelError(r.error, std::move(r.ext_ack)));
  return std::move(r.messages);
}

}  // namespace cni::netlink
