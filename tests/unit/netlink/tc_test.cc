// tests/unit/netlink/tc_test.cc — traffic-control encodings (src/netlink/tc.h) without a
// kernel: the TBF arithmetic the bandwidth plugin shares with Go's netlink and `tc`, the psched
// clock file, and the byte layout of qdisc / u32 filter requests, decoded with the socket's own
// parser — and decoded back by parseQdisc / parseU32Filter, as a dump would be.
#include "src/netlink/tc.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>

#include <cstring>

namespace cni::netlink {
namespace {

AttrList attrsOf(const RawMessage& r) {
  auto a = r.attrs(sizeof(tcmsg));
  EXPECT_TRUE(a);
  return a ? *a : AttrList();
}

AttrList nestedOf(const AttrList& l, uint16_t type) {
  const Attr* a = l.find(type);
  EXPECT_NE(a, nullptr) << "missing attribute " << type;
  if (!a) return {};
  auto n = a->nested();
  EXPECT_TRUE(n);
  return n ? *n : AttrList();
}

// A request as the kernel would echo it in a dump (same layout: tcmsg + TCA_* attributes).
RawMessage asDump(const Message& m, uint16_t type) {
  std::vector<uint8_t> b(m.bytes().begin(), m.bytes().end());
  nlmsghdr h;
  std::memcpy(&h, b.data(), sizeof h);
  h.nlmsg_type = type;
  std::memcpy(b.data(), &h, sizeof h);
  return RawMessage(b);
}

TEST(Psched, StandardClockIs15625TicksPerMillisecond) {
  auto c = parsePsched("000003e8 00000040 000f4240 3b9aca00\n");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_DOUBLE_EQ(c->tick_in_usec, 15.625);
  EXPECT_DOUBLE_EQ(c->clock_factor, 1.0);
  EXPECT_EQ(c->usecToTicks(1000), 15625u);
  EXPECT_EQ(c->ticksToUsec(15625), 1000u);
}

TEST(Psched, NanosecondClockResolutionUsesTheCompatibilityRule) {
  // clock_res 1e9: iproute2 and Go take t2us = us2t, so a tick is clock_factor (1000) usec^-1.
  auto c = parsePsched("000003e8 00000040 3b9aca00 3b9aca00");
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->clock_factor, 1000.0);
  EXPECT_DOUBLE_EQ(c->tick_in_usec, 1000.0);
}

TEST(Psched, MalformedFilesAreErrors) {
  EXPECT_FALSE(parsePsched(""));
  EXPECT_FALSE(parsePsched("000003e8 00000040 000f4240"));
  EXPECT_FALSE(parsePsched("000003e8 zz 000f4240 3b9aca00"));
  EXPECT_FALSE(parsePsched("000003e8 00000000 000f4240 3b9aca00"));
}

TEST(Psched, TheRunningKernelsClockParses) {
  auto c = schedClock();
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_GT(c->tick_in_usec, 0.0);
}

TEST(TbfMath, EightMegabitWithTenKilobyteBurst) {
  const PschedClock clock;  // 15.625 ticks/usec
  TbfParams p = tbfFromBits(8'000'000, 80'000, 25, clock);
  EXPECT_EQ(p.rate, 1'000'000u);
  EXPECT_EQ(p.buffer, 156'250u);  // 10000 B at 1 MB/s = 10 ms = 156250 ticks
  EXPECT_EQ(p.limit, 35'000u);    // 25 ms at 1 MB/s + the burst
}

TEST(TbfMath, TinyRatesAsTheReferenceTestsExpect) {
  // ingressRate 8 / ingressBurst 8 (the reference's own test): 1 byte/s, 1 byte.
  TbfParams p = tbfFromBits(8, 8, 25, PschedClock{});
  EXPECT_EQ(p.rate, 1u);
  EXPECT_EQ(p.limit, 1u);
  EXPECT_EQ(p.buffer, 15'625'000u);
}

TEST(TbfMath, TruncatesLikeGo) {
  // 1000 bits/s = 125 B/s; burst 100 bits = 12 B (integer division) -> 96000 usec.
  TbfParams p = tbfFromBits(1000, 100, 25, PschedClock{});
  EXPECT_EQ(p.rate, 125u);
  EXPECT_EQ(p.buffer, 1'500'000u);
  EXPECT_EQ(p.limit, 3u + 12u);  // 125 * 0.025 = 3.125 -> 3
}

TEST(TcEncoding, TbfQdiscRequest) {
  TbfParams p{.rate = 1'000'000, .buffer = 156'250, .limit = 35'000};
  Message m = buildTbfRequest(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, 7, makeTcHandle(1, 0),
                              kTcHandleRoot, p);
  ASSERT_TRUE(m.status());
  RawMessage r(m.bytes());
  EXPECT_EQ(r.type(), RTM_NEWQDISC);
  EXPECT_EQ(r.header().nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  auto t = r.familyHeader<tcmsg>();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->tcm_family, AF_UNSPEC);
  EXPECT_EQ(t->tcm_ifindex, 7);
  EXPECT_EQ(t->tcm_handle, 0x00010000u);
  EXPECT_EQ(t->tcm_parent, TC_H_ROOT);
  AttrList a = attrsOf(r);
  ASSERT_NE(a.find(TCA_KIND), nullptr);
  EXPECT_EQ(a.find(TCA_KIND)->str(), "tbf");
  AttrList o = nestedOf(a, TCA_OPTIONS);
  auto q = o.find(TCA_TBF_PARMS)->scalar<tc_tbf_qopt>();
  ASSERT_TRUE(q);
  EXPECT_EQ(q->rate.rate, 1'000'000u);
  EXPECT_EQ(q->peakrate.rate, 0u);
  EXPECT_EQ(q->limit, 35'000u);
  EXPECT_EQ(q->buffer, 156'250u);
  EXPECT_EQ(q->mtu, 0u);
  EXPECT_EQ(o.find(TCA_TBF_RATE64), nullptr);  // only for rates that do not fit 32 bits

  auto back = parseQdisc(asDump(m, RTM_NEWQDISC));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, "tbf");
  ASSERT_TRUE(back->tbf);
  EXPECT_EQ(back->tbf->rate, p.rate);
  EXPECT_EQ(back->tbf->buffer, p.buffer);
  EXPECT_EQ(back->tbf->limit, p.limit);
}

TEST(TcEncoding, TbfAbove4GBytesPerSecondAddsRate64) {
  TbfParams p{.rate = 5'000'000'000ull, .buffer = 10, .limit = 100};
  Message m = buildTbfRequest(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, 3, makeTcHandle(1, 0),
                              kTcHandleRoot, p);
  RawMessage r(m.bytes());
  EXPECT_EQ(r.header().nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
  AttrList o = nestedOf(attrsOf(r), TCA_OPTIONS);
  EXPECT_EQ(o.find(TCA_TBF_PARMS)->scalar<tc_tbf_qopt>()->rate.rate,
            static_cast<uint32_t>(5'000'000'000ull));
  ASSERT_NE(o.find(TCA_TBF_RATE64), nullptr);
  EXPECT_EQ(*o.find(TCA_TBF_RATE64)->u64(), 5'000'000'000ull);
  auto back = parseQdisc(asDump(m, RTM_NEWQDISC));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->tbf->rate, 5'000'000'000ull);
}

TEST(TcEncoding, IngressQdisc) {
  Message m = buildIngressQdiscRequest(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, 9);
  RawMessage r(m.bytes());
  auto t = r.familyHeader<tcmsg>();
  EXPECT_EQ(t->tcm_ifindex, 9);
  EXPECT_EQ(t->tcm_handle, 0xFFFF0000u);
  EXPECT_EQ(t->tcm_parent, TC_H_INGRESS);
  AttrList a = attrsOf(r);
  EXPECT_EQ(a.find(TCA_KIND)->str(), "ingress");
  ASSERT_NE(a.find(TCA_OPTIONS), nullptr);
  EXPECT_TRUE(a.find(TCA_OPTIONS)->data.empty());
  auto back = parseQdisc(asDump(m, RTM_NEWQDISC));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, "ingress");
  EXPECT_FALSE(back->tbf);
}

TEST(TcEncoding, QdiscDeleteAndDump) {
  Message d = buildQdiscDeleteRequest(4, makeTcHandle(1, 0), kTcHandleRoot);
  RawMessage rd(d.bytes());
  EXPECT_EQ(rd.type(), RTM_DELQDISC);
  EXPECT_EQ(rd.familyHeader<tcmsg>()->tcm_handle, 0x00010000u);
  Message q = buildQdiscDumpRequest(4);
  RawMessage rq(q.bytes());
  EXPECT_EQ(rq.type(), RTM_GETQDISC);
  EXPECT_TRUE(rq.header().nlmsg_flags & NLM_F_DUMP);
  EXPECT_EQ(rq.familyHeader<tcmsg>()->tcm_ifindex, 4);
}

TEST(TcEncoding, U32MatchAllMirredRedirect) {
  const std::vector<MirredAction> acts = {
      {.eaction = TCA_EGRESS_REDIR, .ifindex = 12, .verdict = TC_ACT_STOLEN},
      {.eaction = TCA_EGRESS_REDIR, .ifindex = 12, .verdict = TC_ACT_OK},
  };
  Message m = buildU32RedirectRequest(NLM_F_CREATE | NLM_F_EXCL, 5, kIngressQdiscHandle, 1,
                                      ETH_P_ALL, makeTcHandle(1, 1), acts);
  ASSERT_TRUE(m.status());
  RawMessage r(m.bytes());
  EXPECT_EQ(r.type(), RTM_NEWTFILTER);
  auto t = r.familyHeader<tcmsg>();
  EXPECT_EQ(t->tcm_ifindex, 5);
  EXPECT_EQ(t->tcm_parent, 0xFFFF0000u);
  EXPECT_EQ(t->tcm_handle, 0u);
  // info = priority << 16 | protocol in network order.
  EXPECT_EQ(t->tcm_info, (1u << 16) | htons(ETH_P_ALL));
  AttrList a = attrsOf(r);
  EXPECT_EQ(a.find(TCA_KIND)->str(), "u32");
  AttrList o = nestedOf(a, TCA_OPTIONS);
  const Attr* sel = o.find(TCA_U32_SEL);
  ASSERT_NE(sel, nullptr);
  ASSERT_EQ(sel->data.size(), sizeof(tc_u32_sel) + sizeof(tc_u32_key));
  tc_u32_sel s;
  std::memcpy(&s, sel->data.data(), sizeof s);
  EXPECT_EQ(s.flags, TC_U32_TERMINAL);
  EXPECT_EQ(s.nkeys, 1);
  tc_u32_key k;
  std::memcpy(&k, sel->data.data() + sizeof s, sizeof k);
  EXPECT_EQ(k.mask, 0u);
  EXPECT_EQ(k.val, 0u);
  EXPECT_EQ(*o.find(TCA_U32_CLASSID)->u32(), 0x00010001u);
  AttrList act = nestedOf(o, TCA_U32_ACT);
  ASSERT_EQ(act.all().size(), 2u);
  EXPECT_EQ(act.all()[0].type, 1);
  EXPECT_EQ(act.all()[1].type, 2);
  AttrList first = nestedOf(act, 1);
  EXPECT_EQ(first.find(TCA_ACT_KIND)->str(), "mirred");
  auto mp = nestedOf(first, TCA_ACT_OPTIONS).find(TCA_MIRRED_PARMS)->scalar<tc_mirred>();
  ASSERT_TRUE(mp);
  EXPECT_EQ(mp->eaction, TCA_EGRESS_REDIR);
  EXPECT_EQ(mp->ifindex, 12u);
  EXPECT_EQ(mp->action, TC_ACT_STOLEN);

  auto back = parseU32Filter(asDump(m, RTM_NEWTFILTER));
  ASSERT_TRUE(back);
  ASSERT_TRUE(*back);
  const U32Filter& f = **back;
  EXPECT_TRUE(f.match_all);
  EXPECT_EQ(f.priority, 1);
  EXPECT_EQ(f.protocol, ETH_P_ALL);
  EXPECT_EQ(f.classid, 0x00010001u);
  ASSERT_EQ(f.actions.size(), 2u);
  EXPECT_EQ(f.actions[0].verdict, TC_ACT_STOLEN);
  EXPECT_EQ(f.actions[1].verdict, TC_ACT_OK);
  EXPECT_EQ(f.actions[1].ifindex, 12u);
}

TEST(TcEncoding, FilterDumpAndNonU32Messages) {
  Message q = buildFilterDumpRequest(5, kIngressQdiscHandle);
  RawMessage rq(q.bytes());
  EXPECT_EQ(rq.type(), RTM_GETTFILTER);
  EXPECT_EQ(rq.familyHeader<tcmsg>()->tcm_parent, 0xFFFF0000u);
  // A u32 hash-table head (no selector) is not a filter of ours.
  Message head(RTM_NEWTFILTER, 0);
  head.putHeader(tcmsg{});
  head.putString(TCA_KIND, "u32");
  head.endNest(head.beginNest(TCA_OPTIONS, false));
  auto f = parseU32Filter(RawMessage(head.bytes()));
  ASSERT_TRUE(f);
  EXPECT_FALSE(*f);
}

TEST(TcEncoding, TruncatedTbfOptionsAreAnError) {
  Message m(RTM_NEWQDISC, 0);
  m.putHeader(tcmsg{});
  m.putString(TCA_KIND, "tbf");
  Nest n = m.beginNest(TCA_OPTIONS, false);
  m.putU32(TCA_TBF_PARMS, 1);
  m.endNest(n);
  EXPECT_FALSE(parseQdisc(RawMessage(m.bytes())));
}

}  // namespace
}  // namespace cni::netlink
