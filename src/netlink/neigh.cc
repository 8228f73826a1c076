// src/netlink/neigh.cc — neighbour and FDB requests and dump decoding (see neigh.h).
#include "src/netlink/neigh.h"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace cni::netlink {
namespace {

Expected<DeleteResult> sendDelete(Socket& sock, Message& m) {
  CNI_ASSIGN_OR_RETURN(Reply reply, sock.exchange(m));
  if (reply.error == ENOENT) return DeleteResult::kNotFound;
  if (reply.error != 0) return fail(kernelError(reply.error, std::move(reply.ext_ack)));
  return DeleteResult::kDeleted;
}

Neighbour fdbEntry(int port_index, std::span<const uint8_t> mac, std::optional<uint16_t> vlan,
                   bool self) {
  Neighbour n;
  n.fdb = true;
  n.index = port_index;
  n.mac.assign(mac.begin(), mac.end());
  n.vlan = vlan;
  n.flags = self ? NTF_SELF : NTF_MASTER;
  n.state = NUD_NOARP | NUD_PERMANENT;  // `bridge fdb add ... permanent` (a local entry)
  return n;
}

Expected<std::vector<Neighbour>> dump(Socket& sock, uint8_t family, int index) {
  ndmsg nd{};
  nd.ndm_family = family;
  // Strict dump checking: an IP neighbour dump takes its interface filter as NDA_IFINDEX (a
  // non-zero ndm_ifindex is refused), an FDB dump takes the bridge port in ndm_ifindex.
  if (family == AF_BRIDGE) nd.ndm_ifindex = index;
  Message req(RTM_GETNEIGH, NLM_F_DUMP);
  req.putHeader(nd);
  if (family != AF_BRIDGE && index != 0) req.putU32(NDA_IFINDEX, static_cast<uint32_t>(index));
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  std::vector<Neighbour> out;
  for (const RawMessage& m : msgs) {
    if (m.type() != RTM_NEWNEIGH) continue;
    auto h = m.familyHeader<ndmsg>();
    if (!h || h->ndm_family != family) continue;
    CNI_ASSIGN_OR_RETURN(Neighbour n, parseNeighbour(m));
    if (index != 0 && n.index != index) continue;
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

Message buildNeighbourRequest(uint16_t type, uint16_t flags, const Neighbour& n) {
  ndmsg nd{};
  nd.ndm_family = n.fdb ? AF_BRIDGE : (n.ip && n.ip->isV6() ? AF_INET6 : AF_INET);
  nd.ndm_ifindex = n.index;
  nd.ndm_state = n.state;
  nd.ndm_flags = n.flags;
  Message m(type, flags);
  m.putHeader(nd);
  if (n.ip) m.putBytes(NDA_DST, n.ip->bytes());
  if (!n.mac.empty()) m.putBytes(NDA_LLADDR, n.mac);
  if (n.vlan) m.putU16(NDA_VLAN, *n.vlan);
  return m;
}

Expected<Neighbour> parseNeighbour(const RawMessage& msg) {
  auto h = msg.familyHeader<ndmsg>();
  if (!h) return fail(ErrorCode::kInternal, "truncated RTM_NEWNEIGH message");
  CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(ndmsg)));
  Neighbour n;
  n.fdb = h->ndm_family == AF_BRIDGE;
  n.index = h->ndm_ifindex;
  n.state = h->ndm_state;
  n.flags = h->ndm_flags;
  if (const Attr* a = attrs.find(NDA_DST)) {
    auto ip = IpAddress::fromBytes(a->data);
    if (!ip) return fail(ErrorCode::kInternal, "malformed NDA_DST");
    n.ip = *ip;
  }
  if (const Attr* a = attrs.find(NDA_LLADDR)) n.mac.assign(a->data.begin(), a->data.end());
  if (const Attr* a = attrs.find(NDA_VLAN)) n.vlan = a->u16();
  if (const Attr* a = attrs.find(NDA_MASTER)) n.master = static_cast<int>(a->u32().value_or(0));
  return n;
}

Status addNeighbour(Socket& sock, const Neighbour& n) {
  Message m = buildNeighbourRequest(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, n);
  return sock.request(m);
}

Expected<DeleteResult> delNeighbour(Socket& sock, const Neighbour& n) {
  Message m = buildNeighbourRequest(RTM_DELNEIGH, 0, n);
  return sendDelete(sock, m);
}

Expected<std::vector<Neighbour>> listNeighbours(Socket& sock, IpFamily family, int index) {
  return dump(sock, family == IpFamily::kV4 ? AF_INET : AF_INET6, index);
}

Status addFdbEntry(Socket& sock, int port_index, std::span<const uint8_t> mac,
                   std::optional<uint16_t> vlan, bool self) {
  Message m = buildNeighbourRequest(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE,
                                    fdbEntry(port_index, mac, vlan, self));
  return sock.request(m);
}

Expected<DeleteResult> delFdbEntry(Socket& sock, int port_index, std::span<const uint8_t> mac,
                                   std::optional<uint16_t> vlan, bool self) {
  Message m = buildNeighbourRequest(RTM_DELNEIGH, 0, fdbEntry(port_index, mac, vlan, self));
  return sendDelete(sock, m);
}

Expected<std::vector<Neighbour>> listFdb(Socket& sock, int index) {
  return dump(sock, AF_BRIDGE, index);
}

}  // namespace cni::netlink
