// tests/netns/nft_ruleset_test.cc — src/nft against the real kernel in a throwaway namespace,
// cross-checked with the `nft` binary (`nft list ruleset` must decode our rules into the text
// nft itself would print for them).
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "src/nft/list.h"
#include "src/nft/transaction.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::nft {
namespace {

using testutil::NetNsTest;

constexpr const char* kMasqTable = "cni_plugins_masquerade";
constexpr const char* kComment =
    "0123456789abcdef-fedcba9876543210, net: mynet, if: eth0, id: ctr1";

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
IpPrefix cidr(const char* s) { return *IpPrefix::parse(s); }

std::string nftList(const testutil::TestNetNs& ns) {
  auto r = testutil::run("ip netns exec " + ns.name() + " nft list ruleset");
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

// The bridge plugin's ipMasq (nftables backend) shape for one container address.
Transaction masqueradeTx(const IpPrefix& addr, const std::string& comment) {
  Transaction tx;
  tx.add(Table{Family::kInet, kMasqTable, "Masquerading for plugins"});
  tx.add(Chain{Family::kInet, kMasqTable, "masq_checks", std::nullopt, "Masquerade traffic"});
  tx.add(Chain{Family::kInet, kMasqTable, "postrouting",
               BaseChain{ChainType::kNat, Hook::kPostrouting, kPrioSrcnat, false}, ""});
  tx.flushChain(Family::kInet, kMasqTable, "postrouting");
  tx.add(Rule{Family::kInet,
              kMasqTable,
              "postrouting",
              {stmt::daddr(cidr("224.0.0.0/4")), stmt::verdict(Verdict::ret())},
              ""});
  tx.add(Rule{Family::kInet,
              kMasqTable,
              "postrouting",
              {stmt::daddr(cidr("ff00::/8")), stmt::verdict(Verdict::ret())},
              ""});
  tx.add(Rule{
      Family::kInet, kMasqTable, "postrouting", {stmt::verdict(Verdict::goTo("masq_checks"))}, ""});
  tx.add(Rule{Family::kInet,
              kMasqTable,
              "masq_checks",
              {stmt::saddr(addr.address()), stmt::daddr(addr, CmpOp::kNeq), stmt::masquerade()},
              comment});
  return tx;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(NetNsTest, NftMasqueradeShapeIsWhatNftLists) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    CNI_TRY(masqueradeTx(cidr("10.88.0.5/16"), kComment).commit(s));
    // Re-applying (as a second ADD of another container does) keeps one table/chain and
    // re-creates the postrouting rules instead of duplicating them.
    CNI_TRY(masqueradeTx(cidr("fd00:88::5/64"), "other-container").commit(s));
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
  std::string out = nftList(netns());
  EXPECT_NE(out.find("table inet cni_plugins_masquerade {"), std::string::npos) << out;
  EXPECT_NE(out.find("comment \"Masquerading for plugins\""), std::string::npos) << out;
  EXPECT_NE(out.find("chain masq_checks {"), std::string::npos) << out;
  EXPECT_NE(out.find("comment \"Masquerade traffic\""), std::string::npos) << out;
  EXPECT_NE(out.find("type nat hook postrouting priority srcnat; policy accept;"),
            std::string::npos)
      << out;
  EXPECT_EQ(count(out, "ip daddr 224.0.0.0/4 return"), 1u) << out;
  EXPECT_EQ(count(out, "ip6 daddr ff00::/8 return"), 1u) << out;
  EXPECT_EQ(count(out, "goto masq_checks"), 1u) << out;
  EXPECT_NE(out.find("ip saddr 10.88.0.5 ip daddr != 10.88.0.0/16 masquerade comment \"" +
                     std::string(kComment) + "\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("ip6 saddr fd00:88::5 ip6 daddr != fd00:88::/64 masquerade comment "
                     "\"other-container\""),
            std::string::npos)
      << out;
}

TEST_F(NetNsTest, NftFindByCommentDeleteAndIdempotentDelete) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    // Nothing there yet: listing a missing table is empty, deleting sends nothing.
    CNI_ASSIGN_OR_RETURN(auto none, findRulesByComment(s, Family::kInet, kMasqTable, "masq_checks",
                                                       "0123456789abcdef"));
    EXPECT_TRUE(none.empty());
    CNI_ASSIGN_OR_RETURN(size_t n0, deleteRulesByComment(s, Family::kInet, kMasqTable,
                                                         "masq_checks", "0123456789abcdef"));
    EXPECT_EQ(n0, 0u);

    CNI_TRY(masqueradeTx(cidr("10.88.0.5/16"), kComment).commit(s));
    CNI_TRY(masqueradeTx(cidr("10.88.0.6/16"), "fedcba-other").commit(s));
    CNI_ASSIGN_OR_RETURN(auto chains, listChains(s, Family::kInet, kMasqTable));
    EXPECT_EQ(chains.size(), 2u);
    for (const auto& c : chains) {
      if (c.name == "postrouting") {
        EXPECT_TRUE(c.base.has_value());
        if (c.base) {
          EXPECT_EQ(c.base->priority, kPrioSrcnat);
          EXPECT_EQ(c.base->type, ChainType::kNat);
        }
      }
    }
    CNI_ASSIGN_OR_RETURN(auto all, listRules(s, Family::kInet, kMasqTable));
    EXPECT_EQ(all.size(), 5u);  // 3 in postrouting, 2 in masq_checks
    CNI_ASSIGN_OR_RETURN(auto found, findRulesByComment(s, Family::kInet, kMasqTable, "masq_checks",
                                                        "0123456789abcdef"));
    EXPECT_EQ(found.size(), 1u);
    if (!found.empty()) {
      EXPECT_EQ(found[0].comment, kComment);
      EXPECT_NE(found[0].handle, 0u);
      EXPECT_EQ(found[0].chain, "masq_checks");
      EXPECT_NE(std::find(found[0].expr_names.begin(), found[0].expr_names.end(), "masq"),
                found[0].expr_names.end());
    }
    CNI_ASSIGN_OR_RETURN(size_t n1, deleteRulesByComment(s, Family::kInet, kMasqTable,
                                                         "masq_checks", "0123456789abcdef"));
    EXPECT_EQ(n1, 1u);
    CNI_ASSIGN_OR_RETURN(size_t n2, deleteRulesByComment(s, Family::kInet, kMasqTable,
                                                         "masq_checks", "0123456789abcdef"));
    EXPECT_EQ(n2, 0u);
    CNI_ASSIGN_OR_RETURN(auto left, listRules(s, Family::kInet, kMasqTable, "masq_checks"));
    EXPECT_EQ(left.size(), 1u);
    if (!left.empty()) {
      EXPECT_EQ(left[0].comment, "fedcba-other");
    }
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
  std::string out = nftList(netns());
  EXPECT_EQ(out.find("10.88.0.5"), std::string::npos) << out;
  EXPECT_NE(out.find("ip saddr 10.88.0.6"), std::string::npos) << out;

  auto gone = netns().run([]() -> Expected<std::pair<bool, bool>> {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    CNI_ASSIGN_OR_RETURN(bool first, deleteTableIfExists(s, Family::kInet, kMasqTable));
    CNI_ASSIGN_OR_RETURN(bool second, deleteTableIfExists(s, Family::kInet, kMasqTable));
    return std::pair{first, second};
  });
  ASSERT_TRUE(gone) << gone.error().toString();
  EXPECT_TRUE(gone->first);
  EXPECT_FALSE(gone->second);
  EXPECT_EQ(nftList(netns()).find("cni_plugins_masquerade"), std::string::npos);
}

TEST_F(NetNsTest, NftFailingBatchIsAtomicAndNamesTheFailingOperation) {
  auto r = netns().run([]() -> Expected<std::string> {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    Transaction tx;
    tx.add(Table{Family::kIp, "atomic_test", ""});
    tx.deleteRule(Family::kIp, "atomic_test", "nochain", 42);
    auto st = tx.commit(s);
    EXPECT_FALSE(st);
    std::string details = st ? "" : st.error().msg + " / " + st.error().details;
    // Nothing of the batch was applied.
    CNI_ASSIGN_OR_RETURN(auto t, findTable(s, Family::kIp, "atomic_test"));
    EXPECT_FALSE(t.has_value());
    // destroy* of missing objects is fine (kernel >= 6.3).
    if (kernelHasDestroy()) {
      Transaction d;
      d.destroyTable(Family::kIp, "never_existed");
      CNI_TRY(d.commit(s));
    }
    return details;
  });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_NE(r->find("nftables: no such file or directory"), std::string::npos) << *r;
  EXPECT_NE(r->find("delete rule ip atomic_test nochain handle 42"), std::string::npos) << *r;
}

TEST_F(NetNsTest, NftDnatSetsAndMatchesListAsNftSyntax) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    Transaction tx;
    tx.add(Table{Family::kIp, "cni_hostport", ""});
    tx.add(Chain{Family::kIp, "cni_hostport", "hostports", std::nullopt, ""});
    tx.add(Chain{Family::kIp, "cni_hostport", "prerouting",
                 BaseChain{ChainType::kNat, Hook::kPrerouting, kPrioDstnat, false}, ""});
    tx.add(Chain{Family::kIp, "cni_hostport", "masquerading",
                 BaseChain{ChainType::kNat, Hook::kPostrouting, kPrioSrcnat, false}, ""});
    tx.add(Rule{Family::kIp,
                "cni_hostport",
                "prerouting",
                {stmt::fibDaddrLocal(), stmt::verdict(Verdict::jump("hostports"))},
                ""});
    tx.add(Rule{Family::kIp,
                "cni_hostport",
                "hostports",
                {stmt::dport(IPPROTO_TCP, 8080), stmt::dnat(ip("10.0.0.2"), 80)},
                "ctr1"});
    tx.add(Rule{
        Family::kIp,
        "cni_hostport",
        "hostports",
        {stmt::daddr(ip("192.168.1.1")), stmt::dport(IPPROTO_UDP, 53), stmt::dnat(ip("10.0.0.3"))},
        "ctr2"});
    tx.add(Rule{Family::kIp,
                "cni_hostport",
                "masquerading",
                {stmt::saddr(ip("10.0.0.2")), stmt::daddr(ip("10.0.0.2")), stmt::masquerade()},
                "ctr1"});
    tx.add(Rule{Family::kIp,
                "cni_hostport",
                "masquerading",
                {stmt::oifname("eth9"), stmt::snat(ip("192.0.2.1"), 1000)},
                ""});
    tx.add(Set{Family::kIp,
               "cni_hostport",
               "allowed",
               SetType::kIpv4Addr,
               std::nullopt,
               {{SetElement::addr(ip("10.1.1.1")), {}}, {SetElement::addr(ip("10.1.1.2")), {}}}});
    tx.add(Set{Family::kIp,
               "cni_hostport",
               "ports",
               SetType::kInetService,
               std::nullopt,
               {{SetElement::port(22), {}}}});
    tx.add(Chain{Family::kIp, "cni_hostport", "filter_in",
                 BaseChain{ChainType::kFilter, Hook::kInput, kPrioFilter, false}, ""});
    tx.add(Rule{
        Family::kIp,
        "cni_hostport",
        "filter_in",
        {stmt::ctState(kCtStateEstablished | kCtStateRelated), stmt::verdict(Verdict::accept())},
        ""});
    tx.add(Rule{Family::kIp,
                "cni_hostport",
                "filter_in",
                {stmt::inSet(Field::kIpSaddr, "allowed"), stmt::inSet(Field::kTcpDport, "ports"),
                 stmt::counter(), stmt::verdict(Verdict::accept())},
                ""});
    tx.add(Rule{Family::kIp,
                "cni_hostport",
                "filter_in",
                {stmt::iifname("lo", CmpOp::kNeq), stmt::saddr(cidr("127.0.0.0/8")),
                 stmt::verdict(Verdict::drop())},
                ""});
    return tx.commit(s);
  });
  ASSERT_TRUE(r) << r.error().toString();
  std::string out = nftList(netns());
  for (const char* want : {
           "table ip cni_hostport {",
           "type nat hook prerouting priority dstnat; policy accept;",
           "fib daddr type local jump hostports",
           "tcp dport 8080 dnat to 10.0.0.2:80 comment \"ctr1\"",
           "ip daddr 192.168.1.1 udp dport 53 dnat to 10.0.0.3 comment \"ctr2\"",
           "ip saddr 10.0.0.2 ip daddr 10.0.0.2 masquerade comment \"ctr1\"",
           "oifname \"eth9\" snat to 192.0.2.1:1000",
           "elements = { 10.1.1.1, 10.1.1.2 }",
           "type inet_service",
           "ct state established,related accept",
           "ip saddr @allowed tcp dport @ports counter packets 0 bytes 0 accept",
           "iifname != \"lo\" ip saddr 127.0.0.0/8 drop",
       }) {
    EXPECT_NE(out.find(want), std::string::npos) << "missing: " << want << "\n" << out;
  }
}

