// tests/unit/nft/stmt_ether_test.cc — stmt::etherSaddr/etherDaddr and the bridge-family rules
// of the MAC spoof check, as text and as kernel expressions (no root needed).
//
// The expected expressions are what `nft --debug=netlink` prints for the reference's rule
//   ether saddr 0a:58:0a:00:00:05 return comment "macspoofchk-..."
// in a bridge table:  [ payload load 6b @ link header + 6 => reg 1 ]
//                     [ cmp eq reg 1 0x000a580a 0x00000500 ]   (libnftnl prints host-order words)
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "src/nft/transaction.h"

namespace cni::nft {
namespace {

constexpr std::array<uint8_t, 6> kMac = {0x0a, 0x58, 0x0a, 0x00, 0x00, 0x05};

TEST(NftStmtEther, SourceMacMatchIsLinkHeaderOffsetSix) {
  Stmt s = stmt::etherSaddr(kMac);
  EXPECT_EQ(s.text, "ether saddr 0a:58:0a:00:00:05");
  EXPECT_EQ(s.nfproto, 0);  // no `meta nfproto` dependency: an L2 match
  ASSERT_EQ(s.exprs.size(), 2u);
  EXPECT_EQ(s.exprs[0], expr::payload(PayloadBase::kLink, 6, 6));
  EXPECT_EQ(s.exprs[0].debug, "[ payload load 6b @ link header + 6 => reg 1 ]");
  EXPECT_EQ(s.exprs[1], expr::cmp(CmpOp::kEq, kMac));
  EXPECT_EQ(s.exprs[1].debug, "[ cmp eq reg 1 0x0a580a000005 ]");
}

TEST(NftStmtEther, DestinationAndNegationAndUpperHexInput) {
  const std::array<uint8_t, 6> mac = {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
  Stmt s = stmt::etherDaddr(mac, CmpOp::kNeq);
  EXPECT_EQ(s.text, "ether daddr != aa:bb:cc:dd:ee:ff");
  ASSERT_EQ(s.exprs.size(), 2u);
  EXPECT_EQ(s.exprs[0], expr::payload(PayloadBase::kLink, 0, 6));
  EXPECT_EQ(s.exprs[1], expr::cmp(CmpOp::kNeq, mac));
  EXPECT_NE(stmt::etherSaddr(mac), stmt::etherDaddr(mac));
}

// The reference's four spoof-check rules, rendered as nft commands; the bridge family gets no
// inserted dependency (Rule::expressions adds `meta nfproto` only in inet tables).
TEST(NftStmtEther, SpoofCheckRulesRenderAsTheReferenceWritesThem) {
  const std::string id = "ctr1-eth0";
  const std::string c = "macspoofchk-" + id;
  const std::string iface = "cni-br-iface-" + id, mac = iface + "-mac";
  Transaction tx;
  tx.add(Chain{Family::kBridge, "nat", "PREROUTING",
               BaseChain{ChainType::kFilter, Hook::kPrerouting, kPrioBridgeDstnat, false}, ""});
  Rule jump{Family::kBridge,
            "nat",
            "PREROUTING",
            {stmt::iifname("veth1234"), stmt::verdict(Verdict::jump(iface))},
            c};
  tx.add(jump);
  tx.add(Rule{Family::kBridge, "nat", iface, {stmt::verdict(Verdict::jump(mac))}, c});
  Rule ret{Family::kBridge, "nat", mac, {stmt::etherSaddr(kMac), stmt::verdict(Verdict::ret())}, c};
  tx.add(ret);
  tx.add(Rule{Family::kBridge, "nat", mac, {stmt::verdict(Verdict::drop())}, c});
  EXPECT_EQ(tx.render(),
            "add chain bridge nat PREROUTING { type filter hook prerouting priority dstnat; "
            "policy accept; }\n"
            "add rule bridge nat PREROUTING iifname \"veth1234\" jump cni-br-iface-ctr1-eth0 "
            "comment \"macspoofchk-ctr1-eth0\"\n"
            "add rule bridge nat cni-br-iface-ctr1-eth0 jump cni-br-iface-ctr1-eth0-mac comment "
            "\"macspoofchk-ctr1-eth0\"\n"
            "add rule bridge nat cni-br-iface-ctr1-eth0-mac ether saddr 0a:58:0a:00:00:05 return "
            "comment \"macspoofchk-ctr1-eth0\"\n"
            "add rule bridge nat cni-br-iface-ctr1-eth0-mac drop comment "
            "\"macspoofchk-ctr1-eth0\"\n");

  auto names = [](const Rule& r) {
    std::string out;
    for (const Expr& e : r.expressions()) out += e.name + " ";
    return out;
  };
  EXPECT_EQ(names(jump), "meta cmp immediate ");
  EXPECT_EQ(names(ret), "payload cmp immediate ");
}

}  // namespace
}  // namespace cni::nft
