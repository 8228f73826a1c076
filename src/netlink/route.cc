// src/netlink/route.cc — route requests and dump decoding (see route.h).
#include "src/netlink/route.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace cni::netlink {
namespace {

uint8_t afOf(IpFamily f) { return f == IpFamily::kV4 ? AF_INET : AF_INET6; }

void appendAttr(std::vector<uint8_t>& out, uint16_t type, std::span<const uint8_t> data) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + data.size());
  a.nla_type = type;
  const auto* h = reinterpret_cast<const uint8_t*>(&a);
  out.insert(out.end(), h, h + sizeof a);
  out.insert(out.end(), data.begin(), data.end());
  out.resize(NLA_ALIGN(out.size()), 0);
}

// RTA_MULTIPATH payload: rtnexthop {len, flags, hops, ifindex} + its attributes, per hop.
std::vector<uint8_t> encodeMultipath(const std::vector<NextHop>& hops) {
  std::vector<uint8_t> out;
  for (const NextHop& h : hops) {
    size_t at = out.size();
    out.resize(at + RTNH_ALIGN(sizeof(rtnexthop)), 0);
    if (h.gateway) appendAttr(out, RTA_GATEWAY, h.gateway->bytes());
    rtnexthop nh{};
    nh.rtnh_len = static_cast<unsigned short>(out.size() - at);
    nh.rtnh_flags = h.onlink ? RTNH_F_ONLINK : 0;
    nh.rtnh_hops = static_cast<unsigned char>(h.weight == 0 ? 0 : h.weight - 1);
    nh.rtnh_ifindex = h.dev;
    std::memcpy(out.data() + at, &nh, sizeof nh);
  }
  return out;
}

Expected<IpAddress> ipOf(const Attr& a) {
  auto ip = IpAddress::fromBytes(a.data);
  if (!ip)
    return fail(ErrorCode::kInternal,
                "route address of " + std::to_string(a.data.size()) + " bytes");
  return *ip;
}

Expected<std::vector<NextHop>> decodeMultipath(std::span<const uint8_t> data) {
  std::vector<NextHop> out;
  size_t off = 0;
  while (off + sizeof(rtnexthop) <= data.size()) {
    rtnexthop nh;
    std::memcpy(&nh, data.data() + off, sizeof nh);
    if (nh.rtnh_len < sizeof(rtnexthop) || off + nh.rtnh_len > data.size()) {
      return fail(ErrorCode::kInternal, "malformed RTA_MULTIPATH");
    }
    NextHop h;
    h.dev = nh.rtnh_ifindex;
    h.weight = static_cast<uint8_t>(nh.rtnh_hops + 1);
    h.onlink = nh.rtnh_flags & RTNH_F_ONLINK;
    size_t attrs_at = off + RTNH_ALIGN(sizeof(rtnexthop));
    if (attrs_at < off + nh.rtnh_len) {
      CNI_ASSIGN_OR_RETURN(AttrList attrs,
                           AttrList::parse(data.subspan(attrs_at, off + nh.rtnh_len - attrs_at)));
      if (const Attr* g = attrs.find(RTA_GATEWAY)) {
        CNI_ASSIGN_OR_RETURN(h.gateway, ipOf(*g));
      }
    }
    out.push_back(std::move(h));
    off += RTNH_ALIGN(nh.rtnh_len);
  }
  return out;
}

Status send(Socket& sock, uint16_t type, uint16_t flags, const Route& r) {
  Message m = buildRouteRequest(type, flags, r);
  return sock.request(m);
}

}  // namespace

Message buildRouteRequest(uint16_t type, uint16_t flags, const Route& r) {
  rtmsg rtm{};
  rtm.rtm_family = afOf(r.family());
  rtm.rtm_dst_len = static_cast<uint8_t>(r.dst.length());
  rtm.rtm_table = static_cast<uint8_t>(r.table < 256 ? r.table : RT_TABLE_UNSPEC);
  rtm.rtm_scope = r.scope;
  if (type == RTM_DELROUTE) {
    // A delete matches on what is given: unset protocol/type, and scope "nowhere" (= any) when
    // the caller left it at universe, as `ip route del` does.
    rtm.rtm_protocol = 0;
    rtm.rtm_type = r.type;
    if (r.scope == RT_SCOPE_UNIVERSE) rtm.rtm_scope = RT_SCOPE_NOWHERE;
  } else {
    rtm.rtm_protocol = r.protocol;
    rtm.rtm_type = r.type;
  }
  rtm.rtm_flags = r.onlink ? RTNH_F_ONLINK : 0;
  Message m(type, flags);
  m.putHeader(rtm);
  if (r.dst.length() > 0) m.putBytes(RTA_DST, r.dst.network().address().bytes());
  m.putU32(RTA_TABLE, r.table);
  if (r.gateway) m.putBytes(RTA_GATEWAY, r.gateway->bytes());
  if (r.dev != 0) m.putU32(RTA_OIF, static_cast<uint32_t>(r.dev));
  if (r.src) m.putBytes(RTA_PREFSRC, r.src->bytes());
  if (r.priority != 0) m.putU32(RTA_PRIORITY, r.priority);
  if (r.mtu != 0 || r.advmss != 0) {
    Nest metrics = m.beginNest(RTA_METRICS, /*nested_flag=*/false);
    if (r.mtu != 0) m.putU32(RTAX_MTU, r.mtu);
    if (r.advmss != 0) m.putU32(RTAX_ADVMSS, r.advmss);
    m.endNest(metrics);
  }
  if (!r.multipath.empty()) m.putBytes(RTA_MULTIPATH, encodeMultipath(r.multipath));
  return m;
}

