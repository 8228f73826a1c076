// tests/netns/vlan_test.cc — the vlan plugin in real namespaces. This kernel may lack 802.1Q
// (it answers EOPNOTSUPP): the kernel is probed once; without it the full ADD -> CHECK -> DEL ->
// DEL cycles are skipped with that reason, and what remains testable is tested: config errors
// (before anything is created) and a clean failure (no link, no lease) when the kernel refuses
// the link.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "src/netlink/link_create.h"
#include "src/netlink/outcome.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "vlnet";

bool kernelHasVlan() {
  static const bool has = kernelCreatesLink([](netlink::Socket& s, int parent) -> Status {
    return netlink::createVlan(s, {.name = "vl0", .parent = parent}, 5);
  });
  return has;
}

class VlanTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(node().run([]() -> Status {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      return netlink::createVeth(
          s, {.host_name = "vlm0", .peer_name = "vlpeer0", .mtu = 1500, .host_up = true});
    }));
  }
  std::string conf(std::string_view version,
                   std::string_view extra = R"(,"master":"vlm0","vlanId":42)") const {
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(kNet) +
           R"(","type":"vlan")" + std::string(extra) +
           R"(,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.94.0.0/24"}]],"dataDir":")" +
           dataDir() + R"("}})";
  }
};

class VlanVersions : public VlanTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(VlanVersions, AddCheckDelDel) {
  if (!kernelHasVlan()) GTEST_SKIP() << "kernel lacks vlan (EOPNOTSUPP)";
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version, R"(,"master":"vlm0","vlanId":42,"mtu":1400)");
  Json r = add("vlan", pod.path(), "ctr1", c);
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0) << r.dump();
  EXPECT_EQ(eth0->kind, "vlan");
  EXPECT_EQ(eth0->mtu, 1400u);
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.94.0.2/24"});
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("vlan", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    o = call("vlan", "CHECK", pod.path(), "ctr1",
             withPrev(conf(version, R"(,"master":"vlm0","vlanId":43,"mtu":1400)"), r));
    EXPECT_NE(o.out.find("configured promisc is 43, current value is 42"), std::string::npos)
        << o.out;
  }
  for (int i = 0; i < 2; ++i) EXPECT_EQ(call("vlan", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_EQ(call("vlan", "DEL", "", "ctr1", c).exit_code, 0);
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, VlanVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(VlanTest, KernelRefusalLeavesNothing) {
  if (kernelHasVlan()) GTEST_SKIP() << "kernel has vlan: nothing refuses here";
  auto& pod = addPod();
  Outcome o = call("vlan", "ADD", pod.path(), "ctr1", conf("1.0.0"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("failed to create vlan: " + netlink::errnoText(EOPNOTSUPP)),
            std::string::npos)
      << o.out;
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

TEST_F(VlanTest, BadInputChangesNothing) {
  auto& pod = addPod();
  struct Case {
    std::string conf;
    std::string error;
  };
  const Case cases[] = {
      {conf("1.0.0", R"(,"vlanId":42)"), R"(\"master\" field is required.)"},
      {conf("1.0.0", R"(,"master":"vlm0","vlanId":5000)"),
       "invalid VLAN ID 5000 (must be between 0 and 4095 inclusive)"},
      {conf("1.0.0", R"(,"master":"vlm0","vlanId":1,"mtu":9000)"),
       "invalid MTU 9000, must be [0, master MTU(1500)]"},
      {conf("1.0.0", R"(,"master":"nosuch0","vlanId":1)"), "Link not found"},
  };
  for (const Case& k : cases) {
    Outcome o = call("vlan", "ADD", pod.path(), "ctr1", k.conf);
    EXPECT_EQ(o.exit_code, 1) << k.conf;
    EXPECT_NE(o.out.find(k.error), std::string::npos) << o.out;
    expectPodEmpty(pod);
    EXPECT_TRUE(leasedIps(kNet).empty());
  }
}

}  // namespace
}  // namespace cni::plugintest