TEST_F(NetNsTest, NftAddAndDeleteRuleLatency) {
  auto r = netns().run([]() -> Expected<std::pair<double, double>> {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    CNI_TRY(masqueradeTx(cidr("10.88.0.1/16"), "base").commit(s));
    std::vector<double> add_us, del_us;
    for (int i = 0; i < 50; ++i) {
      std::string comment = "bench-" + std::to_string(i);
      auto addr = IpPrefix::make(IpAddress::v4(0x0a580000u + 10 + i), 16);
      Transaction tx;
      tx.add(
          Rule{Family::kInet,
               kMasqTable,
               "masq_checks",
               {stmt::saddr(addr->address()), stmt::daddr(*addr, CmpOp::kNeq), stmt::masquerade()},
               comment});
      auto t0 = std::chrono::steady_clock::now();
      CNI_TRY(tx.commit(s));
      auto t1 = std::chrono::steady_clock::now();
      CNI_ASSIGN_OR_RETURN(
          size_t n, deleteRulesByComment(s, Family::kInet, kMasqTable, "masq_checks", comment));
      auto t2 = std::chrono::steady_clock::now();
      EXPECT_EQ(n, 1u);
      add_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      del_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    }
    std::sort(add_us.begin(), add_us.end());
    std::sort(del_us.begin(), del_us.end());
    return std::pair{add_us[25], del_us[25]};
  });
  ASSERT_TRUE(r) << r.error().toString();
  std::printf("nft add-rule transaction median %.1f us; find+delete by comment median %.1f us\n",
              r->first, r->second);
  // Generous bound: a netlink batch is tens of microseconds; exec'ing nft is ~6.5 ms.
  EXPECT_LT(r->first, 5000.0);
  EXPECT_LT(r->second, 5000.0);
}

