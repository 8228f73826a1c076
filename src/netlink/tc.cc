// src/netlink/tc.cc — traffic-control requests and dump decoding (see tc.h).
#include "src/netlink/tc.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "src/common/file_text.h"

namespace cni::netlink {
namespace {

constexpr double kTimeUnitsPerSec = 1e6;  // TIME_UNITS_PER_SEC: tc's times are microseconds

tcmsg tcHeader(int ifindex, uint32_t handle, uint32_t parent, uint32_t info = 0) {
  tcmsg t{};
  t.tcm_family = AF_UNSPEC;
  t.tcm_ifindex = ifindex;
  t.tcm_handle = handle;
  t.tcm_parent = parent;
  t.tcm_info = info;
  return t;
}

Error malformed(std::string_view what) {
  return Error{ErrorCode::kInternal, "malformed " + std::string(what) + " from the kernel", {}};
}

Status sendTbf(Socket& sock, uint16_t flags, int ifindex, uint32_t handle, uint32_t parent,
               const TbfParams& p) {
  Message m = buildTbfRequest(RTM_NEWQDISC, flags, ifindex, handle, parent, p);
  return sock.request(m);
}

Expected<MirredAction> parseAction(const Attr& a) {
  CNI_ASSIGN_OR_RETURN(AttrList act, a.nested());
  const Attr* kind = act.find(TCA_ACT_KIND);
  const Attr* opts = act.find(TCA_ACT_OPTIONS);
  if (!kind || kind->str() != "mirred" || !opts) return fail(malformed("tc action"));
  CNI_ASSIGN_OR_RETURN(AttrList o, opts->nested());
  const Attr* parms = o.find(TCA_MIRRED_PARMS);
  if (!parms || parms->data.size() < sizeof(tc_mirred)) return fail(malformed("mirred action"));
  tc_mirred mp;
  std::memcpy(&mp, parms->data.data(), sizeof mp);
  return MirredAction{.eaction = mp.eaction, .ifindex = mp.ifindex, .verdict = mp.action};
}

}  // namespace

uint32_t PschedClock::usecToTicks(uint32_t usec) const {
  return static_cast<uint32_t>(static_cast<double>(usec) * tick_in_usec);
}

uint32_t PschedClock::ticksToUsec(uint32_t ticks) const {
  return static_cast<uint32_t>(static_cast<double>(ticks) / tick_in_usec);
}

Expected<PschedClock> parsePsched(std::string_view text) {
  uint64_t v[4] = {};
  const std::vector<std::string_view> words = splitFields(text);
  if (words.size() < 4) return fail(ErrorCode::kInternal, "short /proc/net/psched");
  for (size_t i = 0; i < 4; ++i) {
    uint64_t& x = v[i];
    const std::string word(words[i]);
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), x, 16);
    if (ec != std::errc{} || end != word.data() + word.size()) {
      return fail(ErrorCode::kInternal, "bad /proc/net/psched field \"" + word + "\"");
    }
  }
  uint64_t t2us = v[0], us2t = v[1], clock_res = v[2];
  if (clock_res == 1000000000) t2us = us2t;  // iproute2 compatibility rule
  if (us2t == 0) return fail(ErrorCode::kInternal, "bad /proc/net/psched (zero divisor)");
  PschedClock c;
  c.clock_factor = static_cast<double>(clock_res) / kTimeUnitsPerSec;
  c.tick_in_usec = static_cast<double>(t2us) / static_cast<double>(us2t) * c.clock_factor;
  return c;
}

Expected<PschedClock> schedClock() {
  static const Expected<PschedClock> clock = []() -> Expected<PschedClock> {
    auto text = readFileText("/proc/net/psched");
    if (!text) return fail(ErrorCode::kInternal, "cannot read /proc/net/psched");
    return parsePsched(*text);
  }();
  return clock;
}

TbfParams tbfFromBits(uint64_t rate_bits, uint64_t burst_bits, uint32_t latency_ms,
                      const PschedClock& clock) {
  TbfParams p;
  p.rate = rate_bits / 8;
  // Go converts the burst to uint32 before use (its validation keeps it below 4 GiB).
  const auto burst = static_cast<uint32_t>(burst_bits / 8);
  if (p.rate == 0) return p;
  const double burst_usec =
      static_cast<double>(burst) * kTimeUnitsPerSec / static_cast<double>(p.rate);
  p.buffer = clock.usecToTicks(static_cast<uint32_t>(burst_usec));
  const double latency_usec = kTimeUnitsPerSec * (static_cast<double>(latency_ms) / 1000.0);
  p.limit =
      static_cast<uint32_t>(static_cast<double>(p.rate) * latency_usec / kTimeUnitsPerSec) + burst;
  return p;
}

