// tests/netns/pluginkit_masq_test.cc — pluginkit::setupIpMasq / teardownIpMasq / gcIpMasq
// against the real kernel, each in throwaway namespaces, checked with the `nft` binary and with
// real packets.
//
// The expected ruleset text was produced by feeding nft (v1.0.6) the exact commands the Go
// reference's knftables transaction sends (`add table inet cni_plugins_masquerade { comment ...
// }`, `add rule ... ip saddr == 10.88.0.5 ip daddr != 10.88.0.0/16 masquerade comment ...`) and
// running `nft list table inet cni_plugins_masquerade`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "src/nft/list.h"
#include "src/nft/nfsocket.h"
#include "src/nft/wire.h"
#include "src/pluginkit/masq.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::pluginkit {
namespace {

using testutil::NetNsTest;
using testutil::TestNetNs;

// Provenance: `printf %s <text> | sha512sum | cut -c1-16`.
constexpr const char* kHashMynet = "d23676b4f2d9fe04";     // "mynet"
constexpr const char* kHashEth0Ctr1 = "7883a6f9ce71eedb";  // "eth0:ctr1"
constexpr const char* kHashEth0Ctr2 = "a09553539d4cc24c";  // "eth0:ctr2"
constexpr const char* kHashOthernet = "0e0993d3a5cba48c";  // "othernet"
constexpr const char* kCommentCtr1 =
    "d23676b4f2d9fe04-7883a6f9ce71eedb, net: mynet, if: eth0, id: ctr1";

IpPrefix cidr(const char* s) { return *IpPrefix::parse(s); }

std::string nftListMasq(const TestNetNs& ns) {
  auto r =
      testutil::run("ip netns exec " + ns.name() + " nft list table inet cni_plugins_masquerade");
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

std::string nftRuleset(const TestNetNs& ns) {
  auto r = testutil::run("ip netns exec " + ns.name() + " nft list ruleset");
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// The comments of the rules in masq_checks, in chain order.
std::vector<std::string> masqComments(const TestNetNs& ns) {
  auto r = ns.run([]() -> Expected<std::vector<std::string>> {
    CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
    CNI_ASSIGN_OR_RETURN(auto rules, nft::listRules(s, nft::Family::kInet, kMasqTable, kMasqChain));
    std::vector<std::string> out;
    for (const auto& x : rules) out.push_back(x.comment);
    return out;
  });
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : std::vector<std::string>{};
}

// --- names (pure functions; no root needed) ---

TEST(PluginkitMasqNames, HashesAreSha512HexPrefixes) {
  EXPECT_EQ(masqNetworkHash("mynet"), kHashMynet);
  EXPECT_EQ(masqNetworkHash("othernet"), kHashOthernet);
  EXPECT_EQ(masqInstanceHash("mynet", "eth0", "ctr1"),
            std::string(kHashMynet) + "-" + kHashEth0Ctr1);
  // The instance key is ifname + ":" + containerID, in that order.
  EXPECT_EQ(masqInstanceHash("mynet", "eth0", "ctr2"),
            std::string(kHashMynet) + "-" + kHashEth0Ctr2);
  EXPECT_EQ(masqComment("mynet", "eth0", "ctr1"), kCommentCtr1);
}

TEST(PluginkitMasqNames, QuotesAreDroppedFromTheTextButNotFromTheHash) {
  const std::string c = masqComment("my\"net", "eth\"0", "c\"1");
  EXPECT_EQ(c, masqInstanceHash("my\"net", "eth\"0", "c\"1") + ", net: mynet, if: eth0, id: c1");
  EXPECT_NE(masqInstanceHash("my\"net", "eth\"0", "c\"1"), masqInstanceHash("mynet", "eth0", "c1"));
}

TEST(PluginkitMasqNames, CommentIsCutAt128Bytes) {
  const std::string net(60, 'n');
  const std::string id(64, 'f');
  const std::string full =
      masqInstanceHash(net, "eth0", id) + ", net: " + net + ", if: eth0, id: " + id;
  ASSERT_GT(full.size(), 128u);
  const std::string c = masqComment(net, "eth0", id);
  EXPECT_EQ(c.size(), 128u);
  EXPECT_EQ(c, full.substr(0, 128));
  // Short comments are not padded.
  EXPECT_EQ(masqComment("n", "i", "c").size(), 33u + 7 + 1 + 6 + 1 + 6 + 1);
}

// --- rules in a namespace ---

TEST_F(NetNsTest, PluginkitMasqSetupWritesTheReferenceLayout) {
  auto r = netns().run([] {
    return setupIpMasq("mynet", "eth0", "ctr1", {cidr("10.88.0.5/16"), cidr("fd00:88::5/64")});
  });
  ASSERT_TRUE(r) << r.error().toString();
  const std::string expected = std::string(
                                   "table inet cni_plugins_masquerade {\n"
                                   "\tcomment \"Masquerading for plugins from "
                                   "github.com/containernetworking/plugins\"\n"
                                   "\tchain masq_checks {\n"
                                   "\t\tcomment \"Masquerade traffic from certain IPs to any "
                                   "(non-multicast) IP outside their subnet\"\n"
                                   "\t\tip saddr 10.88.0.5 ip daddr != 10.88.0.0/16 masquerade "
                                   "comment \"") +
                               kCommentCtr1 +
                               "\"\n"
                               "\t\tip6 saddr fd00:88::5 ip6 daddr != fd00:88::/64 masquerade "
                               "comment \"" +
                               kCommentCtr1 +
                               "\"\n"
                               "\t}\n"
                               "\n"
                               "\tchain postrouting {\n"
                               "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                               "\t\tip daddr 224.0.0.0/4 return\n"
                               "\t\tip6 daddr ff00::/8 return\n"
                               "\t\tgoto masq_checks\n"
                               "\t}\n"
                               "}\n";
  EXPECT_EQ(nftListMasq(netns()), expected);

  // A second ADD of the same instance replaces its rules (the stale ones go in the same batch)
  // and rewrites postrouting instead of appending to it.
  r = netns().run([] { return setupIpMasq("mynet", "eth0", "ctr1", {cidr("10.88.0.6/16")}); });
  ASSERT_TRUE(r) << r.error().toString();
  const std::string out = nftListMasq(netns());
  EXPECT_EQ(count(out, "masquerade comment"), 1u) << out;
  EXPECT_NE(out.find("ip saddr 10.88.0.6 ip daddr != 10.88.0.0/16 masquerade comment \"" +
                     std::string(kCommentCtr1) + "\""),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("10.88.0.5"), std::string::npos) << out;
  EXPECT_EQ(out.find("fd00:88::5"), std::string::npos) << out;
  EXPECT_EQ(count(out, "ip daddr 224.0.0.0/4 return"), 1u) << out;
  EXPECT_EQ(count(out, "ip6 daddr ff00::/8 return"), 1u) << out;
  EXPECT_EQ(count(out, "goto masq_checks"), 1u) << out;
}

TEST_F(NetNsTest, PluginkitMasqTeardownRemovesOnlyThatInstance) {
  auto r = netns().run([]() -> Status {
    CNI_TRY(setupIpMasq("mynet", "eth0", "ctr1", {cidr("10.88.0.5/16"), cidr("fd00:88::5/64")}));
    CNI_TRY(setupIpMasq("mynet", "eth0", "ctr2", {cidr("10.88.0.7/16")}));
    CNI_TRY(setupIpMasq("othernet", "eth0", "ctr1", {cidr("10.99.0.5/24")}));
    // Same container and network, another interface: another instance.
    CNI_TRY(setupIpMasq("mynet", "net1", "ctr1", {cidr("10.88.0.8/16")}));
    return teardownIpMasq("mynet", "eth0", "ctr1");
  });
  ASSERT_TRUE(r) << r.error().toString();
  const std::vector<std::string> left = masqComments(netns());
  EXPECT_EQ(left, (std::vector<std::string>{masqComment("mynet", "eth0", "ctr2"),
                                            masqComment("othernet", "eth0", "ctr1"),
                                            masqComment("mynet", "net1", "ctr1")}));
  const std::string out = nftListMasq(netns());
  EXPECT_EQ(out.find("10.88.0.5"), std::string::npos) << out;
  EXPECT_EQ(out.find("fd00:88::5"), std::string::npos) << out;
  EXPECT_NE(out.find("ip saddr 10.88.0.7"), std::string::npos) << out;
  EXPECT_NE(out.find("ip saddr 10.99.0.5"), std::string::npos) << out;
  EXPECT_NE(out.find("ip saddr 10.88.0.8"), std::string::npos) << out;

  // Again (already gone): success, nothing else touched.
  r = netns().run([] { return teardownIpMasq("mynet", "eth0", "ctr1"); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftListMasq(netns()), out);
}

TEST_F(NetNsTest, PluginkitMasqTeardownAndGcWithNothingThereSucceed) {
  auto r = netns().run([]() -> Expected<size_t> {
    CNI_TRY(teardownIpMasq("mynet", "eth0", "ctr1"));
    return gcIpMasq("mynet", {});
  });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(*r, 0u);
  // Looking did not create anything (no "add table" was sent).
  EXPECT_EQ(nftRuleset(netns()), "");
}

TEST_F(NetNsTest, PluginkitMasqGcKeepsValidAttachmentsOnly) {
  auto r = netns().run([]() -> Expected<size_t> {
    CNI_TRY(setupIpMasq("mynet", "eth0", "ctr1", {cidr("10.88.0.5/16")}));
    CNI_TRY(setupIpMasq("mynet", "eth0", "ctr2", {cidr("10.88.0.6/16")}));
    CNI_TRY(setupIpMasq("mynet", "eth0", "ctr3", {cidr("10.88.0.7/16"), cidr("fd00:88::7/64")}));
    CNI_TRY(setupIpMasq("othernet", "eth0", "ctr9", {cidr("10.99.0.9/24")}));
    // ctr1 is valid; ctr2 and ctr3 (two rules) are not; othernet is not this GC's business.
    return gcIpMasq("mynet", {{"ctr1", "eth0"}, {"ctr4", "eth0"}});
  });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(*r, 3u);
  EXPECT_EQ(masqComments(netns()),
            (std::vector<std::string>{masqComment("mynet", "eth0", "ctr1"),
                                      masqComment("othernet", "eth0", "ctr9")}));
  // Nothing left to collect: 0, and the survivors stay.
  r = netns().run([] { return gcIpMasq("mynet", {{"ctr1", "eth0"}}); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(masqComments(netns()).size(), 2u);
  // An empty valid list removes all of the network's rules.
  r = netns().run([] { return gcIpMasq("mynet", {}); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(*r, 1u);
  EXPECT_EQ(masqComments(netns()),
            (std::vector<std::string>{masqComment("othernet", "eth0", "ctr9")}));
}

// A comment at the 128-byte limit must reach the kernel whole (nft allows 128 characters; the
// reference's GC compares whole comments), list back unchanged, and be recognised by GC and
// teardown.
TEST_F(NetNsTest, PluginkitMasq128ByteCommentRoundTrips) {
  const std::string net = "a-rather-long-network-name-for-the-masquerade-test";
  const std::string id(64, 'c');
  const std::string comment = masqComment(net, "eth0", id);
  ASSERT_EQ(comment.size(), 128u);
  EXPECT_GE(nft::kCommentMax, 128u)
      << "src/nft/wire.h kCommentMax must be 128 (nft's and knftables' limit), or long comments "
         "are cut one byte short of the reference's";
  auto r = netns().run([&] { return setupIpMasq(net, "eth0", id, {cidr("10.77.0.2/24")}); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(masqComments(netns()), std::vector<std::string>{comment});
  const std::string out = nftListMasq(netns());
  EXPECT_NE(out.find("masquerade comment \"" + comment + "\"\n"), std::string::npos) << out;

  auto gc = netns().run([&] { return gcIpMasq(net, {{id, "eth0"}}); });
  ASSERT_TRUE(gc) << gc.error().toString();
  EXPECT_EQ(*gc, 0u);
  r = netns().run([&] { return teardownIpMasq(net, "eth0", id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(masqComments(netns()).empty());
}

// A node switching from the reference: rules the reference wrote (here: its exact nft commands)
// are found by our teardown and GC through the hash prefix, and our ADD replaces them.
TEST_F(NetNsTest, PluginkitMasqHandlesRulesTheReferenceWrote) {
  testutil::TempDir dir;
  const std::string ref =
      std::string(
          "add table inet cni_plugins_masquerade { comment \"Masquerading for plugins from "
          "github.com/containernetworking/plugins\" ; }\n"
          "add chain inet cni_plugins_masquerade masq_checks { comment \"Masquerade traffic from "
          "certain IPs to any (non-multicast) IP outside their subnet\" ; }\n"
          "add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting "
          "priority srcnat ; }\n"
          "flush chain inet cni_plugins_masquerade postrouting\n"
          "add rule inet cni_plugins_masquerade postrouting ip daddr == 224.0.0.0/4  return\n"
          "add rule inet cni_plugins_masquerade postrouting ip6 daddr == ff00::/8  return\n"
          "add rule inet cni_plugins_masquerade postrouting goto masq_checks\n"
          "add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.88.0.5 ip daddr != "
          "10.88.0.0/16 masquerade comment \"") +
      kCommentCtr1 +
      "\"\n"
      "add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.88.0.6 ip daddr != "
      "10.88.0.0/16 masquerade comment \"" +
      masqComment("mynet", "eth0", "ctr2") + "\"\n";
  auto file = dir.write("ref.nft", ref);
  auto st = testutil::run("ip netns exec " + netns().name() + " nft -f " + file.string());
  ASSERT_EQ(st.status, 0) << st.err;
  const std::string written = nftListMasq(netns());

  // Our ADD for ctr2 replaces the reference's ctr2 rule and produces the same text.
  auto r = netns().run([] { return setupIpMasq("mynet", "eth0", "ctr2", {cidr("10.88.0.6/16")}); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftListMasq(netns()), written);

  r = netns().run([] { return teardownIpMasq("mynet", "eth0", "ctr1"); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(masqComments(netns()),
            (std::vector<std::string>{masqComment("mynet", "eth0", "ctr2")}));
  auto gc = netns().run([] { return gcIpMasq("mynet", {}); });
  ASSERT_TRUE(gc) << gc.error().toString();
  EXPECT_EQ(*gc, 1u);
  EXPECT_TRUE(masqComments(netns()).empty());
}

// Real packets: pod (10.X.Y.2) -> host (10.X.Y.1 | 192.168.Z.1, forwarding) -> outside
// (192.168.Z.2, no route back to the pod subnet). The echo gets an answer only while our rule
// masquerades the pod's source address to 192.168.Z.1.
TEST(PluginkitMasqTraffic, PingLeavesThePodSubnetOnlyWhileMasqueraded) {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  TestNetNs pod("mpod"), host("mhost"), outside("mout");
  ASSERT_TRUE(pod.ok() && host.ok() && outside.ok());
  const int x = (::getpid() >> 8) % 250 + 1, y = ::getpid() % 250 + 1;
  const std::string net = "10." + std::to_string(x) + "." + std::to_string(y);
  const std::string ext = "192.168." + std::to_string(y);
  const std::string p = pod.name(), h = host.name(), o = outside.name();
  const std::string setup =
      "set -e; ip -n " + h + " link add hp0 type veth peer name eth0 netns " + p + "; ip -n " + h +
      " link add ho0 type veth peer name eth0 netns " + o + "; ip -n " + p + " addr add " + net +
      ".2/24 dev eth0; ip -n " + p + " link set eth0 up; ip -n " + p + " route add default via " +
      net + ".1; ip -n " + h + " addr add " + net + ".1/24 dev hp0; ip -n " + h + " addr add " +
      ext + ".1/24 dev ho0; ip -n " + h + " link set hp0 up; ip -n " + h +
      " link set ho0 up; ip -n " + o + " addr add " + ext + ".2/24 dev eth0; ip -n " + o +
      " link set eth0 up; ip netns exec " + h + " sysctl -qw net.ipv4.ip_forward=1";
  auto st = testutil::run(setup);
  ASSERT_EQ(st.status, 0) << st.err;
  const std::string ping = "ip netns exec " + p + " ping -c1 -W1 " + ext + ".2";
  auto pingOk = [&] {
    for (int i = 0; i < 3; ++i) {
      if (testutil::run(ping).status == 0) return true;
    }
    return false;
  };
  // The topology itself works (the host answers), but the outside cannot answer the pod.
  EXPECT_EQ(testutil::run("ip netns exec " + p + " ping -c1 -W2 " + net + ".1").status, 0);
  EXPECT_NE(testutil::run(ping).status, 0) << "answered without masquerade?";

  auto r = host.run(
      [&] { return setupIpMasq("mynet", "eth0", "ctr1", {*IpPrefix::parse(net + ".2/24")}); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(pingOk()) << nftRuleset(host);

  r = host.run([] { return teardownIpMasq("mynet", "eth0", "ctr1"); });
  ASSERT_TRUE(r) << r.error().toString();
  // Each ping is a new ICMP id, so a new conntrack entry: without the rule it is not NATed.
  EXPECT_NE(testutil::run(ping).status, 0) << "still masqueraded after teardown:\n"
                                           << nftRuleset(host);
}

}  // namespace
}  // namespace cni::pluginkit