// A real packet: client (10.88.0.5) -> router -> server (192.0.2.2). The server has no route
// back to 10.88.0.0/16, so the ping only gets an answer once our masquerade rule rewrites the
// source to the router's 192.0.2.1.
TEST(NftPacket, MasqueradeBetweenNamespaces) {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root";
  testutil::TestNetNs client("cl"), router("rt"), server("sv");
  ASSERT_TRUE(client.ok() && router.ok() && server.ok());
  const std::string c = client.name(), r = router.name(), sv = server.name();
  const std::string setup =
      "set -e; ip -n " + r + " link add r0 type veth peer name eth0 netns " + c + "; ip -n " + r +
      " link add r1 type veth peer name eth0 netns " + sv + "; ip -n " + c +
      " addr add 10.88.0.5/16 dev eth0; ip -n " + c + " link set eth0 up; ip -n " + c +
      " link set lo up; ip -n " + c + " route add default via 10.88.0.1; ip -n " + r +
      " addr add 10.88.0.1/16 dev r0; ip -n " + r + " addr add 192.0.2.1/24 dev r1; ip -n " + r +
      " link set r0 up; ip -n " + r + " link set r1 up; ip -n " + sv +
      " addr add 192.0.2.2/24 dev eth0; ip -n " + sv + " link set eth0 up; ip netns exec " + r +
      " sysctl -qw net.ipv4.ip_forward=1";
  auto st = testutil::run(setup);
  ASSERT_EQ(st.status, 0) << st.err;
  const std::string ping = "ip netns exec " + c + " ping -c1 -W1 192.0.2.2";
  EXPECT_NE(testutil::run(ping).status, 0) << "answered without masquerade?";

  auto added = router.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    return masqueradeTx(cidr("10.88.0.5/16"), kComment).commit(s);
  });
  ASSERT_TRUE(added) << added.error().toString();
  auto ok = testutil::run(ping);
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  auto removed = router.run([]() -> Expected<size_t> {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    return deleteRulesByComment(s, Family::kInet, kMasqTable, "masq_checks", "0123456789abcdef");
  });
  ASSERT_TRUE(removed) << removed.error().toString();
  EXPECT_EQ(*removed, 1u);
}

