// tests/unit/nft/nft_render_test.cc — the nft-like text of a Transaction (golden text).
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "src/nft/transaction.h"

namespace cni::nft {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
IpPrefix cidr(const char* s) { return *IpPrefix::parse(s); }

TEST(NftRender, BridgeMasqueradeTransaction) {
  const std::string t = "cni_plugins_masquerade";
  Transaction tx;
  tx.add(Table{Family::kInet, t, "Masquerading for plugins"});
  tx.add(Chain{Family::kInet, t, "masq_checks", std::nullopt, "Masquerade traffic"});
  tx.add(Chain{Family::kInet, t, "postrouting",
               BaseChain{ChainType::kNat, Hook::kPostrouting, kPrioSrcnat, false}, ""});
  tx.flushChain(Family::kInet, t, "postrouting");
  tx.add(Rule{Family::kInet,
              t,
              "postrouting",
              {stmt::daddr(cidr("224.0.0.0/4")), stmt::verdict(Verdict::ret())},
              ""});
  tx.add(Rule{Family::kInet, t, "postrouting", {stmt::verdict(Verdict::goTo("masq_checks"))}, ""});
  tx.add(Rule{Family::kInet,
              t,
              "masq_checks",
              {stmt::saddr(ip("10.88.0.5")), stmt::daddr(cidr("10.88.0.5/16"), CmpOp::kNeq),
               stmt::masquerade()},
              "abc-def, net: n, if: eth0, id: c1"});
  tx.deleteRule(Family::kInet, t, "masq_checks", 7);
  EXPECT_EQ(tx.size(), 8u);
  EXPECT_EQ(tx.render(),
            "add table inet cni_plugins_masquerade { comment \"Masquerading for plugins\"; }\n"
            "add chain inet cni_plugins_masquerade masq_checks { comment \"Masquerade traffic\"; "
            "}\n"
            "add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting "
            "priority srcnat; policy accept; }\n"
            "flush chain inet cni_plugins_masquerade postrouting\n"
            "add rule inet cni_plugins_masquerade postrouting ip daddr 224.0.0.0/4 return\n"
            "add rule inet cni_plugins_masquerade postrouting goto masq_checks\n"
            "add rule inet cni_plugins_masquerade masq_checks ip saddr 10.88.0.5 ip daddr != "
            "10.88.0.0/16 masquerade comment \"abc-def, net: n, if: eth0, id: c1\"\n"
            "delete rule inet cni_plugins_masquerade masq_checks handle 7\n");
}

TEST(NftRender, PortmapShapesSetsAndBridgePriorities) {
  Transaction tx;
  tx.add(Chain{Family::kIp, "cni_hostport", "prerouting",
               BaseChain{ChainType::kNat, Hook::kPrerouting, kPrioDstnat, false}, ""});
  tx.add(Rule{Family::kIp,
              "cni_hostport",
              "prerouting",
              {stmt::fibDaddrLocal(), stmt::verdict(Verdict::jump("hostports"))},
              ""});
  tx.add(Rule{Family::kIp,
              "cni_hostport",
              "hostports",
              {stmt::dport(IPPROTO_TCP, 8080), stmt::dnat(ip("10.0.0.2"), 80)},
              "ctr"});
  tx.add(Rule{Family::kInet, "x", "y", {stmt::dnat(ip("10.0.0.2"))}, ""});
  tx.add(Set{Family::kIp,
             "cni_hostport",
             "m",
             SetType::kIpv4Addr,
             SetType::kInetService,
             {{SetElement::addr(ip("10.0.0.2")), SetElement::port(80)}}});
  tx.add(Chain{Family::kBridge, "nat", "PREROUTING",
               BaseChain{ChainType::kFilter, Hook::kPrerouting, kPrioBridgeDstnat, true}, ""});
  tx.add(Rule{Family::kIp,
              "f",
              "in",
              {stmt::iifname("eth0"), stmt::inSet(Field::kUdpDport, "p", true),
               stmt::ctState(kCtStateNew), stmt::counter(), stmt::verdict(Verdict::drop())},
              ""});
  tx.destroyTable(Family::kIp6, "gone");
  EXPECT_EQ(tx.render(),
            "add chain ip cni_hostport prerouting { type nat hook prerouting priority dstnat; "
            "policy accept; }\n"
            "add rule ip cni_hostport prerouting fib daddr type local jump hostports\n"
            "add rule ip cni_hostport hostports tcp dport 8080 dnat to 10.0.0.2:80 comment "
            "\"ctr\"\n"
            "add rule inet x y dnat ip to 10.0.0.2\n"
            "add map ip cni_hostport m { type ipv4_addr : inet_service; }\n"
            "add element ip cni_hostport m { 10.0.0.2 : 80 }\n"
            "add chain bridge nat PREROUTING { type filter hook prerouting priority dstnat; "
            "policy drop; }\n"
            "add rule ip f in iifname \"eth0\" udp dport != @p ct state new counter drop\n"
            "destroy table ip6 gone\n");
}

TEST(NftRender, EmptyTransactionRendersNothing) {
  Transaction tx;
  EXPECT_TRUE(tx.empty());
  EXPECT_EQ(tx.render(), "");
}

}  // namespace
}  // namespace cni::nft
