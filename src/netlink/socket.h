// src/netlink/socket.h — a NETLINK_ROUTE (or other protocol) socket doing request/reply.
//
// The one place in cnikit that talks to the kernel over netlink. A Socket is bound to the
// network namespace of the thread that created it, so create it inside NetNs::run().
//
// Every exchange: stamp a fresh sequence number and our port id, send, then read until the
// request is answered — an ACK / NLMSG_ERROR for a plain request (NLM_F_ACK is always added),
// NLMSG_DONE for a dump (NLM_F_DUMP), gathering NLM_F_MULTI parts over as many datagrams as the
// kernel needs. Replies are validated: they must come from the kernel (sender port 0), carry our
// port id, and messages with another sequence number (left over from an aborted exchange) are
// skipped. Extended ACKs (NETLINK_EXT_ACK) are enabled, and the kernel's explanation ("Attribute
// failed policy validation", ...) ends up in Error::details. Dumps interrupted by a concurrent
// change (NLM_F_DUMP_INTR) are retried.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/common/unique_fd.h"
#include "src/netlink/attr.h"
#include "src/netlink/message.h"

namespace cni::netlink {

// The kernel's answer to one request.
struct Reply {
  int error = 0;                     // 0, or the positive errno the kernel answered with
  std::string ext_ack;               // extended-ACK message, if the kernel gave one
  std::vector<RawMessage> messages;  // data messages (RTM_NEWLINK, ...) in arrival order
};

// Go prints errno values in lower case ("no such device"); plugins surface these texts.
// (cni::goErrnoText, under the name the netlink callers use.)
std::string errnoText(int err);
// An Error for a kernel errno: msg = errnoText(err), details = extended-ACK text.
Error kernelError(int err, std::string ext_ack = {});

class Socket {
 public:
  // socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), extended ACKs and capped ACKs on,
  // strict dump checking on (the kernel then honours filters such as ifa_index), bound to a
  // kernel-assigned port id.
  static Expected<Socket> open(int protocol = NETLINK_ROUTE);

  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;

  // Sends `req` and collects the answer. Only local failures (an invalid request, send/recv
  // errors, malformed or foreign replies) are errors here; the kernel refusing the request is
  // Reply::error, so callers can treat e.g. ENODEV or EEXIST as the answer they are after.
  Expected<Reply> exchange(Message& req);

  // exchange() for a request that only needs an ACK; a kernel error becomes kernelError().
  Status request(Message& req);
  // exchange() returning the data messages; a kernel error becomes kernelError().
  Expected<std::vector<RawMessage>> query(Message& req);

  uint32_t portId() const { return port_id_; }

 private:
  Socket(UniqueFd fd, uint32_t port_id, uint32_t seq)
      : fd_(std::move(fd)), port_id_(port_id), seq_(seq) {}

  Expected<Reply> exchangeOnce(Message& req, bool* interrupted);
  Status send(const Message& req);
  // One datagram into buf_; returns its length.
  Expected<size_t> receive();

  UniqueFd fd_;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buf_;
};

}  // namespace cni::netlink
