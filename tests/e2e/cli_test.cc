// tests/e2e/cli_test.cc — `cnikit` driving real plugins in real namespaces: Debian's reference
// plugins (/usr/lib/cni) and our own static binary (build/cni-bin).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "src/spec/json.h"
#include "tests/e2e/e2e_fixture.h"

namespace cni::e2e {
namespace {

using testutil::run;

class CliTest : public E2eTest {
 protected:
  std::string cachePath(const std::string& net, const std::string& cid) const {
    return cacheDir() + "/results/" + net + "-" + cid + "-eth0";
  }
};

// The acceptance flow: add -> address pings gateway -> cache written -> check -> del removes
// every trace -> del again succeeds.
TEST_F(CliTest, BridgeHostLocalAddCheckDelDelLeavesNoTrace) {
  state_.write("net.d/10-e2e.conflist", bridgeConflist("e2enet", "1.0.0"));
  const std::string cni_path = kReferenceDir;
  auto add = cnikit("add e2enet " + netnsPath(), cni_path);
  ASSERT_EQ(add.status, 0) << add.err;
  auto result = Json::parse(add.out);
  ASSERT_EQ(result["cniVersion"], "1.0.0");
  std::string address = result["ips"][0]["address"];
  std::string ip = address.substr(0, address.find('/'));
  EXPECT_EQ(result["ips"][0]["gateway"], gateway());
  EXPECT_EQ(address.rfind(subnet_prefix_ + ".", 0), 0u) << address;

  // The namespace really has the address and reaches its gateway.
  auto addr = inNs("ip -4 -o addr show dev eth0");
  EXPECT_NE(addr.out.find(address), std::string::npos) << addr.out;
  auto ping = inNs("ping -c 1 -W 2 " + gateway());
  EXPECT_EQ(ping.status, 0) << ping.out << ping.err;

  // cnitool's container ID and a cniCacheV1 entry.
  std::string cid = "cnitool-" + run("printf %s " + netnsPath() + " | sha512sum").out.substr(0, 20);
  auto cache = Json::parse(testutil::readFile(cachePath("e2enet", cid)));
  EXPECT_EQ(cache["kind"], "cniCacheV1");
  EXPECT_EQ(cache["containerId"], cid);
  EXPECT_EQ(cache["netns"], netnsPath());
  EXPECT_TRUE(std::filesystem::exists(ipamDir() + "/e2enet/" + ip));

  auto check = cnikit("check e2enet " + netnsPath(), cni_path);
  EXPECT_EQ(check.status, 0) << check.err;

  auto del = cnikit("del e2enet " + netnsPath(), cni_path);
  ASSERT_EQ(del.status, 0) << del.err;
  EXPECT_NE(inNs("ip link show eth0").status, 0) << "container veth gone";
  EXPECT_EQ(onNode("ip -o link show master " + bridge_).out, "") << "no port left on the bridge";
  EXPECT_FALSE(std::filesystem::exists(ipamDir() + "/e2enet/" + ip)) << "lease released";
  EXPECT_FALSE(std::filesystem::exists(cachePath("e2enet", cid))) << "cache removed";

  auto again = cnikit("del e2enet " + netnsPath(), cni_path);
  EXPECT_EQ(again.status, 0) << again.err;
}

// Same flow with our static loopback first in the chain (and its own network, as containerd).
TEST_F(CliTest, OurLoopbackInAChainWithTheReferenceBridge) {
  const std::string lo = R"({"type":"loopback"},)";
  state_.write("net.d/10-e2e.conflist", bridgeConflist("e2elo", "1.0.0", "", lo));
  const std::string cni_path = ourPluginDir() + ":" + kReferenceDir;
  ASSERT_EQ(inNs("ip -o link show lo").out.find("UP,"), std::string::npos) << "lo starts down";
  auto add = cnikit("add e2elo " + netnsPath(), cni_path);
  ASSERT_EQ(add.status, 0) << add.err;
  EXPECT_NE(inNs("ip -o link show lo").out.find("UP"), std::string::npos);
  EXPECT_EQ(inNs("ping -c 1 -W 2 127.0.0.1").status, 0) << "loopback works";
  EXPECT_EQ(inNs("ping -c 1 -W 2 " + gateway()).status, 0);
  EXPECT_EQ(cnikit("check e2elo " + netnsPath(), cni_path).status, 0);
  auto del = cnikit("del e2elo " + netnsPath(), cni_path);
  ASSERT_EQ(del.status, 0) << del.err;
  EXPECT_EQ(inNs("ip -o link show lo").out.find(",UP"), std::string::npos) << "lo set down";
  EXPECT_EQ(cnikit("del e2elo " + netnsPath(), cni_path).status, 0);
}

// portmap chained after the bridge gets prevResult and the capability args; DEL removes its
// rules (matched by container ID in the nat table).
TEST_F(CliTest, ChainWithPortmapPassesCapabilitiesAndCleansUp) {
  state_.write("net.d/10-e2e.conflist",
               bridgeConflist("e2epm", "0.4.0",
                              R"(,{"type":"portmap","capabilities":{"portMappings":true}})"));
  const std::string cni_path = kReferenceDir;
  std::map<std::string, std::string> env{
      {"CAP_ARGS", R"({"portMappings":[{"hostPort":38080,"containerPort":80,"protocol":"tcp"}]})"}};
  auto add = cnikit("--container-id e2epm" + tag_ + " add e2epm " + netnsPath(), cni_path, env);
  ASSERT_EQ(add.status, 0) << add.err;
  auto nat = onNode("iptables -w -t nat -S");
  EXPECT_NE(nat.out.find("38080"), std::string::npos) << "portmap DNAT rule installed";
  auto del = cnikit("--container-id e2epm" + tag_ + " del e2epm " + netnsPath(), cni_path, env);
  ASSERT_EQ(del.status, 0) << del.err;
  nat = onNode("iptables -w -t nat -S");
  EXPECT_EQ(nat.out.find("e2epm" + tag_), std::string::npos) << nat.out;
  EXPECT_EQ(nat.out.find("38080"), std::string::npos);
}

// `cnikit ls` explains good, broken and shadowed files.
TEST_F(CliTest, LsExplainsEveryFile) {
  state_.write("net.d/00-broken.conflist", "{ not json");
  state_.write("net.d/05-noplugins.conflist", R"({"cniVersion":"1.0.0","name":"x","plugins":[]})");
  state_.write("net.d/10-good.conflist", bridgeConflist("good", "1.0.0"));
  state_.write("net.d/20-shadowed.conf",
               R"({"cniVersion":"0.4.0","name":"later","type":"bridge"})");
  state_.write("net.d/README.txt", "not a config");
  auto ls = cnikit("ls", kReferenceDir);
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("invalid  00-broken.conflist"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("invalid  05-noplugins.conflist"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("active   10-good.conflist"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("valid    20-shadowed.conf"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("ignored  README.txt"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("Active network: good"), std::string::npos) << ls.out;

  auto strict = cnikit("ls --policy strict", kReferenceDir);
  EXPECT_EQ(strict.status, 1) << "a strict runtime stops at the broken file";
  EXPECT_NE(strict.err.find("00-broken.conflist"), std::string::npos) << strict.err;

  auto json = cnikit("ls --json", kReferenceDir);
  auto j = Json::parse(json.out);
  EXPECT_EQ(j["active"]["name"], "good");
  EXPECT_EQ(j["files"].size(), 5u);
}

TEST_F(CliTest, ErrorsAreOneLinePlusDetailsAndCode) {
  state_.write("net.d/10-e2e.conflist", bridgeConflist("e2eerr", "1.0.0"));
  auto r = cnikit("add nosuchnet " + netnsPath(), kReferenceDir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no net configuration with name \"nosuchnet\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CNI error code"), std::string::npos);
  auto bad_args = cnikit("add e2eerr " + netnsPath(), kReferenceDir, {{"CNI_ARGS", "novalue"}});
  EXPECT_EQ(bad_args.status, 1);
  EXPECT_NE(bad_args.err.find("invalid CNI_ARGS pair \"novalue\""), std::string::npos)
      << bad_args.err;
  EXPECT_EQ(cnikit("frobnicate", kReferenceDir).status, 2) << "usage error";
}

TEST_F(CliTest, VersionListsEachPluginsVersions) {
  auto v = cnikit("version --json", ourPluginDir() + ":" + kReferenceDir);
  ASSERT_EQ(v.status, 0) << v.err << v.out;
  auto j = Json::parse(v.out);
  bool saw_loopback = false;
  for (const auto& p : j) {
    if (p["plugin"] == "loopback") {
      saw_loopback = true;
      EXPECT_EQ(p["supportedVersions"].back(), "1.1.0") << "ours, found first in CNI_PATH";
    }
  }
  EXPECT_TRUE(saw_loopback);
}

}  // namespace
}  // namespace cni::e2e

namespace cni::e2e {
namespace {

// The README's main job: pods attached, traffic proven, everything torn down (on a private node
// namespace: the demo's bridge and masquerade rules would otherwise be the machine's).
TEST_F(E2eTest, DemoAttachesPodsProvesTrafficAndLeavesNothing) {
  auto r = onNode(cnikitBin() + " demo --pods 2 --subnet " + subnet(),
                  {{"CNI_PATH", ourPluginDir() + ":" + kReferenceDir}});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ICMP echo reply"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TCP echo"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK: every step succeeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("doctor: healthy, 0 findings"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("state: /run/cnikit-demo-([0-9]+)"))) << r.out;
  const std::string tag = m[1];
  EXPECT_EQ(testutil::run("ls /run/netns | grep -c '^cnikit-demo-" + tag + "-'").out, "0\n")
      << "demo namespaces removed";
  EXPECT_FALSE(std::filesystem::exists("/run/cnikit-demo-" + tag)) << "demo state removed";
  EXPECT_EQ(onNode("ip -o link show | grep -c ' cnikit'").out, "0\n") << "bridge removed";
  EXPECT_EQ(onNode("ip -o link show | grep -vc ': lo:'").out, "0\n") << "no link left";
}

}  // namespace
}  // namespace cni::e2e
