// tests/netns/host_device_test.cc — the host-device plugin in real namespaces. The "host
// devices" are veth ends in the node namespace (no physical NIC to move here; a veth moves and
// renames like one). Covered: ADD -> CHECK -> DEL -> DEL for every spec version (the device is in
// the pod as CNI_IFNAME with its node name as alias, and back in the node under its own name,
// alias cleared, after DEL); selection by hwaddr; bad input leaving the device where it was
// (including a name collision in the pod, which needs the rollback); DEL after the pod namespace
// was deleted (a veth is destroyed with it — a physical device would be moved back to the initial
// namespace by the kernel, which a test cannot observe without touching the real host); and a
// differential run against the reference /usr/lib/cni/host-device.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "hdnet";
constexpr std::string_view kRefDir = "/usr/lib/cni";

class HostDeviceTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Two "devices" (hdv0, hdv1), their peers stay in the node.
    ASSERT_TRUE(node().run([]() -> Status {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      for (std::string n : {"0", "1"}) {
        CNI_TRY(
            netlink::createVeth(s, {.host_name = "hdv" + n,
                                    .peer_name = "hdp" + n,
                                    .host_mac = {0x02, 0, 0, 0, 0x0d, uint8_t(0x10 + n[0] - '0')},
                                    .host_up = true}));
      }
      return {};
    }));
  }

  std::string conf(std::string_view version, std::string_view select = R"("device":"hdv0")",
                   std::string_view net = kNet, bool ipam = true) const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(net) + R"(","type":"host-device",)" + std::string(select);
    if (ipam) {
      c += R"(,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.99.0.0/24"}]],"dataDir":")" +
           dataDir() + R"("})";
    }
    return c + "}";
  }
  // The device is back in the node under its own name, without alias, and not in the pod.
  void expectHome(const testutil::TestNetNs& pod, std::string_view name) const {
    auto l = link(node(), name);
    ASSERT_TRUE(l) << name << " did not come back";
    EXPECT_EQ(l->alias, "");
    EXPECT_FALSE(link(pod, "eth0"));
  }
};

class HostDeviceVersions : public HostDeviceTest,
                           public ::testing::WithParamInterface<std::string_view> {};

TEST_P(HostDeviceVersions, AddCheckDelDel) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version);
  Json r = add("host-device", pod.path(), "ctr1", c);
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0) << r.dump();
  EXPECT_EQ(eth0->alias, "hdv0");
  EXPECT_EQ(eth0->macString(), "02:00:00:00:0d:10");
  EXPECT_TRUE(eth0->isUp());
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.99.0.2/24"});
  EXPECT_FALSE(link(node(), "hdv0"));
  if (*spec::versionAtLeast(version, "0.3.0")) {
    ASSERT_EQ(r["interfaces"].size(), 1u) << r.dump();
    EXPECT_EQ(r["interfaces"][0]["name"], "eth0");
    EXPECT_EQ(r["interfaces"][0]["mac"], "02:00:00:00:0d:10");
    EXPECT_EQ(r["interfaces"][0]["sandbox"], pod.path());
    EXPECT_EQ(r["ips"][0]["interface"], 0);
  }
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("host-device", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome o = call("host-device", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  EXPECT_EQ(call("host-device", "DEL", "", "ctr1", c).exit_code, 0);
  expectHome(pod, "hdv0");
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, HostDeviceVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(HostDeviceTest, SelectsByHwaddrL2Only) {
  auto& pod = addPod();
  const std::string c = conf("1.1.0", R"("hwaddr":"02:00:00:00:0D:11")", kNet, false);
  Json r = add("host-device", pod.path(), "ctr1", c, "net1");
  auto l = link(pod, "net1");
  ASSERT_TRUE(l) << r.dump();
  EXPECT_EQ(l->alias, "hdv1");
  EXPECT_FALSE(r.contains("ips"));
  EXPECT_TRUE(link(node(), "hdv0"));  // the other one stayed
  Outcome o = call("host-device", "DEL", pod.path(), "ctr1", c, "net1");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_TRUE(link(node(), "hdv1"));
  EXPECT_FALSE(link(pod, "net1"));
}

TEST_F(HostDeviceTest, BadInputLeavesTheDeviceWhereItWas) {
  auto& pod = addPod();
  struct Case {
    std::string conf;
    std::string error;
  };
  const Case cases[] = {
      {conf("1.0.0", R"("mtu":1)"),
       R"(specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\")"},
      {conf("1.0.0", R"("device":"nosuch0")"), "failed to find host device: Link not found"},
      {conf("1.0.0", R"("kernelpath":"/tmp/x")"),
       R"(kernel device path \"/tmp/x\" must be absolute and begin with /sys/devices/)"},
      {conf("1.0.0", R"("hwaddr":"02:00:00:00:0d:99")"),
       "failed to find host device: failed to find physical interface"},
      {conf("1.0.0", R"("device":"hdv0","runtimeConfig":{"deviceID":"0000:ff:1f.7"})"),
       "runtime config DeviceID 0000:ff:1f.7 not found or unsupported"},
  };
  for (const Case& k : cases) {
    Outcome o = call("host-device", "ADD", pod.path(), "ctr1", k.conf);
    EXPECT_EQ(o.exit_code, 1) << k.conf;
    EXPECT_NE(o.out.find(k.error), std::string::npos) << o.out;
    expectHome(pod, "hdv0");
  }
  // The pod already has an eth0: the move into the pod fails after the rename and the alias
  // were made in the temporary namespace; everything is undone, including the up state.
  ASSERT_TRUE(pod.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::createVeth(s, {.host_name = "eth0", .peer_name = "other0"});
  }));
  Outcome o = call("host-device", "ADD", pod.path(), "ctr1", conf("1.0.0"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("to container NS"), std::string::npos) << o.out;
  auto back = link(node(), "hdv0");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->alias, "");
  EXPECT_TRUE(back->isUp());
  EXPECT_EQ(link(pod, "eth0")->kind, "veth");  // the pod's own eth0 untouched
  EXPECT_TRUE(leasedIps(kNet).empty());
}

