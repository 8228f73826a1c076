// tests/netns/vrf_test.cc — the vrf meta plugin chained after ptp. What needs no VRF support
// runs everywhere (config errors, version gate, "not a VRF", DEL of nothing, and the same
// answers as the Go reference /usr/lib/cni/vrf, including ADD failing on a kernel without VRF);
// the VRF lifecycle itself is GTEST_SKIPped when the kernel answers EOPNOTSUPP.
#include <gtest/gtest.h>

#include <filesystem>

#include "src/netlink/link_create.h"
#include "src/netlink/socket.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "vrfnet";
constexpr std::string_view kRefDir = "/usr/lib/cni";

// Whether the kernel can create VRF devices (probed once, in a throwaway namespace).
bool kernelHasVrf() {
  static const bool has = [] {
    testutil::TestNetNs ns("vrfprobe");
    if (!ns.ok()) return false;
    auto r = ns.run([]() -> Status {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      return netlink::createVrf(s, {.name = "probe0"}, 10);
    });
    return r.has_value();
  }();
  return has;
}

class VrfTest : public NodeWorld {
 protected:
  std::string ptpConf(std::string_view version) const {
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(kNet) +
           R"(","type":"ptp","ipam":{"type":"host-local","subnet":"10.95.0.0/24",)"
           R"("routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" +
           dataDir() + R"("}})";
  }
  std::string conf(std::string_view version, const Json& prev,
                   std::string_view extra = R"("vrfname":"blue")") const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"vrf")";
    if (!extra.empty()) c += "," + std::string(extra);
    if (!prev.is_null()) c += R"(,"prevResult":)" + prev.dump();
    return c + "}";
  }
  std::string msgOf(const Outcome& o) const {
    auto j = spec::parseJson(o.out, "error");
    return j && j->contains("msg") ? (*j)["msg"].get<std::string>() : o.out;
  }
};

TEST_F(VrfTest, ConfigErrorsAndVersionGate) {
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf("1.0.0"));
  EXPECT_EQ(msgOf(call("vrf", "ADD", pod.path(), "ctr1", conf("1.0.0", prev, ""))),
            "configuration is expected to have a valid vrf name");
  EXPECT_EQ(msgOf(call("vrf", "ADD", pod.path(), "ctr1", conf("1.0.0", Json()))),
            "missing prevResult from earlier plugin");
  EXPECT_EQ(msgOf(call("vrf", "CHECK", pod.path(), "ctr1", conf("1.0.0", Json()))),
            "missing prevResult from earlier plugin");
  EXPECT_EQ(msgOf(call("vrf", "ADD", pod.path(), "ctr1",
                       conf("1.0.0", prev, R"("vrfname":"blue","table":"x")"))),
            "failed to load netconf: json: cannot unmarshal string into Go struct field "
            "VRFNetConf.table of type uint32");
  EXPECT_EQ(msgOf(call("vrf", "ADD", pod.path(), "ctr1",
                       conf("1.0.0", prev, R"("vrfname":"blue","table":-1)"))),
            "failed to load netconf: json: cannot unmarshal number -1 into Go struct field "
            "VRFNetConf.table of type uint32");
  Outcome o = call("vrf", "ADD", pod.path(), "ctr1", conf("0.3.0", Json()));
  EXPECT_EQ(msgOf(o), "incompatible CNI versions") << o.out;
  // An existing non-VRF device of that name.
  EXPECT_EQ(
      msgOf(call("vrf", "ADD", pod.path(), "ctr1", conf("1.0.0", prev, R"("vrfname":"eth0")"))),
      "cmdAdd failed: Netlink eth0 is not a VRF");
  // DEL of a VRF that does not exist, without netns, with a vanished netns: success.
  EXPECT_EQ(call("vrf", "DEL", pod.path(), "ctr1", conf("1.0.0", prev)).exit_code, 0);
  EXPECT_EQ(call("vrf", "DEL", "", "ctr1", conf("1.0.0", prev)).exit_code, 0);
  EXPECT_EQ(call("vrf", "DEL", "/run/netns/no-such-ns-vrf", "ctr1", conf("1.0.0", prev)).exit_code,
            0);
  // The interface was not touched.
  auto l = link(pod, "eth0");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->master, 0);
}

