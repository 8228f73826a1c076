// tests/netns/ipvlan_test.cc — the ipvlan plugin in real namespaces. This kernel may lack ipvlan
// (it answers EOPNOTSUPP): the kernel is probed once; without ipvlan the full ADD -> CHECK ->
// DEL -> DEL cycles are skipped with that reason, and what remains testable is tested: config
// errors (before anything is created) and a clean failure (no link, no lease) when the kernel
// refuses the link. With ipvlan, every spec version runs the full cycle plus the chained mode
// (no `ipam`, addresses from prevResult).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "src/netlink/link_create.h"
#include "src/netlink/outcome.h"
#include "src/netlink/route.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "ipvnet";

bool kernelHasIpvlan() {
  static const bool has = kernelCreatesLink([](netlink::Socket& s, int parent) -> Status {
    return netlink::createIpvlan(s, {.name = "iv0", .parent = parent}, netlink::IpvlanMode::kL2);
  });
  return has;
}

class IpvlanTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    addNodeUplink("ivm0", "ivpeer0");
  }
  std::string conf(std::string_view version, std::string_view extra = R"(,"master":"ivm0")",
                   bool ipam = true) const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"ipvlan")" + std::string(extra);
    if (ipam) {
      c += R"(,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.95.0.0/24"}]],"dataDir":")" +
           dataDir() + R"("})";
    }
    return c + "}";
  }
};

class IpvlanVersions : public IpvlanTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(IpvlanVersions, AddCheckDelDel) {
  if (!kernelHasIpvlan()) GTEST_SKIP() << "kernel lacks ipvlan (EOPNOTSUPP)";
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version, R"(,"master":"ivm0","mode":"l3","mtu":1400)");
  Json r = add("ipvlan", pod.path(), "ctr1", c);
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0) << r.dump();
  EXPECT_EQ(eth0->kind, "ipvlan");
  EXPECT_EQ(eth0->mtu, 1400u);
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.95.0.2/24"});
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("ipvlan", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) EXPECT_EQ(call("ipvlan", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_EQ(call("ipvlan", "DEL", "", "ctr1", c).exit_code, 0);
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, IpvlanVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(IpvlanTest, ChainedWithoutIpamUsesThePrevResult) {
  if (!kernelHasIpvlan()) GTEST_SKIP() << "kernel lacks ipvlan (EOPNOTSUPP)";
  auto& pod = addPod();
  const std::string prev =
      R"({"cniVersion":"1.0.0","interfaces":[{"name":"ivm0"}],"ips":[{"address":"10.95.1.9/24"}]})";
  const std::string c = withPrev(conf("1.0.0", "", false), *spec::parseJson(prev, "p"));
  Json r = add("ipvlan", pod.path(), "ctr1", c);
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.95.1.9/24"});
  EXPECT_EQ(r["interfaces"][0]["name"], "eth0");
  EXPECT_EQ(call("ipvlan", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  expectPodEmpty(pod);
}

TEST_F(IpvlanTest, KernelRefusalLeavesNothing) {
  if (kernelHasIpvlan()) GTEST_SKIP() << "kernel has ipvlan: nothing refuses here";
  auto& pod = addPod();
  Outcome o = call("ipvlan", "ADD", pod.path(), "ctr1", conf("1.0.0"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("failed to create ipvlan: " + netlink::errnoText(EOPNOTSUPP)),
            std::string::npos)
      << o.out;
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

TEST_F(IpvlanTest, BadInputChangesNothing) {
  auto& pod = addPod();
  const std::string two_ifaces =
      R"(,"prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"a"},{"name":"b"}],)"
      R"("ips":[{"address":"10.95.1.9/24"}]})";
  struct Case {
    std::string conf;
    std::string error;
  };
  const Case cases[] = {
      {conf("1.0.0", R"(,"master":"ivm0","mode":"l4")"), R"(unknown ipvlan mode: \"l4\")"},
      {conf("1.0.0", R"(,"master":"nosuch0")"),
       R"(failed to lookup master \"nosuch0\": Link not found)"},
      {conf("1.0.0", two_ifaces, false),
       "chained master failure. PrevResult lacks a single named interface"},
      {conf("1.0.0", R"(,"master":"ivm0","mtu":"big")"),
       "json: cannot unmarshal string into Go struct field NetConf.mtu of type int"},
  };
  for (const Case& k : cases) {
    Outcome o = call("ipvlan", "ADD", pod.path(), "ctr1", k.conf);
    EXPECT_EQ(o.exit_code, 1) << k.conf;
    EXPECT_NE(o.out.find(k.error), std::string::npos) << o.out;
    expectPodEmpty(pod);
    EXPECT_TRUE(leasedIps(kNet).empty());
  }
  // DEL of something never added, and STATUS, succeed.
  EXPECT_EQ(call("ipvlan", "DEL", pod.path(), "ctr1", conf("1.0.0")).exit_code, 0);
  EXPECT_EQ(call("ipvlan", "STATUS", "", "", conf("1.1.0")).exit_code, 0);
}

}  // namespace
}  // namespace cni::plugintest
