// tests/unit/nft/nft_encoding_test.cc — nf_tables encoding without root: golden bytes of
// expressions (decoded by hand in the comments) and whole messages, userdata comments, and the
// nfproto dependency nft needs to decode L3 matches in inet tables.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include "src/netlink/attr.h"
#include "src/nft/expr.h"
#include "src/nft/model.h"
#include "src/nft/transaction.h"
#include "src/nft/wire.h"

namespace cni::nft {
namespace {

using Bytes = std::vector<uint8_t>;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
IpPrefix cidr(const char* s) { return *IpPrefix::parse(s); }

TEST(NftExpr, PayloadIpSaddrGoldenBytes) {
  Expr e = expr::payload(PayloadBase::kNetwork, 12, 4);
  EXPECT_EQ(e.name, "payload");
  const Bytes want = {
      0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,  // NFTA_PAYLOAD_DREG = reg 1 (be32)
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // NFTA_PAYLOAD_BASE = network header
      0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x0c,  // NFTA_PAYLOAD_OFFSET = 12 (saddr)
      0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x04,  // NFTA_PAYLOAD_LEN = 4
  };
  EXPECT_EQ(e.data, want);
  EXPECT_EQ(e.debug, "[ payload load 4b @ network header + 12 => reg 1 ]");
}

TEST(NftExpr, CmpNeqAddressGoldenBytes) {
  Expr e = expr::cmp(CmpOp::kNeq, ip("10.0.0.2").bytes());
  const Bytes want = {
      0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,  // NFTA_CMP_SREG = reg 1
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // NFTA_CMP_OP = NFT_CMP_NEQ
      0x0c, 0x00, 0x03, 0x80,                          // NFTA_CMP_DATA (nested), 12 bytes
      0x08, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x02,  //   NFTA_DATA_VALUE = 10.0.0.2
  };
  EXPECT_EQ(e.data, want);
}

TEST(NftExpr, GotoVerdictGoldenBytes) {
  Expr e = expr::immediate(Verdict::goTo("masq_checks"));
  const Bytes want = {
      0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  // NFTA_IMMEDIATE_DREG = verdict reg 0
      0x20, 0x00, 0x02, 0x80,                          // NFTA_IMMEDIATE_DATA (nested), 32
      0x1c, 0x00, 0x02, 0x80,                          //   NFTA_DATA_VERDICT (nested), 28
      0x08, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xfc,  //     NFTA_VERDICT_CODE = NFT_GOTO (-4)
      0x10, 0x00, 0x02, 0x00,                          //     NFTA_VERDICT_CHAIN, 16
      'm',  'a',  's',  'q',  '_',  'c',  'h',  'e',  'c', 'k', 's', 0x00,
  };
  EXPECT_EQ(e.data, want);
  EXPECT_EQ(e.debug, "[ immediate reg 0 goto -> masq_checks ]");
}

TEST(NftExpr, PrefixMatchUsesBitwiseMaskThenCmpOnTheNetwork) {
  Stmt s = stmt::daddr(cidr("10.88.0.5/16"), CmpOp::kNeq);
  EXPECT_EQ(s.text, "ip daddr != 10.88.0.0/16");
  EXPECT_EQ(s.nfproto, NFPROTO_IPV4);
  ASSERT_EQ(s.exprs.size(), 3u);
  EXPECT_EQ(s.exprs[0], expr::payload(PayloadBase::kNetwork, 16, 4));
  const Bytes mask = {0xff, 0xff, 0x00, 0x00};
  const Bytes want_bitwise = {
      0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,  // NFTA_BITWISE_SREG = reg 1
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // NFTA_BITWISE_DREG = reg 1
      0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x04,  // NFTA_BITWISE_LEN = 4
      0x0c, 0x00, 0x04, 0x80, 0x08, 0x00, 0x01, 0x00, 0xff, 0xff, 0x00, 0x00,  // MASK
      0x0c, 0x00, 0x05, 0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  // XOR
  };
  EXPECT_EQ(s.exprs[1].data, want_bitwise);
  EXPECT_EQ(s.exprs[2], expr::cmp(CmpOp::kNeq, ip("10.88.0.0").bytes()));
  // A full-length prefix is a plain address match.
  EXPECT_EQ(stmt::saddr(cidr("10.0.0.1/32")), stmt::saddr(ip("10.0.0.1")));
  // IPv6 uses the ip6 header offsets (saddr 8, daddr 24) and 16-byte values.
  Stmt v6 = stmt::daddr(cidr("ff00::/8"));
  EXPECT_EQ(v6.text, "ip6 daddr ff00::/8");
  EXPECT_EQ(v6.exprs[0], expr::payload(PayloadBase::kNetwork, 24, 16));
}

TEST(NftExpr, HostOrderValuesForCtStateAndFib) {
  // ct state and fib addrtype are host-order u32s in the register, unlike packet fields.
  Stmt ct = stmt::ctState(kCtStateEstablished | kCtStateRelated);
  EXPECT_EQ(ct.text, "ct state established,related");
  uint32_t bits = 6, zero = 0;
  EXPECT_EQ(ct.exprs[1], expr::bitwise({reinterpret_cast<uint8_t*>(&bits), 4}));
  EXPECT_EQ(ct.exprs[2], expr::cmp(CmpOp::kNeq, {reinterpret_cast<uint8_t*>(&zero), 4}));
  Stmt fib = stmt::fibDaddrLocal();
  uint32_t local = 2;  // RTN_LOCAL
  EXPECT_EQ(fib.exprs[1], expr::cmp(CmpOp::kEq, {reinterpret_cast<uint8_t*>(&local), 4}));
}

TEST(NftExpr, DportMatchesL4ProtoFirstAndPortInNetworkOrder) {
  Stmt s = stmt::dport(IPPROTO_TCP, 8080);
  EXPECT_EQ(s.text, "tcp dport 8080");
  ASSERT_EQ(s.exprs.size(), 4u);
  EXPECT_EQ(s.exprs[0].debug, "[ meta load l4proto => reg 1 ]");
  EXPECT_EQ(s.exprs[1].debug, "[ cmp eq reg 1 0x06 ]");
  EXPECT_EQ(s.exprs[2].debug, "[ payload load 2b @ transport header + 2 => reg 1 ]");
  EXPECT_EQ(s.exprs[3].debug, "[ cmp eq reg 1 0x1f90 ]");
}

TEST(NftExpr, DnatLoadsAddressAndPortRegisters) {
  Stmt s = stmt::dnat(ip("10.0.0.2"), 80);
  EXPECT_EQ(s.text, "dnat to 10.0.0.2:80");
  EXPECT_EQ(s.inet_text, "dnat ip to 10.0.0.2:80");
  ASSERT_EQ(s.exprs.size(), 3u);
  EXPECT_EQ(s.exprs[0].debug, "[ immediate reg 1 0x0a000002 ]");
  EXPECT_EQ(s.exprs[1].debug, "[ immediate reg 2 0x0050 ]");
  EXPECT_EQ(s.exprs[2].debug, "[ nat dnat ip addr_min reg 1 proto_min reg 2 ]");
  EXPECT_EQ(stmt::dnat(ip("fd00::2"), 80).text, "dnat to [fd00::2]:80");
}

TEST(NftUdata, CommentTlvAsNftWritesIt) {
  EXPECT_EQ(commentUdata("ab"), (Bytes{0x00, 0x03, 'a', 'b', 0x00}));
  EXPECT_TRUE(commentUdata("").empty());
  EXPECT_EQ(commentFromUdata(commentUdata("hello, net: x")), "hello, net: x");
  // Another TLV first (nft may add more types): skipped.
  Bytes mixed = {0x05, 0x01, 0x7f, 0x00, 0x02, 'z', 0x00};
  EXPECT_EQ(commentFromUdata(mixed), "z");
  EXPECT_EQ(commentFromUdata(Bytes{0x00, 0x09, 'a'}), "");  // truncated
  std::string longc(200, 'c');
  Bytes u = commentUdata(longc);
  EXPECT_EQ(u[1], 129);  // 128 characters + NUL: nft's limit
  EXPECT_EQ(commentFromUdata(u), std::string(128, 'c'));
}

TEST(NftRule, InetTablesGetOneNfprotoGuardPerFamilySwitch) {
  Rule r{Family::kInet,
         "t",
         "c",
         {stmt::saddr(ip("10.0.0.1")), stmt::daddr(cidr("10.0.0.0/24"), CmpOp::kNeq),
          stmt::masquerade()},
         ""};
  auto e = r.expressions();
  ASSERT_EQ(e.size(), 2u + 2u + 3u + 1u);
  EXPECT_EQ(e[0].debug, "[ meta load nfproto => reg 1 ]");
  EXPECT_EQ(e[1].debug, "[ cmp eq reg 1 0x02 ]");  // NFPROTO_IPV4
  EXPECT_EQ(e.back().name, "masq");
  r.family = Family::kIp;
  EXPECT_EQ(r.expressions().size(), 2u + 3u + 1u);  // ip tables only see IPv4
}

TEST(NftMessage, DeleteRuleByHandleEncoding) {
  Transaction tx;
  tx.deleteRule(Family::kInet, "cni_plugins_masquerade", "masq_checks", 0x1234);
  auto msgs = tx.messages();
  ASSERT_EQ(msgs.size(), 1u);
  auto bytes = msgs[0].bytes();
  netlink::RawMessage raw(bytes);
  EXPECT_EQ(raw.header().nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELRULE);
  EXPECT_EQ(raw.header().nlmsg_flags, NLM_F_REQUEST);
  EXPECT_EQ(raw.header().nlmsg_len, bytes.size());
  auto g = raw.familyHeader<nfgenmsg>();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->nfgen_family, NFPROTO_INET);
  EXPECT_EQ(g->version, NFNETLINK_V0);
  EXPECT_EQ(g->res_id, 0);
  auto attrs = raw.attrs(sizeof(nfgenmsg));
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->all().size(), 3u);
  EXPECT_EQ(attrs->find(NFTA_RULE_TABLE)->str(), "cni_plugins_masquerade");
  EXPECT_EQ(attrs->find(NFTA_RULE_CHAIN)->str(), "masq_checks");
  const Bytes handle = {0, 0, 0, 0, 0, 0, 0x12, 0x34};  // be64
  auto h = attrs->find(NFTA_RULE_HANDLE)->data;
  EXPECT_EQ(Bytes(h.begin(), h.end()), handle);
}

