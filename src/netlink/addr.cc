// src/netlink/addr.cc — RTM_GETADDR dumps and RTM_NEWADDR/RTM_DELADDR requests.
#include "src/netlink/addr.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace cni::netlink {
namespace {

uint8_t afOf(IpFamily f) { return f == IpFamily::kV4 ? AF_INET : AF_INET6; }

Expected<IpAddress> fromAttr(const Attr& a) {
  auto ip = IpAddress::fromBytes(a.data);
  if (!ip) {
    return fail(ErrorCode::kInternal,
                "address attribute of " + std::to_string(a.data.size()) + " bytes");
  }
  return *ip;
}

Status changeAddress(Socket& sock, uint16_t type, uint16_t flags, int index, const IpPrefix& prefix,
                     uint8_t scope) {
  ifaddrmsg ifa{};
  ifa.ifa_family = afOf(prefix.family());
  ifa.ifa_prefixlen = static_cast<uint8_t>(prefix.length());
  ifa.ifa_scope = scope;
  ifa.ifa_index = static_cast<uint32_t>(index);
  Message req(type, flags);
  // Both, as iproute2 sends them: IFA_LOCAL is the address, IFA_ADDRESS the (absent) peer.
  auto bytes = prefix.address().bytes();
  req.putHeader(ifa).putBytes(IFA_LOCAL, bytes).putBytes(IFA_ADDRESS, bytes);
  return sock.request(req);
}

}  // namespace

Expected<Address> parseAddress(const RawMessage& m) {
  auto ifa = m.familyHeader<ifaddrmsg>();
  if (!ifa) return fail(ErrorCode::kInternal, "truncated RTM_NEWADDR message");
  CNI_ASSIGN_OR_RETURN(AttrList attrs, m.attrs(sizeof(ifaddrmsg)));
  Address a;
  a.index = static_cast<int>(ifa->ifa_index);
  a.scope = ifa->ifa_scope;
  a.flags = ifa->ifa_flags;
  if (const Attr* f = attrs.find(IFA_FLAGS)) a.flags = f->u32().value_or(a.flags);
  if (const Attr* l = attrs.find(IFA_LABEL)) a.label = l->str();
  const Attr* local = attrs.find(IFA_LOCAL);
  const Attr* address = attrs.find(IFA_ADDRESS);
  if (!local && !address) return fail(ErrorCode::kInternal, "RTM_NEWADDR without an address");
  CNI_ASSIGN_OR_RETURN(IpAddress ip, fromAttr(local ? *local : *address));
  if (local && address) {
    CNI_ASSIGN_OR_RETURN(IpAddress peer, fromAttr(*address));
    if (peer != ip) a.peer = peer;
  }
  if (afOf(ip.family()) != ifa->ifa_family) {
    return fail(ErrorCode::kInternal, "RTM_NEWADDR address does not match its family");
  }
  CNI_ASSIGN_OR_RETURN(a.prefix, IpPrefix::make(ip, ifa->ifa_prefixlen));
  return a;
}

Expected<std::vector<Address>> listAddresses(Socket& sock, int index,
                                             std::optional<IpFamily> family) {
  ifaddrmsg ifa{};
  ifa.ifa_family = family ? afOf(*family) : AF_UNSPEC;
  ifa.ifa_index = static_cast<uint32_t>(index);  // honoured by strict dump checking
  Message req(RTM_GETADDR, NLM_F_DUMP);
  req.putHeader(ifa);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  std::vector<Address> out;
  for (const RawMessage& m : msgs) {
    if (m.type() != RTM_NEWADDR) continue;
    CNI_ASSIGN_OR_RETURN(Address a, parseAddress(m));
    // Filter here too: a kernel without strict checking ignores the request's filter.
    if (index != 0 && a.index != index) continue;
    if (family && a.family() != *family) continue;
    out.push_back(std::move(a));
  }
  return out;
}

Status addAddress(Socket& sock, int index, const IpPrefix& prefix, uint8_t scope) {
  return changeAddress(sock, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, prefix, scope);
}

Status delAddress(Socket& sock, int index, const IpPrefix& prefix) {
  return changeAddress(sock, RTM_DELADDR, 0, index, prefix, 0);
}

Message buildAddressRequest(int index, const IpPrefix& prefix, const AddressOptions& opts) {
  ifaddrmsg ifa{};
  ifa.ifa_family = afOf(prefix.family());
  ifa.ifa_prefixlen = static_cast<uint8_t>(prefix.length());
  ifa.ifa_scope = opts.scope;
  ifa.ifa_index = static_cast<uint32_t>(index);
  // The low 8 flag bits fit the header; IFA_FLAGS carries all 32 (NOPREFIXROUTE is bit 9).
  ifa.ifa_flags = static_cast<uint8_t>(opts.flags & 0xff);
  Message req(RTM_NEWADDR,
              static_cast<uint16_t>(NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL)));
  auto bytes = prefix.address().bytes();
  req.putHeader(ifa).putBytes(IFA_LOCAL, bytes);
  req.putBytes(IFA_ADDRESS, opts.peer ? opts.peer->bytes() : bytes);
  if (opts.flags != 0) req.putU32(IFA_FLAGS, opts.flags);
  if (opts.broadcast) req.putBytes(IFA_BROADCAST, opts.broadcast->bytes());
  if (!opts.label.empty()) req.putString(IFA_LABEL, opts.label);
  return req;
}

Status addAddress(Socket& sock, int index, const IpPrefix& prefix, const AddressOptions& opts) {
  Message req = buildAddressRequest(index, prefix, opts);
  return sock.request(req);
}

Status replaceAddress(Socket& sock, int index, const IpPrefix& prefix, AddressOptions opts) {
  opts.replace = true;
  return addAddress(sock, index, prefix, opts);
}

Expected<DeleteResult> removeAddress(Socket& sock, int index, const IpPrefix& prefix) {
  ifaddrmsg ifa{};
  ifa.ifa_family = afOf(prefix.family());
  ifa.ifa_prefixlen = static_cast<uint8_t>(prefix.length());
  ifa.ifa_index = static_cast<uint32_t>(index);
  Message req(RTM_DELADDR, 0);
  req.putHeader(ifa).putBytes(IFA_LOCAL, prefix.address().bytes());
  CNI_ASSIGN_OR_RETURN(Reply r, sock.exchange(req));
  if (r.error == EADDRNOTAVAIL || r.error == ENODEV) return DeleteResult::kNotFound;
  if (r.error != 0) return fail(kernelError(r.error, std::move(r.ext_ack)));
  return DeleteResult::kDeleted;
}

}  // namespace cni::netlink
