// tests/netns/pluginkit_spoofcheck_test.cc — pluginkit::setupSpoofCheck / teardownSpoofCheck
// against the real kernel in throwaway namespaces: the listed ruleset must be the reference's,
// the Go reference bridge plugin (/usr/lib/cni/bridge, the oracle) and we must tear down each
// other's rules, and real frames with a forged source MAC must be dropped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <tuple>

#include "src/netlink/link.h"
#include "src/netlink/link_set.h"
#include "src/netlink/socket.h"
#include "src/pluginkit/spoofcheck.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::pluginkit {
namespace {

using testutil::NetNsTest;
using testutil::TestNetNs;

// What `nft list table bridge nat` shows for the reference's rules of one port (captured from
// /usr/lib/cni/bridge with "macspoofchk": true; see ReferencePluginAndWeTearDownEachOther).
std::string referenceText(const std::string& veth, const std::string& mac, const std::string& id) {
  const std::string c = "comment \"macspoofchk-" + id + "\"";
  return "table bridge nat {\n"
         "\tchain PREROUTING {\n"
         "\t\ttype filter hook prerouting priority dstnat; policy accept;\n"
         "\t\tiifname \"" +
         veth + "\" jump cni-br-iface-" + id + " " + c +
         "\n"
         "\t}\n"
         "\n"
         "\tchain cni-br-iface-" +
         id +
         " {\n"
         "\t\tjump cni-br-iface-" +
         id + "-mac " + c +
         "\n"
         "\t}\n"
         "\n"
         "\tchain cni-br-iface-" +
         id +
         "-mac {\n"
         "\t\tether saddr " +
         mac + " return " + c +
         "\n"
         "\t\tdrop " +
         c +
         "\n"
         "\t}\n"
         "}\n";
}

// What stays after teardown: the table and the base chain (as the reference leaves them).
constexpr const char* kEmptyBase =
    "table bridge nat {\n"
    "\tchain PREROUTING {\n"
    "\t\ttype filter hook prerouting priority dstnat; policy accept;\n"
    "\t}\n"
    "}\n";

std::string nftList(const TestNetNs& ns, const std::string& what = "ruleset") {
  auto r = testutil::run("ip netns exec " + ns.name() + " nft list " + what);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

TEST(PluginkitSpoofCheckNames, IdIsContainerIdDashIfname) {
  EXPECT_EQ(spoofCheckId("ctr1", "eth0"), "ctr1-eth0");
  EXPECT_EQ(spoofCheckId("0123abcd", "net1"), "0123abcd-net1");
}

TEST_F(NetNsTest, PluginkitSpoofCheckSetupListsTheReferenceLayout) {
  const std::string id = spoofCheckId("ctr1", "eth0");
  auto r = netns().run([&] { return setupSpoofCheck("veth1234", "0A:58:0A:00:00:05", id); });
  ASSERT_TRUE(r) << r.error().toString();
  const std::string expected = referenceText("veth1234", "0a:58:0a:00:00:05", id);
  EXPECT_EQ(nftList(netns()), expected);

  // Setting up the same port again replaces its rules (no second PREROUTING jump).
  r = netns().run([&] { return setupSpoofCheck("veth1234", "0a:58:0a:00:00:05", id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), expected);

  // And with a new MAC, the mac chain holds only the new one.
  r = netns().run([&] { return setupSpoofCheck("veth1234", "0a:58:0a:00:00:06", id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), referenceText("veth1234", "0a:58:0a:00:00:06", id));

  r = netns().run([&] { return teardownSpoofCheck(id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), kEmptyBase);
  // Twice: nothing there, success, nothing changed.
  r = netns().run([&] { return teardownSpoofCheck(id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), kEmptyBase);
}

TEST_F(NetNsTest, PluginkitSpoofCheckTeardownLeavesOtherPortsAlone) {
  // "ctr1-eth0" is a prefix of "ctr1-eth01": matching must be exact.
  const std::string a = spoofCheckId("ctr1", "eth0"), b = spoofCheckId("ctr1", "eth01");
  auto r = netns().run([&]() -> Status {
    CNI_TRY(setupSpoofCheck("vethaaaa", "0a:58:0a:00:00:0a", a));
    CNI_TRY(setupSpoofCheck("vethbbbb", "0a:58:0a:00:00:0b", b));
    return teardownSpoofCheck(a);
  });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), referenceText("vethbbbb", "0a:58:0a:00:00:0b", b));
}

TEST_F(NetNsTest, PluginkitSpoofCheckTeardownOfUnknownIdTouchesNothing) {
  // No table at all: success, and no table was created by looking.
  auto r = netns().run([] { return teardownSpoofCheck("never-eth0"); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), "");
  // Another port's rules exist: they stay exactly as they were.
  r = netns().run([]() -> Status {
    CNI_TRY(setupSpoofCheck("vethaaaa", "0a:58:0a:00:00:0a", "ctr1-eth0"));
    return teardownSpoofCheck("never-eth0");
  });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(netns()), referenceText("vethaaaa", "0a:58:0a:00:00:0a", "ctr1-eth0"));
}

TEST_F(NetNsTest, PluginkitSpoofCheckRejectsABadMacAndSendsNothing) {
  auto r = netns().run([] { return setupSpoofCheck("veth1234", "not-a-mac", "ctr1-eth0"); });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("failed to setup spoof-check"), std::string::npos)
      << r.error().toString();
  EXPECT_EQ(nftList(netns()), "");
}

// The oracle: the Go reference bridge plugin (ADD with macspoofchk) writes its rules in a host
// namespace; ours for the same port must list identically, our teardown must remove the
// reference's rules, and the reference's DEL must remove ours.
TEST(PluginkitSpoofCheckInterop, ReferencePluginAndWeTearDownEachOther) {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  if (!std::filesystem::exists("/usr/lib/cni/bridge")) GTEST_SKIP() << "no reference plugins";
  TestNetNs host("schost"), pod("scpod"), mirror("scmirror");
  ASSERT_TRUE(host.ok() && pod.ok() && mirror.ok());
  testutil::TempDir dir;
  const std::string conf =
      R"({"cniVersion":"1.0.0","name":"scnet","type":"bridge","bridge":"cnibr0",)"
      R"("macspoofchk":true,"ipam":{"type":"host-local","subnet":"10.66.0.0/24","dataDir":")" +
      (dir.path() / "ipam").string() + R"("}})";
  auto conf_file = dir.write("conf.json", conf);
  auto plugin = [&](const std::string& cmd) {
    return testutil::run(
        "ip netns exec " + host.name() + " /usr/lib/cni/bridge < " + conf_file.string(),
        {{"CNI_COMMAND", cmd},
         {"CNI_CONTAINERID", "ctr1"},
         {"CNI_NETNS", pod.path()},
         {"CNI_IFNAME", "eth0"},
         {"CNI_PATH", "/usr/lib/cni"}});
  };
  auto add = plugin("ADD");
  ASSERT_EQ(add.status, 0) << add.out << add.err;
  const std::string ref = nftList(host, "table bridge nat");
  // The host veth's name and the pod's MAC, read back from the reference's rules.
  auto between = [&](const std::string& after, const std::string& before) {
    size_t at = ref.find(after);
    if (at == std::string::npos) return std::string();
    at += after.size();
    return ref.substr(at, ref.find(before, at) - at);
  };
  const std::string veth = between("iifname \"", "\"");
  const std::string mac = between("ether saddr ", " ");
  const std::string id = spoofCheckId("ctr1", "eth0");
  ASSERT_FALSE(veth.empty() || mac.empty()) << ref;
  EXPECT_EQ(ref, referenceText(veth, mac, id));

  // Ours, for the same port, in a clean namespace: the same text.
  auto r = mirror.run([&] { return setupSpoofCheck(veth, mac, id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(mirror, "table bridge nat"), ref);

  // Our teardown removes the reference's rules...
  r = host.run([&] { return teardownSpoofCheck(id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(host, "table bridge nat"), kEmptyBase);
  // ... and the reference's DEL removes ours.
  r = host.run([&] { return setupSpoofCheck(veth, mac, id); });
  ASSERT_TRUE(r) << r.error().toString();
  auto del = plugin("DEL");
  ASSERT_EQ(del.status, 0) << del.out << del.err;
  EXPECT_EQ(nftList(host, "table bridge nat"), kEmptyBase);
}

// Real frames: two pods on a bridge in a "host" namespace. With the check on pod A's port,
// A still reaches B with its own MAC, is cut off once it forges another MAC, and is reachable
// again after teardown.
TEST(PluginkitSpoofCheckTraffic, ForgedSourceMacIsDroppedUntilTeardown) {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  TestNetNs host("sbr"), a("spa"), b("spb");
  ASSERT_TRUE(host.ok() && a.ok() && b.ok());
  const std::string net = "10.67." + std::to_string(::getpid() % 250 + 1);
  const std::string h = host.name();
  const std::string mac_a = "0a:58:0a:43:00:02";
  std::string setup =
      "set -e; ip -n " + h + " link add br0 type bridge; ip -n " + h + " link set br0 up";
  for (auto [ns, port, ip, mac] : {std::tuple{&a, "vpa", ".2", mac_a},
                                   std::tuple{&b, "vpb", ".3", std::string("0a:58:0a:43:00:03")}}) {
    setup += "; ip -n " + h + " link add " + port + " type veth peer name eth0 address " + mac +
             " netns " + ns->name() + "; ip -n " + h + " link set " + port + " master br0 up" +
             "; ip -n " + ns->name() + " addr add " + net + ip + "/24 dev eth0; ip -n " +
             ns->name() + " link set eth0 up";
  }
  auto st = testutil::run(setup);
  ASSERT_EQ(st.status, 0) << st.err;
  const std::string ping = "ip netns exec " + a.name() + " ping -c1 -W1 " + net + ".3";
  auto pingOk = [&] {
    // Fresh ARP on both sides, so an old neighbour entry can neither help nor hurt.
    testutil::run("ip -n " + a.name() + " neigh flush all; ip -n " + b.name() + " neigh flush all");
    for (int i = 0; i < 5; ++i) {
      if (testutil::run(ping).status == 0) return true;
    }
    return false;
  };
  const std::string id = spoofCheckId("ctr-a", "eth0");
  auto r = host.run([&] { return setupSpoofCheck("vpa", mac_a, id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(pingOk()) << "own MAC must pass:\n" << nftList(host);

  // Pod A forges a MAC: every frame from it (ARP and IP) is now dropped at the bridge port.
  auto forged = a.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(auto sock, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(auto link, netlink::getLinkByName(sock, "eth0"));
    const uint8_t mac[6] = {0x0a, 0x58, 0x0a, 0x43, 0x00, 0x99};
    return netlink::setLinkMac(sock, link.index, mac);
  });
  ASSERT_TRUE(forged) << forged.error().toString();
  testutil::run("ip -n " + a.name() + " neigh flush all; ip -n " + b.name() + " neigh flush all");
  EXPECT_NE(testutil::run(ping).status, 0) << "forged MAC passed:\n" << nftList(host);
  EXPECT_NE(testutil::run(ping).status, 0) << "forged MAC passed:\n" << nftList(host);

  r = host.run([&] { return teardownSpoofCheck(id); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_TRUE(pingOk()) << "no check left, yet dropped:\n" << nftList(host);
  // Teardown again, and of an id never set up: both succeed.
  r = host.run([&] { return teardownSpoofCheck(id); });
  ASSERT_TRUE(r) << r.error().toString();
  r = host.run([] { return teardownSpoofCheck(spoofCheckId("never", "eth0")); });
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(nftList(host), kEmptyBase);
}

}  // namespace
}  // namespace cni::pluginkit
