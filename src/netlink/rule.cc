// src/netlink/rule.cc — fib rule requests and dump decoding (see rule.h).
#include "src/netlink/rule.h"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace cni::netlink {
namespace {

uint8_t afOf(IpFamily f) { return f == IpFamily::kV4 ? AF_INET : AF_INET6; }

Expected<IpPrefix> prefixOf(const Attr& a, uint8_t len) {
  auto ip = IpAddress::fromBytes(a.data);
  if (!ip)
    return fail(ErrorCode::kInternal,
                "rule address of " + std::to_string(a.data.size()) + " bytes");
  return IpPrefix::make(*ip, len);
}

}  // namespace

Message buildRuleRequest(uint16_t type, uint16_t flags, const Rule& r) {
  fib_rule_hdr h{};
  h.family = afOf(r.family);
  h.table = static_cast<uint8_t>(r.table < 256 ? r.table : RT_TABLE_UNSPEC);
  h.action = FR_ACT_TO_TBL;
  if (r.invert) h.flags |= FIB_RULE_INVERT;
  if (r.src) h.src_len = static_cast<uint8_t>(r.src->length());
  if (r.dst) h.dst_len = static_cast<uint8_t>(r.dst->length());
  Message m(type, flags);
  m.putHeader(h);
  if (r.src) m.putBytes(FRA_SRC, r.src->network().address().bytes());
  if (r.dst) m.putBytes(FRA_DST, r.dst->network().address().bytes());
  m.putU32(FRA_TABLE, r.table);
  if (r.priority) m.putU32(FRA_PRIORITY, *r.priority);
  if (!r.iif.empty()) m.putString(FRA_IIFNAME, r.iif);
  if (!r.oif.empty()) m.putString(FRA_OIFNAME, r.oif);
  if (r.fwmark) m.putU32(FRA_FWMARK, *r.fwmark);
  return m;
}

Expected<Rule> parseRule(const RawMessage& msg) {
  auto h = msg.familyHeader<fib_rule_hdr>();
  if (!h) return fail(ErrorCode::kInternal, "truncated RTM_NEWRULE message");
  CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(fib_rule_hdr)));
  Rule r;
  r.family = h->family == AF_INET6 ? IpFamily::kV6 : IpFamily::kV4;
  r.table = h->table;
  r.invert = h->flags & FIB_RULE_INVERT;
  if (const Attr* a = attrs.find(FRA_SRC)) {
    CNI_ASSIGN_OR_RETURN(r.src, prefixOf(*a, h->src_len));
  }
  if (const Attr* a = attrs.find(FRA_DST)) {
    CNI_ASSIGN_OR_RETURN(r.dst, prefixOf(*a, h->dst_len));
  }
  if (const Attr* a = attrs.find(FRA_TABLE)) r.table = a->u32().value_or(r.table);
  if (const Attr* a = attrs.find(FRA_PRIORITY)) r.priority = a->u32();
  if (const Attr* a = attrs.find(FRA_IIFNAME)) r.iif = a->str();
  if (const Attr* a = attrs.find(FRA_OIFNAME)) r.oif = a->str();
  if (const Attr* a = attrs.find(FRA_FWMARK)) r.fwmark = a->u32();
  return r;
}

Status addRule(Socket& sock, const Rule& r) {
  Message m = buildRuleRequest(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r);
  return sock.request(m);
}

Expected<DeleteResult> delRule(Socket& sock, const Rule& r) {
  Message m = buildRuleRequest(RTM_DELRULE, 0, r);
  CNI_ASSIGN_OR_RETURN(Reply reply, sock.exchange(m));
  if (reply.error == ENOENT) return DeleteResult::kNotFound;
  if (reply.error != 0) return fail(kernelError(reply.error, std::move(reply.ext_ack)));
  return DeleteResult::kDeleted;
}

Expected<std::vector<Rule>> listRules(Socket& sock, IpFamily family) {
  fib_rule_hdr h{};
  h.family = afOf(family);
  Message req(RTM_GETRULE, NLM_F_DUMP);
  req.putHeader(h);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(req));
  std::vector<Rule> out;
  for (const RawMessage& m : msgs) {
    if (m.type() != RTM_NEWRULE) continue;
    CNI_ASSIGN_OR_RETURN(Rule r, parseRule(m));
    if (r.family == family) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cni::netlink