Message buildTbfRequest(uint16_t type, uint16_t flags, int ifindex, uint32_t handle,
                        uint32_t parent, const TbfParams& p) {
  Message m(type, flags);
  m.putHeader(tcHeader(ifindex, handle, parent));
  m.putString(TCA_KIND, "tbf");
  Nest opts = m.beginNest(TCA_OPTIONS, /*nested_flag=*/false);
  tc_tbf_qopt q{};
  q.rate.rate = static_cast<uint32_t>(p.rate);  // the low 32 bits; RATE64 carries the rest
  q.limit = p.limit;
  q.buffer = p.buffer;
  m.putStruct(TCA_TBF_PARMS, q);
  if (p.rate >= (uint64_t{1} << 32)) m.putU64(TCA_TBF_RATE64, p.rate);
  m.endNest(opts);
  return m;
}

Message buildIngressQdiscRequest(uint16_t type, uint16_t flags, int ifindex) {
  Message m(type, flags);
  m.putHeader(tcHeader(ifindex, kIngressQdiscHandle, kTcHandleIngress));
  m.putString(TCA_KIND, "ingress");
  m.endNest(m.beginNest(TCA_OPTIONS, /*nested_flag=*/false));
  return m;
}

Message buildQdiscDeleteRequest(int ifindex, uint32_t handle, uint32_t parent) {
  Message m(RTM_DELQDISC, 0);
  m.putHeader(tcHeader(ifindex, handle, parent));
  return m;
}

Message buildQdiscDumpRequest(int ifindex) {
  Message m(RTM_GETQDISC, NLM_F_DUMP);
  m.putHeader(tcHeader(ifindex, 0, 0));
  return m;
}

Message buildU32RedirectRequest(uint16_t flags, int ifindex, uint32_t parent, uint16_t priority,
                                uint16_t protocol, uint32_t classid,
                                const std::vector<MirredAction>& actions) {
  Message m(RTM_NEWTFILTER, flags);
  m.putHeader(tcHeader(ifindex, 0, parent, makeTcHandle(priority, htons(protocol))));
  m.putString(TCA_KIND, "u32");
  Nest opts = m.beginNest(TCA_OPTIONS, /*nested_flag=*/false);
  // tc_u32_sel followed by its keys: one all-zero key (mask 0 matches everything), terminal.
  // (tc_u32_sel ends in a flexible array, so the bytes are laid out by hand.)
  tc_u32_sel sel{};
  sel.flags = TC_U32_TERMINAL;
  sel.nkeys = 1;
  const tc_u32_key key{};
  uint8_t sel_bytes[sizeof(tc_u32_sel) + sizeof(tc_u32_key)];
  std::memcpy(sel_bytes, &sel, sizeof sel);
  std::memcpy(sel_bytes + sizeof sel, &key, sizeof key);
  m.putBytes(TCA_U32_SEL, sel_bytes);
  if (classid != 0) m.putU32(TCA_U32_CLASSID, classid);
  Nest acts = m.beginNest(TCA_U32_ACT, /*nested_flag=*/false);
  uint16_t slot = 1;  // action order: attribute types 1..N
  for (const MirredAction& a : actions) {
    Nest one = m.beginNest(slot++, /*nested_flag=*/false);
    m.putString(TCA_ACT_KIND, "mirred");
    Nest aopts = m.beginNest(TCA_ACT_OPTIONS, /*nested_flag=*/false);
    tc_mirred mp{};
    mp.action = a.verdict;
    mp.eaction = a.eaction;
    mp.ifindex = a.ifindex;
    m.putStruct(TCA_MIRRED_PARMS, mp);
    m.endNest(aopts);
    m.endNest(one);
  }
  m.endNest(acts);
  m.endNest(opts);
  return m;
}

Message buildFilterDumpRequest(int ifindex, uint32_t parent) {
  Message m(RTM_GETTFILTER, NLM_F_DUMP);
  m.putHeader(tcHeader(ifindex, 0, parent));
  return m;
}

Expected<Qdisc> parseQdisc(const RawMessage& msg) {
  auto t = msg.familyHeader<tcmsg>();
  if (!t) return fail(malformed("RTM_NEWQDISC"));
  Qdisc q;
  q.ifindex = t->tcm_ifindex;
  q.handle = t->tcm_handle;
  q.parent = t->tcm_parent;
  CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(tcmsg)));
  if (const Attr* k = attrs.find(TCA_KIND)) q.kind = k->str();
  const Attr* opts = attrs.find(TCA_OPTIONS);
  if (q.kind == "tbf" && opts) {
    CNI_ASSIGN_OR_RETURN(AttrList o, opts->nested());
    const Attr* parms = o.find(TCA_TBF_PARMS);
    if (!parms || parms->data.size() < sizeof(tc_tbf_qopt)) return fail(malformed("tbf qdisc"));
    tc_tbf_qopt qo;
    std::memcpy(&qo, parms->data.data(), sizeof qo);
    TbfParams p{.rate = qo.rate.rate, .buffer = qo.buffer, .limit = qo.limit};
    if (const Attr* r64 = o.find(TCA_TBF_RATE64); r64 && r64->u64()) p.rate = *r64->u64();
    q.tbf = p;
  }
  return q;
}

