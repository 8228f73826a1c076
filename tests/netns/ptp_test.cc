// tests/netns/ptp_test.cc — the ptp plugin in real namespaces (node namespace as the host):
// ADD -> CHECK -> DEL -> DEL for every spec version with the routing the reference sets up
// (gateway /32 on the host veth, pod /32 host route, subnet via gateway in the pod), pods
// reaching each other through the node, masquerade rules, and DEL after the namespace vanished.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <string>

#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "ptpnet";

class PtpTest : public NodeWorld {
 protected:
  std::string conf(std::string_view version, std::string_view extra = "",
                   std::string_view ranges = R"([[{"subnet":"10.97.0.0/24"}]])") const {
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(kNet) +
           R"(","type":"ptp")" + std::string(extra) + R"(,"ipam":{"type":"host-local","ranges":)" +
           std::string(ranges) + R"(,"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + dataDir() +
           R"("}})";
  }
  bool hasRoute(const testutil::TestNetNs& ns, std::string_view dst, std::string_view gw,
                uint8_t scope) const {
    for (const auto& r : routes(ns)) {
      if (r.dst.str() == dst && (gw.empty() ? !r.gateway : r.gateway && r.gateway->str() == gw) &&
          r.scope == scope) {
        return true;
      }
    }
    return false;
  }
};

class PtpVersions : public PtpTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(PtpVersions, AddCheckDelDel) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version, R"(,"ipMasq":true,"mtu":1400)");
  Json r = add("ptp", pod.path(), "ctr1", c);
  std::string host_veth;
  if (*spec::versionAtLeast(version, "0.3.0")) {
    ASSERT_EQ(r["interfaces"].size(), 2u) << r.dump();
    host_veth = r["interfaces"][0]["name"];
    EXPECT_TRUE(host_veth.starts_with("veth"));
    EXPECT_EQ(r["interfaces"][1]["name"], "eth0");
    EXPECT_EQ(r["ips"][0]["interface"], 1);
    EXPECT_EQ(r["ips"][0]["address"], "10.97.0.2/24");
  }
  // Pod: the address, gw/32 on-link, the subnet and the default route via the gateway.
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.97.0.2/24"});
  EXPECT_EQ(link(pod, "eth0")->mtu, 1400u);
  EXPECT_TRUE(hasRoute(pod, "10.97.0.1/32", "", RT_SCOPE_LINK));
  EXPECT_TRUE(hasRoute(pod, "10.97.0.0/24", "10.97.0.1", RT_SCOPE_UNIVERSE));
  EXPECT_TRUE(hasRoute(pod, "0.0.0.0/0", "10.97.0.1", RT_SCOPE_UNIVERSE));
  EXPECT_FALSE(hasRoute(pod, "10.97.0.0/24", "", RT_SCOPE_LINK));  // the connected route is gone
  // Node: the gateway as /32 on the host veth and a host-scope route to the pod.
  if (!host_veth.empty()) {
    EXPECT_EQ(addrs(node(), host_veth), std::vector<std::string>{"10.97.0.1/32"});
  }
  EXPECT_TRUE(hasRoute(node(), "10.97.0.2/32", "", RT_SCOPE_HOST));
  EXPECT_TRUE(ping(pod, "10.97.0.1"));
  EXPECT_NE(nftRuleset().find("ip saddr 10.97.0.2 ip daddr != 10.97.0.0/24 masquerade"),
            std::string::npos)
      << nftRuleset();

  if (*spec::versionAtLeast(version, "0.4.0")) {
    std::string chk = c;
    chk.pop_back();
    chk += R"(,"prevResult":)" + r.dump() + "}";
    Outcome o = call("ptp", "CHECK", pod.path(), "ctr1", chk);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome o = call("ptp", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  EXPECT_EQ(call("ptp", "DEL", "", "ctr1", c).exit_code, 0);
  EXPECT_FALSE(link(pod, "eth0"));
  for (const auto& l : links(node())) EXPECT_NE(l.kind, "veth") << l.name;
  EXPECT_FALSE(hasRoute(node(), "10.97.0.2/32", "", RT_SCOPE_HOST));
  EXPECT_EQ(nftRuleset().find("masquerade comment"), std::string::npos) << nftRuleset();
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, PtpVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(PtpTest, PodsReachEachOtherThroughTheNodeDualStack) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string c =
      conf("1.1.0", "", R"([[{"subnet":"10.97.0.0/24"}],[{"subnet":"fd97::/64"}]])");
  Json ra = add("ptp", a.path(), "ctr-a", c);
  Json rb = add("ptp", b.path(), "ctr-b", c);
  ASSERT_EQ(rb["ips"].size(), 2u) << rb.dump();
  EXPECT_TRUE(ping(a, "10.97.0.3"));
  EXPECT_TRUE(ping(b, "10.97.0.2"));
  EXPECT_TRUE(ping(a, "fd97::3"));
  EXPECT_EQ(call("ptp", "DEL", a.path(), "ctr-a", c).exit_code, 0);
  EXPECT_EQ(call("ptp", "DEL", b.path(), "ctr-b", c).exit_code, 0);
}

TEST_F(PtpTest, DelAfterTheNamespaceVanished) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0", R"(,"ipMasq":true)");
  add("ptp", pod.path(), "ctr1", c);
  const std::string path = pod.path();
  ASSERT_TRUE(netns::NetNs::removeNamed(pod.name()));
  Outcome o = call("ptp", "DEL", path, "ctr1", c);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(nftRuleset().find("masquerade comment"), std::string::npos) << nftRuleset();
  EXPECT_TRUE(leasedIps(kNet).empty());
}

}  // namespace
}  // namespace cni::plugintest