TEST_F(VrfTest, SameAnswersAsTheReference) {
  if (!std::filesystem::exists(std::string(kRefDir) + "/vrf")) GTEST_SKIP() << "no reference";
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf("1.0.0"));
  const std::string cases[] = {
      conf("1.0.0", prev, ""),
      conf("1.0.0", Json()),
      conf("1.0.0", prev, R"("vrfname":"eth0")"),
      conf("1.0.0", prev, R"("vrfname":"blue","table":"x")"),
  };
  for (const std::string& c : cases) {
    Outcome r = call("vrf", "ADD", pod.path(), "ctr1", c, "eth0", kRefDir);
    Outcome o = call("vrf", "ADD", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, r.exit_code) << c;
    EXPECT_EQ(o.out, r.out) << c;
  }
  // The version gate answers alike; only the supported list differs (we also support 1.1.0).
  Outcome rv = call("vrf", "ADD", pod.path(), "ctr1", conf("0.3.0", prev), "eth0", kRefDir);
  Outcome ov = call("vrf", "ADD", pod.path(), "ctr1", conf("0.3.0", prev));
  EXPECT_EQ(ov.exit_code, rv.exit_code);
  EXPECT_EQ(msgOf(ov), msgOf(rv));
  if (!kernelHasVrf()) {
    // Both fail the same way creating the device.
    Outcome r = call("vrf", "ADD", pod.path(), "ctr1", conf("1.0.0", prev), "eth0", kRefDir);
    Outcome o = call("vrf", "ADD", pod.path(), "ctr1", conf("1.0.0", prev));
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_EQ(o.out, r.out);
    EXPECT_EQ(msgOf(o), "cmdAdd failed: could not add VRF blue: operation not supported");
  }
  for (const std::string& c : {conf("1.0.0", prev), conf("1.0.0", prev, "")}) {
    Outcome r = call("vrf", "DEL", pod.path(), "ctr1", c, "eth0", kRefDir);
    Outcome o = call("vrf", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, r.exit_code) << c;
    EXPECT_EQ(o.out, r.out) << c;
  }
}

class VrfVersions : public VrfTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(VrfVersions, AddCheckDelDel) {
  if (!kernelHasVrf()) GTEST_SKIP() << "kernel lacks vrf (EOPNOTSUPP)";
  const std::string_view version = GetParam();
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf(version));
  const std::string c = conf(version, prev, R"("vrfname":"blue","table":1001)");
  Json r = add("vrf", pod.path(), "ctr1", c);
  EXPECT_EQ(r, prev);
  auto blue = link(pod, "blue");
  ASSERT_TRUE(blue);
  EXPECT_EQ(blue->kind, "vrf");
  EXPECT_TRUE(blue->isUp());
  EXPECT_EQ(link(pod, "eth0")->master, blue->index);
  bool default_in_vrf = false;
  for (const auto& rt : routes(pod)) {
    default_in_vrf = default_in_vrf || (rt.table == 1001 && rt.isDefault());
  }
  EXPECT_TRUE(default_in_vrf);
  if (*spec::versionAtLeast(version, "0.4.0")) {
    EXPECT_EQ(call("vrf", "CHECK", pod.path(), "ctr1", c).exit_code, 0);
  }
  // A second VRF name with the same table is refused for an existing VRF.
  Outcome o =
      call("vrf", "ADD", pod.path(), "ctr1", conf(version, prev, R"("vrfname":"blue","table":7)"));
  EXPECT_EQ(msgOf(o), "cmdAdd failed: VRF blue already exist with different routing table 1001");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(call("vrf", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_FALSE(link(pod, "blue"));
  EXPECT_EQ(link(pod, "eth0")->master, 0);
}

INSTANTIATE_TEST_SUITE_P(Versions, VrfVersions,
                         ::testing::Values("0.3.1", "0.4.0", "1.0.0", "1.1.0"), versionTestName);

}  // namespace
}  // namespace cni::plugintest