Expected<std::optional<U32Filter>> parseU32Filter(const RawMessage& msg) {
  auto t = msg.familyHeader<tcmsg>();
  if (!t) return fail(malformed("RTM_NEWTFILTER"));
  CNI_ASSIGN_OR_RETURN(AttrList attrs, msg.attrs(sizeof(tcmsg)));
  const Attr* kind = attrs.find(TCA_KIND);
  const Attr* opts = attrs.find(TCA_OPTIONS);
  if (!kind || kind->str() != "u32" || !opts) return std::optional<U32Filter>{};
  CNI_ASSIGN_OR_RETURN(AttrList o, opts->nested());
  const Attr* sel_attr = o.find(TCA_U32_SEL);
  if (!sel_attr) return std::optional<U32Filter>{};
  if (sel_attr->data.size() < sizeof(tc_u32_sel)) return fail(malformed("u32 selector"));
  U32Filter f;
  f.ifindex = t->tcm_ifindex;
  f.parent = t->tcm_parent;
  f.handle = t->tcm_handle;
  f.priority = static_cast<uint16_t>(t->tcm_info >> 16);
  f.protocol = ntohs(static_cast<uint16_t>(t->tcm_info & 0xFFFF));
  tc_u32_sel sel;
  std::memcpy(&sel, sel_attr->data.data(), sizeof sel);
  const size_t keys_len = sel_attr->data.size() - sizeof(tc_u32_sel);
  if (keys_len < sel.nkeys * sizeof(tc_u32_key)) return fail(malformed("u32 selector keys"));
  bool all = sel.nkeys > 0;
  for (size_t i = 0; i < sel.nkeys; ++i) {
    tc_u32_key key;
    std::memcpy(&key, sel_attr->data.data() + sizeof(tc_u32_sel) + i * sizeof key, sizeof key);
    all = all && key.mask == 0;
  }
  f.match_all = all;
  if (const Attr* c = o.find(TCA_U32_CLASSID); c && c->u32()) f.classid = *c->u32();
  if (const Attr* acts = o.find(TCA_U32_ACT)) {
    CNI_ASSIGN_OR_RETURN(AttrList list, acts->nested());
    for (const Attr& a : list.all()) {
      CNI_ASSIGN_OR_RETURN(MirredAction ma, parseAction(a));
      f.actions.push_back(ma);
    }
  }
  return std::optional<U32Filter>{std::move(f)};
}

Status addTbf(Socket& sock, int ifindex, uint32_t handle, uint32_t parent, const TbfParams& p) {
  return sendTbf(sock, NLM_F_CREATE | NLM_F_EXCL, ifindex, handle, parent, p);
}

Status replaceTbf(Socket& sock, int ifindex, uint32_t handle, uint32_t parent, const TbfParams& p) {
  return sendTbf(sock, NLM_F_CREATE | NLM_F_REPLACE, ifindex, handle, parent, p);
}

Status addIngressQdisc(Socket& sock, int ifindex) {
  Message m = buildIngressQdiscRequest(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex);
  return sock.request(m);
}

Expected<DeleteResult> deleteQdisc(Socket& sock, int ifindex, uint32_t handle, uint32_t parent) {
  Message m = buildQdiscDeleteRequest(ifindex, handle, parent);
  CNI_ASSIGN_OR_RETURN(Reply r, sock.exchange(m));
  // ENOENT: no such qdisc; EINVAL: deleting the default root qdisc (nothing of ours there).
  if (r.error == ENOENT || r.error == EINVAL || r.error == ENODEV) return DeleteResult::kNotFound;
  if (r.error != 0) return fail(kernelError(r.error, std::move(r.ext_ack)));
  return DeleteResult::kDeleted;
}

Expected<std::vector<Qdisc>> listQdiscs(Socket& sock, int ifindex) {
  Message m = buildQdiscDumpRequest(ifindex);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(m));
  std::vector<Qdisc> out;
  for (const RawMessage& raw : msgs) {
    if (raw.type() != RTM_NEWQDISC) continue;
    CNI_ASSIGN_OR_RETURN(Qdisc q, parseQdisc(raw));
    // Older kernels ignore the ifindex of a dump request: filter here.
    if (ifindex == 0 || q.ifindex == ifindex) out.push_back(std::move(q));
  }
  return out;
}

Status addU32Redirect(Socket& sock, int ifindex, uint32_t parent, uint16_t priority,
                      uint16_t protocol, uint32_t classid,
                      const std::vector<MirredAction>& actions) {
  Message m = buildU32RedirectRequest(NLM_F_CREATE | NLM_F_EXCL, ifindex, parent, priority,
                                      protocol, classid, actions);
  return sock.request(m);
}

Expected<std::vector<U32Filter>> listU32Filters(Socket& sock, int ifindex, uint32_t parent) {
  Message m = buildFilterDumpRequest(ifindex, parent);
  CNI_ASSIGN_OR_RETURN(std::vector<RawMessage> msgs, sock.query(m));
  std::vector<U32Filter> out;
  for (const RawMessage& raw : msgs) {
    if (raw.type() != RTM_NEWTFILTER) continue;
    CNI_ASSIGN_OR_RETURN(std::optional<U32Filter> f, parseU32Filter(raw));
    if (f) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace cni::netlink
