// tests/netns/tap_test.cc — the tap plugin in real namespaces: ADD -> CHECK -> DEL -> DEL for
// every spec version with the tap asserted in the kernel (kind "tun", MTU, MAC, up, addresses);
// L2-only with a bridge of the pod namespace as master and the MAC sources; bad input leaving
// nothing behind (the bridge-missing case fails after the tap exists and needs the rollback);
// DEL after the namespace vanished. No reference tap is installed, so no differential run.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "src/netlink/link_create.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "tapnet";

class TapTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!std::filesystem::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun here";
  }
  std::string conf(std::string_view version, std::string_view extra = "", bool ipam = true) const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"tap")" + std::string(extra);
    if (ipam) {
      c += R"(,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.96.7.0/24"}]],)"
           R"("routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" +
           dataDir() + R"("})";
    }
    return c + "}";
  }
  void expectOnly(const testutil::TestNetNs& pod, std::vector<std::string> names) const {
    std::vector<std::string> got;
    for (const auto& l : links(pod)) got.push_back(l.name);
    std::sort(got.begin(), got.end());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(got, names);
  }
};

class TapVersions : public TapTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(TapVersions, AddCheckDelDel) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c =
      conf(version, R"(,"mtu":1450,"mac":"02:00:00:00:7a:01","owner":0,"group":0)");
  Json r = add("tap", pod.path(), "ctr1", c);
  auto tap = link(pod, "eth0");
  ASSERT_TRUE(tap) << r.dump();
  EXPECT_EQ(tap->kind, "tun");
  EXPECT_EQ(tap->mtu, 1450u);
  EXPECT_EQ(tap->macString(), "02:00:00:00:7a:01");
  EXPECT_TRUE(tap->isUp());
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.96.7.2/24"});
  if (*spec::versionAtLeast(version, "0.3.0")) {
    EXPECT_EQ(r["interfaces"][0]["name"], "eth0");
    EXPECT_EQ(r["interfaces"][0]["mac"], "02:00:00:00:7a:01");
    EXPECT_EQ(r["interfaces"][0]["sandbox"], pod.path());
    EXPECT_EQ(r["ips"][0]["interface"], 0);
  }
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("tap", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome o = call("tap", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  EXPECT_EQ(call("tap", "DEL", "", "ctr1", c).exit_code, 0);
  expectOnly(pod, {"lo"});
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, TapVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(TapTest, L2OnlyOnAPodBridgeWithMacSources) {
  auto& pod = addPod();
  ASSERT_TRUE(pod.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::createBridge(s, {.name = "br0", .up = true});
  }));
  setCniArgs("MAC=02:00:00:00:7a:02");
  const std::string c =
      conf("1.1.0", R"(,"bridge":"br0","multiQueue":true,"selinuxContext":"system_u:x")", false);
  Json r = add("tap", pod.path(), "ctr1", c, "tap0");
  auto tap = link(pod, "tap0");
  ASSERT_TRUE(tap) << r.dump();
  EXPECT_EQ(tap->master, link(pod, "br0")->index);
  EXPECT_EQ(tap->macString(), "02:00:00:00:7a:02");
  EXPECT_FALSE(r.contains("ips"));
  Outcome o = call("tap", "CHECK", pod.path(), "ctr1", withPrev(c, r), "tap0");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(call("tap", "DEL", pod.path(), "ctr1", c, "tap0").exit_code, 0);
  setCniArgs("");
  expectOnly(pod, {"lo", "br0"});
}

TEST_F(TapTest, BadInputChangesNothing) {
  auto& pod = addPod();
  struct Case {
    std::string conf;
    std::string error;
  };
  const Case cases[] = {
      {conf("1.0.0", R"(,"mac":"zz")"), "invalid args zz for MAC addr"},
      {conf("1.0.0", R"(,"owner":-1)"), "NetConf.owner of type uint32"},
      {conf("1.0.0", R"(,"multiQueue":"yes")"), "NetConf.multiQueue of type bool"},
      // Fails after the tap exists: the tap is removed again and the lease never taken.
      {conf("1.0.0", R"(,"bridge":"nobr0")"), "failed to get bridge nobr0: Link not found"},
  };
  for (const Case& k : cases) {
    Outcome o = call("tap", "ADD", pod.path(), "ctr1", k.conf);
    EXPECT_EQ(o.exit_code, 1) << k.conf;
    EXPECT_NE(o.out.find(k.error), std::string::npos) << o.out;
    expectOnly(pod, {"lo"});
    EXPECT_TRUE(leasedIps(kNet).empty());
  }
  // IPAM failure after the tap exists.
  std::string c = conf("1.0.0");
  c.replace(c.find("10.96.7.0/24"), 12, "10.96.7.0/40");
  EXPECT_EQ(call("tap", "ADD", pod.path(), "ctr1", c).exit_code, 1);
  expectOnly(pod, {"lo"});
}

TEST_F(TapTest, DelAfterTheNamespaceVanished) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0");
  add("tap", pod.path(), "ctr1", c);
  const std::string path = pod.path();
  ASSERT_TRUE(netns::NetNs::removeNamed(pod.name()));
  Outcome o = call("tap", "DEL", path, "ctr1", c);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_TRUE(leasedIps(kNet).empty());
}

}  // namespace
}  // namespace cni::plugintest