// A dump spanning several parts while other processes commit (a node starting pods in
// parallel): the kernel marks it interrupted, and listRules repeats it until it gets one
// consistent listing, never a torn one (rules missing or doubled).
TEST_F(NetNsTest, NftDumpRepeatedWhenInterruptedByConcurrentCommits) {
  static constexpr int kRules = 800;  // about 100 KiB of dump: four or more parts
  auto setup = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    CNI_TRY(masqueradeTx(cidr("10.88.0.1/16"), "c0").commit(s));
    for (int first = 1; first < kRules; first += 100) {  // batches of 100: one datagram each
      Transaction tx;
      for (int i = first; i < std::min(first + 100, kRules); ++i) {
        const std::string a =
            "10.88." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 2);
        tx.add(Rule{Family::kInet,
                    kMasqTable,
                    "masq_checks",
                    {stmt::saddr(ip(a.c_str())), stmt::daddr(cidr("10.88.0.0/16"), CmpOp::kNeq),
                     stmt::masquerade()},
                    "c" + std::to_string(i)});
      }
      CNI_TRY(tx.commit(s));
    }
    return Status{};
  });
  ASSERT_TRUE(setup) << setup.error().toString();
  // Commits every 5 ms, or every two dump lengths when one dump takes longer (the sanitizer
  // tree is several times slower): a dump is then often interrupted, but not always, which is
  // the situation the retries are for (a dump that can never finish is another problem).
  auto timed = netns().run([]() -> Expected<std::chrono::nanoseconds> {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    const auto t0 = std::chrono::steady_clock::now();
    CNI_TRY(listRules(s, Family::kInet, kMasqTable, "masq_checks"));
    return std::chrono::steady_clock::now() - t0;
  });
  ASSERT_TRUE(timed) << timed.error().toString();
  const auto interval =
      std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(5), 2 * *timed);
  std::atomic<bool> stop = false;
  std::atomic<int> commits = 0;
  std::thread churn([&] {
    (void)netns().run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
      while (!stop) {
        Transaction tx;
        tx.add(Table{Family::kInet, "churn", ""});
        tx.add(Chain{Family::kInet, "churn", "c", std::nullopt, ""});
        tx.flushChain(Family::kInet, "churn", "c");
        tx.add(Rule{Family::kInet, "churn", "c", {stmt::verdict(Verdict::accept())}, ""});
        CNI_TRY(tx.commit(s));
        ++commits;
        std::this_thread::sleep_for(interval);
      }
      return {};
    });
  });
  auto listed = netns().run([&]() -> Expected<std::vector<size_t>> {
    CNI_ASSIGN_OR_RETURN(NfSocket s, NfSocket::open());
    std::vector<size_t> sizes;
    // At least 30 listings, and on until 20 commits ran alongside them.
    for (int i = 0; i < 30 || (commits < 20 && i < 2000); ++i) {
      CNI_ASSIGN_OR_RETURN(auto rules, listRules(s, Family::kInet, kMasqTable, "masq_checks"));
      sizes.push_back(rules.size());
    }
    return sizes;
  });
  stop = true;
  churn.join();
  ASSERT_TRUE(listed) << listed.error().toString() << " (" << commits << " concurrent commits)";
  EXPECT_GE(commits, 20) << "the churn thread did not run alongside";
  EXPECT_EQ(*listed, std::vector<size_t>(listed->size(), kRules));
}

}  // namespace
}  // namespace cni::nft
