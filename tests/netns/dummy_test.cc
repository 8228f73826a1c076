// tests/netns/dummy_test.cc — the dummy plugin in real namespaces. This kernel may lack the
// dummy driver (it answers EOPNOTSUPP): the kernel is probed once; without it the full ADD ->
// CHECK -> DEL -> DEL cycles are skipped with that reason, and what remains testable is tested:
// config errors and a clean failure (no link, no lease) when the kernel refuses the link.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "src/netlink/link_create.h"
#include "src/netlink/outcome.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "dummynet";

bool kernelHasDummy() {
  static const bool has = kernelCreatesLink([](netlink::Socket& s, int parent) -> Status {
    (void)parent;
    return netlink::createDummy(s, {.name = "d0"});
  });
  return has;
}

class DummyTest : public NodeWorld {
 protected:
  std::string conf(std::string_view version, bool ipam = true) const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"dummy")";
    if (ipam) {
      c += R"(,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.93.0.0/24"}]],"dataDir":")" +
           dataDir() + R"("})";
    }
    return c + "}";
  }
};

class DummyVersions : public DummyTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(DummyVersions, AddCheckDelDel) {
  if (!kernelHasDummy()) GTEST_SKIP() << "kernel lacks dummy (EOPNOTSUPP)";
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version);
  Json r = add("dummy", pod.path(), "ctr1", c);
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0) << r.dump();
  EXPECT_EQ(eth0->kind, "dummy");
  EXPECT_TRUE(eth0->isUp());
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.93.0.2/24"});
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("dummy", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) EXPECT_EQ(call("dummy", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_EQ(call("dummy", "DEL", "", "ctr1", c).exit_code, 0);
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, DummyVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(DummyTest, KernelRefusalLeavesNothing) {
  if (kernelHasDummy()) GTEST_SKIP() << "kernel has dummy: nothing refuses here";
  auto& pod = addPod();
  Outcome o = call("dummy", "ADD", pod.path(), "ctr1", conf("1.0.0"));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("failed to create dummy: " + netlink::errnoText(EOPNOTSUPP)),
            std::string::npos)
      << o.out;
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

TEST_F(DummyTest, BadInputChangesNothing) {
  auto& pod = addPod();
  Outcome o = call("dummy", "ADD", pod.path(), "ctr1", conf("1.0.0", false));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("dummy interface requires an IPAM configuration"), std::string::npos)
      << o.out;
  expectPodEmpty(pod);
  std::string bad = conf("1.0.0");
  bad.replace(bad.find(R"("type":"dummy")"), 14, R"("type":5)");
  o = call("dummy", "ADD", pod.path(), "ctr1", bad);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("failed to parse network config: json: cannot unmarshal number"),
            std::string::npos)
      << o.out;
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
}

}  // namespace
}  // namespace cni::plugintest