TEST(NftMessage, AddRuleCarriesExpressionsAndComment) {
  Transaction tx;
  tx.add(Rule{Family::kIp, "t", "c", {stmt::masquerade()}, "hello"});
  auto msgs = tx.messages();
  netlink::RawMessage raw(msgs[0].bytes());
  EXPECT_EQ(raw.header().nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND);
  auto attrs = raw.attrs(sizeof(nfgenmsg));
  ASSERT_TRUE(attrs);
  auto list = attrs->find(NFTA_RULE_EXPRESSIONS)->nested();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->all().size(), 1u);
  auto masq = list->all()[0].nested();
  ASSERT_TRUE(masq);
  EXPECT_EQ(masq->find(NFTA_EXPR_NAME)->str(), "masq");
  EXPECT_EQ(masq->find(NFTA_EXPR_DATA), nullptr);  // no attributes: nest omitted
  auto ud = attrs->find(NFTA_RULE_USERDATA)->data;
  EXPECT_EQ(commentFromUdata(ud), "hello");
}

TEST(NftMessage, BaseChainHookPriorityAreBigEndian) {
  Transaction tx;
  tx.add(Chain{Family::kIp, "t", "pre",
               BaseChain{ChainType::kNat, Hook::kPrerouting, kPrioDstnat, false}, ""});
  auto msgs = tx.messages();
  netlink::RawMessage raw(msgs[0].bytes());
  auto attrs = raw.attrs(sizeof(nfgenmsg));
  ASSERT_TRUE(attrs);
  auto hook = attrs->find(NFTA_CHAIN_HOOK)->nested();
  ASSERT_TRUE(hook);
  EXPECT_EQ(fromBe32(hook->find(NFTA_HOOK_HOOKNUM)->data), 0u);
  EXPECT_EQ(static_cast<int32_t>(fromBe32(hook->find(NFTA_HOOK_PRIORITY)->data)), -100);
  EXPECT_EQ(fromBe32(attrs->find(NFTA_CHAIN_POLICY)->data), static_cast<uint32_t>(NF_ACCEPT));
  EXPECT_EQ(attrs->find(NFTA_CHAIN_TYPE)->str(), "nat");
}

}  // namespace
}  // namespace cni::nft