Expected<Route> parseRoute(const RawMessage& msg) {
  auto rtm = msg.familyHeader<rtmsg>();
  if (!rtm) return fail(ErrorCode::kInternal, "truncated RTM_NEWROUTE message");
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) {
    return fail(ErrorCode::kInternal, "route of family " + std::to_string(rtm->rtm_family));
  }
  CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(rtmsg)));
  Route r;
  r.table = rtm->rtm_table;
  r.scope = rtm->rtm_scope;
  r.protocol = rtm->rtm_protocol;
  r.type = rtm->rtm_type;
  r.onlink = rtm->rtm_flags & RTNH_F_ONLINK;
  IpAddress dst = rtm->rtm_family == AF_INET ? IpAddress::v4(0u) : IpAddress::v6({});
  if (const Attr* a = attrs.find(RTA_DST)) {
    CNI_ASSIGN_OR_RETURN(dst, ipOf(*a));
  }
  CNI_ASSIGN_OR_RETURN(r.dst, IpPrefix::make(dst, rtm->rtm_dst_len));
  if (const Attr* a = attrs.find(RTA_TABLE)) r.table = a->u32().value_or(r.table);
  if (const Attr* a = attrs.find(RTA_GATEWAY)) {
    CNI_ASSIGN_OR_RETURN(r.gateway, ipOf(*a));
  }
  if (const Attr* a = attrs.find(RTA_OIF)) r.dev = static_cast<int>(a->u32().value_or(0));
  if (const Attr* a = attrs.find(RTA_PREFSRC)) {
    CNI_ASSIGN_OR_RETURN(r.src, ipOf(*a));
  }
  if (const Attr* a = attrs.find(RTA_PRIORITY)) r.priority = a->u32().value_or(0);
  if (const Attr* a = attrs.find(RTA_METRICS)) {
    CNI_ASSIGN_OR_RETURN(AttrList metrics, a->nested());
    if (const Attr* x = metrics.find(RTAX_MTU)) r.mtu = x->u32().value_or(0);
    if (const Attr* x = metrics.find(RTAX_ADVMSS)) r.advmss = x->u32().value_or(0);
  }
  if (const Attr* a = attrs.find(RTA_MULTIPATH)) {
    CNI_ASSIGN_OR_RETURN(r.multipath, decodeMultipath(a->data));
  }
  return r;
}

Status addRoute(Socket& sock, const Route& r) {
  return send(sock, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
}

Status replaceRoute(Socket& sock, const Route& r) {
  return send(sock, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r);
}

Expected<DeleteResult> delRoute(Socket& sock, const Route& r) {
  Message m = buildRouteRequest(RTM_DELROUTE, 0, r);
  CNI_ASSIGN_OR_RETURN(Reply reply, sock.exchange(m));
  if (reply.error == ESRCH) return DeleteResult::kNotFound;
  if (reply.error != 0) return fail(kernelError(reply.error, std::move(reply.ext_ack)));
  return DeleteResult::kDeleted;
}

Expected<std::vector<Route>> listRoutes(Socket& sock, const RouteFilter& f) {
  rtmsg rtm{};
  rtm.rtm_family = f.family ? afOf(*f.family) : AF_UNSPEC;
  Message req(RTM_GETROUTE, NLM_F_DUMP);
  req.putHeader(rtm);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  std::vector<Route> out;
  for (const RawMessage& m : msgs) {
    if (m.type() != RTM_NEWROUTE) continue;
    auto h = m.familyHeader<rtmsg>();
    if (!h || (h->rtm_family != AF_INET && h->rtm_family != AF_INET6)) continue;
    if (h->rtm_flags & RTM_F_CLONED) continue;
    CNI_ASSIGN_OR_RETURN(Route r, parseRoute(m));
    if (f.family && r.family() != *f.family) continue;
    if (f.table && r.table != *f.table) continue;
    if (f.dev != 0 && r.dev != f.dev) {
      bool via = false;
      for (const NextHop& nh : r.multipath) via = via || nh.dev == f.dev;
      if (!via) continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cni::netlink
