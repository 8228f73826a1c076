// src/nft/conntrack.cc — ctnetlink dump + per-tuple delete (see conntrack.h).
#include "src/nft/conntrack.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "src/common/unique_fd.h"
#include "src/netlink/attr.h"
#include "src/netlink/message.h"
#include "src/netlink/socket.h"
#include "src/nft/nfsocket.h"

namespace cni::nft {
namespace {

constexpr uint16_t ctType(uint16_t msg) {
  return static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | msg);
}

netlink::Message ctMessage(uint16_t msg, IpFamily family, uint16_t flags) {
  netlink::Message m(ctType(msg), flags);
  nfgenmsg h{};
  h.nfgen_family = family == IpFamily::kV4 ? AF_INET : AF_INET6;
  h.version = NFNETLINK_V0;
  h.res_id = 0;
  m.putHeader(h);
  return m;
}

// One entry to delete: the payloads of its CTA_TUPLE_ORIG and (optional) CTA_ZONE, copied.
struct Victim {
  std::vector<uint8_t> tuple;
  std::vector<uint8_t> zone;
};

Expected<std::vector<Victim>> matching(IpFamily family, uint8_t proto, uint16_t dport) {
  CNI_ASSIGN_OR_RETURN(NfSocket sock, NfSocket::open());
  netlink::Message req = ctMessage(IPCTNL_MSG_CT_GET, family, 0);
  CNI_ASSIGN_OR_RETURN(auto msgs, sock.dump(req));
  std::vector<Victim> out;
  for (const netlink::RawMessage& m : msgs) {
    if (m.type() != ctType(IPCTNL_MSG_CT_NEW)) continue;
    auto attrs = m.attrs(sizeof(nfgenmsg));
    if (!attrs) continue;  // one malformed entry does not stop the others
    const netlink::Attr* orig = attrs->find(CTA_TUPLE_ORIG);
    if (!orig) continue;
    auto tuple = orig->nested();
    if (!tuple) continue;
    const netlink::Attr* l4 = tuple->find(CTA_TUPLE_PROTO);
    if (!l4) continue;
    auto l4attrs = l4->nested();
    if (!l4attrs) continue;
    const netlink::Attr* num = l4attrs->find(CTA_PROTO_NUM);
    const netlink::Attr* port = l4attrs->find(CTA_PROTO_DST_PORT);
    if (!num || !port || num->u8() != proto || !port->u16()) continue;
    if (ntohs(*port->u16()) != dport) continue;
    Victim v{.tuple = {orig->data.begin(), orig->data.end()}};
    if (const netlink::Attr* zone = attrs->find(CTA_ZONE))
      v.zone = {zone->data.begin(), zone->data.end()};
    out.push_back(std::move(v));
  }
  return out;
}

// A plain (non-batch) request/ACK exchange: ctnetlink has no batches.
class CtSocket {
 public:
  static Expected<CtSocket> open() {
    int raw = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (raw < 0) return failErrno(ErrorCode::kInternal, "failed to open netfilter socket", errno);
    UniqueFd fd(raw);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      return failErrno(ErrorCode::kInternal, "failed to bind netfilter socket", errno);
    }
    return CtSocket(std::move(fd));
  }

  // Returns the kernel's errno (0 = success).
  Expected<int> request(netlink::Message& m) {
    if (!m.status()) return std::unexpected(m.status().error());
    m.addFlags(NLM_F_ACK);
    const uint32_t seq = ++seq_;
    m.stamp(seq, 0);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    auto b = m.bytes();
    ssize_t sent;
    do {
      sent = ::sendto(fd_.get(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                      sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return failErrno(ErrorCode::kInternal, "conntrack send", errno);
    std::array<uint8_t, 8192> buf;
    for (;;) {
      ssize_t n;
      do {
        n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return failErrno(ErrorCode::kInternal, "conntrack receive", errno);
      size_t off = 0;
      while (off + NLMSG_HDRLEN <= static_cast<size_t>(n)) {
        nlmsghdr h;
        std::memcpy(&h, buf.data() + off, sizeof h);
        if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > static_cast<size_t>(n)) {
          return fail(ErrorCode::kInternal, "malformed conntrack reply");
        }
        if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR) {
          if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(int)) {
            return fail(ErrorCode::kInternal, "truncated conntrack ACK");
          }
          int err = 0;
          std::memcpy(&err, buf.data() + off + NLMSG_HDRLEN, sizeof err);
          return -err;
        }
        off += NLMSG_ALIGN(h.nlmsg_len);
      }
    }
  }

 private:
  explicit CtSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace

Expected<size_t> countConntrackByDport(IpFamily family, uint8_t proto, uint16_t dport) {
  CNI_ASSIGN_OR_RETURN(auto victims, matching(family, proto, dport));
  return victims.size();
}

Expected<size_t> deleteConntrackByDport(IpFamily family, uint8_t proto, uint16_t dport) {
  CNI_ASSIGN_OR_RETURN(auto victims, matching(family, proto, dport));
  if (victims.empty()) return size_t{0};
  CNI_ASSIGN_OR_RETURN(CtSocket sock, CtSocket::open());
  size_t deleted = 0;
  for (const Victim& v : victims) {
    netlink::Message m = ctMessage(IPCTNL_MSG_CT_DELETE, family, 0);
    m.putBytes(CTA_TUPLE_ORIG | NLA_F_NESTED, v.tuple);
    if (!v.zone.empty()) m.putBytes(CTA_ZONE, v.zone);
    CNI_ASSIGN_OR_RETURN(int err, sock.request(m));
    if (err == 0) {
      ++deleted;
    } else if (err != ENOENT) {  // ENOENT: it expired since the dump
      return fail(netlink::kernelError(err).withContext("conntrack delete"));
    }
  }
  return deleted;
}

}  // namespace cni::nft
