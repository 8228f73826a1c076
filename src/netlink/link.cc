// src/netlink/link.cc — RTM_GETLINK / RTM_NEWLINK (flags) requests and RTM_NEWLINK decoding.
#include "src/netlink/link.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstdio>

namespace cni::netlink {
namespace {

// Statistics are by far the biggest part of a link message and nothing here needs them.
constexpr uint32_t kExtMask = RTEXT_FILTER_SKIP_STATS;

Error linkNotFound() { return Error(ErrorCode::kInternal, "Link not found"); }

Expected<std::optional<Link>> getOne(Socket& sock, Message& req) {
  CNI_ASSIGN_OR_RETURN(Reply r, sock.exchange(req));
  if (r.error == ENODEV) return std::optional<Link>();
  if (r.error != 0) return fail(kernelError(r.error, std::move(r.ext_ack)));
  for (const RawMessage& m : r.messages) {
    if (m.type() == RTM_NEWLINK) {
      CNI_ASSIGN_OR_RETURN(Link l, parseLink(m));
      return std::optional<Link>(std::move(l));
    }
  }
  return fail(ErrorCode::kInternal, "RTM_GETLINK answered without a link");
}

Status setFlags(Socket& sock, int index, uint32_t flags, uint32_t mask) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = flags;
  ifi.ifi_change = mask;
  Message req(RTM_NEWLINK, 0);
  req.putHeader(ifi);
  return sock.request(req);
}

}  // namespace

bool Link::isUp() const { return (flags & IFF_UP) != 0; }

std::string Link::macString() const {
  std::string out;
  for (size_t i = 0; i < mac.size(); ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x", mac[i]);
    if (i) out += ':';
    out += b;
  }
  return out;
}

namespace {

Expected<std::optional<std::vector<uint8_t>>> linkInfoData(Socket& sock, int index, uint16_t type) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  Message req(RTM_GETLINK, 0);
  req.putHeader(ifi).putU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  CNI_ASSIGN_OR_RETURN(auto msgs, sock.query(req));
  for (const RawMessage& msg : msgs) {
    if (msg.type() != RTM_NEWLINK) continue;
    CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(ifinfomsg)));
    const Attr* li = attrs.find(IFLA_LINKINFO);
    if (li == nullptr) break;
    CNI_ASSIGN_OR_RETURN(AttrList info, li->nested());
    const Attr* data = info.find(IFLA_INFO_DATA);
    if (data == nullptr) break;
    CNI_ASSIGN_OR_RETURN(AttrList d, data->nested());
    if (const Attr* a = d.find(type)) {
      return std::optional<std::vector<uint8_t>>(std::in_place, a->data.begin(), a->data.end());
    }
  }
  return std::optional<std::vector<uint8_t>>();
}

template <class T>
Expected<std::optional<T>> linkInfoDataScalar(Socket& sock, int index, uint16_t type) {
  CNI_ASSIGN_OR_RETURN(auto raw, linkInfoData(sock, index, type));
  if (!raw) return std::optional<T>();
  return Attr{.type = type, .data = *raw}.scalar<T>();
}

}  // namespace

Expected<std::optional<uint32_t>> linkInfoDataU32(Socket& sock, int index, uint16_t type) {
  return linkInfoDataScalar<uint32_t>(sock, index, type);
}

Expected<std::optional<uint16_t>> linkInfoDataU16(Socket& sock, int index, uint16_t type) {
  return linkInfoDataScalar<uint16_t>(sock, index, type);
}

Expected<Link> parseLink(const RawMessage& m) {
  auto ifi = m.familyHeader<ifinfomsg>();
  if (!ifi) return fail(ErrorCode::kInternal, "truncated RTM_NEWLINK message");
  CNI_ASSIGN_OR_RETURN(AttrList attrs, m.attrs(sizeof(ifinfomsg)));
  Link l;
  l.index = ifi->ifi_index;
  l.flags = ifi->ifi_flags;
  l.type = ifi->ifi_type;
  if (const Attr* a = attrs.find(IFLA_IFNAME)) l.name = a->str();
  if (const Attr* a = attrs.find(IFLA_MTU)) l.mtu = a->u32().value_or(0);
  if (const Attr* a = attrs.find(IFLA_ADDRESS)) l.mac.assign(a->data.begin(), a->data.end());
  if (const Attr* a = attrs.find(IFLA_MASTER)) l.master = static_cast<int>(a->u32().value_or(0));
  if (const Attr* a = attrs.find(IFLA_LINK)) l.parent = static_cast<int>(a->u32().value_or(0));
  if (const Attr* a = attrs.find(IFLA_OPERSTATE)) l.oper_state = a->u8().value_or(0);
  if (const Attr* a = attrs.find(IFLA_IFALIAS)) l.alias = a->str();
  if (const Attr* a = attrs.find(IFLA_GROUP)) l.group = a->u32().value_or(0);
  if (const Attr* a = attrs.find(IFLA_LINK_NETNSID)) l.link_netnsid = a->s32().value_or(-1);
  if (const Attr* a = attrs.find(IFLA_LINKINFO)) {
    CNI_ASSIGN_OR_RETURN(AttrList info, a->nested());
    if (const Attr* k = info.find(IFLA_INFO_KIND)) l.kind = k->str();
  }
  return l;
}

Expected<std::optional<Link>> findLinkByName(Socket& sock, std::string_view name) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Message req(RTM_GETLINK, 0);
  req.putHeader(ifi).putString(IFLA_IFNAME, name).putU32(IFLA_EXT_MASK, kExtMask);
  return getOne(sock, req);
}

Expected<std::optional<Link>> findLinkByIndex(Socket& sock, int index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  Message req(RTM_GETLINK, 0);
  req.putHeader(ifi).putU32(IFLA_EXT_MASK, kExtMask);
  return getOne(sock, req);
}

Expected<Link> getLinkByName(Socket& sock, std::string_view name) {
  CNI_ASSIGN_OR_RETURN(std::optional<Link> l, findLinkByName(sock, name));
  if (!l) return fail(linkNotFound());
  return std::move(*l);
}

Expected<Link> getLinkByIndex(Socket& sock, int index) {
  CNI_ASSIGN_OR_RETURN(std::optional<Link> l, findLinkByIndex(sock, index));
  if (!l) return fail(linkNotFound());
  return std::move(*l);
}

Expected<std::vector<Link>> listLinks(Socket& sock) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Message req(RTM_GETLINK, NLM_F_DUMP);
  req.putHeader(ifi).putU32(IFLA_EXT_MASK, kExtMask);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  std::vector<Link> out;
  out.reserve(msgs.size());
  for (const RawMessage& m : msgs) {
    if (m.type() != RTM_NEWLINK) continue;
    CNI_ASSIGN_OR_RETURN(Link l, parseLink(m));
    out.push_back(std::move(l));
  }
  return out;
}

Status setLinkUp(Socket& sock, int index) { return setFlags(sock, index, IFF_UP, IFF_UP); }
Status setLinkDown(Socket& sock, int index) { return setFlags(sock, index, 0, IFF_UP); }

}  // namespace cni::netlink