TEST_F(HostDeviceTest, DelAfterThePodNamespaceWasDeleted) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0");
  add("host-device", pod.path(), "ctr1", c);
  const std::string path = pod.path();
  ASSERT_TRUE(netns::NetNs::removeNamed(pod.name()));
  Outcome o = call("host-device", "DEL", path, "ctr1", c);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_TRUE(leasedIps(kNet).empty());
  // Empty CNI_NETNS releases IPAM too (the reference leaks it, plugins#1196).
  auto& pod2 = addPod();
  const std::string c1 = conf("1.0.0", R"("device":"hdv1")");
  add("host-device", pod2.path(), "ctr2", c1);
  EXPECT_EQ(leasedIps(kNet).size(), 1u);
  EXPECT_EQ(call("host-device", "DEL", "", "ctr2", c1).exit_code, 0);
  EXPECT_TRUE(leasedIps(kNet).empty());
  EXPECT_EQ(call("host-device", "DEL", pod2.path(), "ctr2", c1).exit_code, 0);
  expectHome(pod2, "hdv1");
}

TEST_F(HostDeviceTest, MatchesTheReferencePlugin) {
  if (!std::filesystem::exists(std::string(kRefDir) + "/host-device")) {
    GTEST_SKIP() << "no reference host-device in " << kRefDir;
  }
  auto& ours = addPod();
  auto& theirs = addPod();
  const std::string c_ours = conf("1.0.0", R"("device":"hdv0")", "hdours");
  const std::string c_ref = conf("1.0.0", R"("device":"hdv1")", "hdref");
  Outcome a = call("host-device", "ADD", ours.path(), "ctr1", c_ours);
  Outcome b = call("host-device", "ADD", theirs.path(), "ctr1", c_ref, "eth0", kRefDir);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  Json na = *spec::parseJson(a.out, "ours");
  Json nb = *spec::parseJson(b.out, "reference");
  na["interfaces"][0].erase("mac");
  nb["interfaces"][0].erase("mac");
  na["interfaces"][0]["sandbox"] = nb["interfaces"][0]["sandbox"];
  EXPECT_EQ(na, nb) << a.out << "\n" << b.out;
  auto la = link(ours, "eth0");
  auto lb = link(theirs, "eth0");
  ASSERT_TRUE(la && lb);
  EXPECT_EQ(la->alias, "hdv0");
  EXPECT_EQ(lb->alias, "hdv1");
  EXPECT_EQ(la->isUp(), lb->isUp());
  EXPECT_EQ(addrs(ours, "eth0"), addrs(theirs, "eth0"));
  EXPECT_EQ(call("host-device", "DEL", ours.path(), "ctr1", c_ours).exit_code, 0);
  EXPECT_EQ(call("host-device", "DEL", theirs.path(), "ctr1", c_ref, "eth0", kRefDir).exit_code, 0);
  auto ha = link(node(), "hdv0");
  auto hb = link(node(), "hdv1");
  ASSERT_TRUE(ha && hb);
  // The installed reference (v1.1.1) leaves the alias set after DEL; the current reference
  // (v1.9) clears it, and so do we.
  EXPECT_EQ(ha->alias, "");
  EXPECT_EQ(hb->alias, "hdv1");
  EXPECT_EQ(ha->isUp(), hb->isUp());
}

}  // namespace
}  // namespace cni::plugintest
