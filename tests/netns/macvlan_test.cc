// tests/netns/macvlan_test.cc — the macvlan plugin in real namespaces. The node namespace gets a
// veth pair (both ends up, so the "master" has carrier) standing in for the node's NIC, with an
// address and a default route through it (the default master). Covered: ADD -> CHECK -> DEL ->
// DEL for every spec version with the link asserted in the kernel; two pods on one master
// reaching each other; L2-only; the default master; the MAC sources; CHECK catching a wrong
// mode; bad input leaving nothing behind; DEL after the namespace vanished; and a differential
// run against the reference /usr/lib/cni/macvlan (results modulo MAC, kernel state alike).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "src/netlink/addr.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/route.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "mvnet";
constexpr std::string_view kMaster = "mvm0";
constexpr std::string_view kRefDir = "/usr/lib/cni";

class MacvlanTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    addNodeUplink(kMaster, "mvpeer0");
    node_links_ = links(node()).size();
  }

  std::string conf(std::string_view version, std::string_view extra = R"(,"master":"mvm0")",
                   std::string_view net = kNet, bool ipam = true) const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(net) + R"(","type":"macvlan")" + std::string(extra);
    if (ipam) {
      c += R"(,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.98.0.0/24"}]],)"
           R"("routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" +
           dataDir() + R"("})";
    }
    return c + "}";
  }

  size_t node_links_ = 0;
};

class MacvlanVersions : public MacvlanTest,
                        public ::testing::WithParamInterface<std::string_view> {};

TEST_P(MacvlanVersions, AddCheckDelDel) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  const std::string c = conf(version, R"(,"master":"mvm0","mode":"bridge","mtu":1400)");
  Json r = add("macvlan", pod.path(), "ctr1", c);
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0) << r.dump();
  EXPECT_EQ(eth0->kind, "macvlan");
  EXPECT_EQ(eth0->mtu, 1400u);
  EXPECT_TRUE(eth0->isUp());
  EXPECT_EQ(addrs(pod, "eth0"), std::vector<std::string>{"10.98.0.2/24"});
  bool has_default = false;
  for (const auto& rt : routes(pod)) {
    has_default = has_default || (rt.isDefault() && rt.gateway && rt.gateway->str() == "10.98.0.1");
  }
  EXPECT_TRUE(has_default);
  if (*spec::versionAtLeast(version, "0.3.0")) {
    ASSERT_EQ(r["interfaces"].size(), 1u) << r.dump();
    EXPECT_EQ(r["interfaces"][0]["name"], "eth0");
    EXPECT_EQ(r["interfaces"][0]["mac"], eth0->macString());
    EXPECT_EQ(r["interfaces"][0]["sandbox"], pod.path());
    EXPECT_EQ(r["ips"][0]["interface"], 0);
    EXPECT_EQ(r["ips"][0]["address"], "10.98.0.2/24");
  } else {
    EXPECT_EQ(r["ip4"]["ip"], "10.98.0.2/24") << r.dump();
  }
  // The node namespace gained nothing: the link was created in the pod.
  EXPECT_EQ(links(node()).size(), node_links_);
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("macvlan", "CHECK", pod.path(), "ctr1", withPrev(c, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome o = call("macvlan", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  EXPECT_EQ(call("macvlan", "DEL", "", "ctr1", c).exit_code, 0);
  expectPodEmpty(pod);
  EXPECT_TRUE(leasedIps(kNet).empty());
  EXPECT_TRUE(link(node(), kMaster));
}

INSTANTIATE_TEST_SUITE_P(Versions, MacvlanVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(MacvlanTest, TwoPodsOnOneMasterReachEachOther) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string c = conf("1.1.0");
  add("macvlan", a.path(), "ctr-a", c);
  add("macvlan", b.path(), "ctr-b", c);
  EXPECT_EQ(addrs(b, "eth0"), std::vector<std::string>{"10.98.0.3/24"});
  EXPECT_NE(link(a, "eth0")->macString(), link(b, "eth0")->macString());
  EXPECT_TRUE(ping(a, "10.98.0.3"));
  EXPECT_TRUE(ping(b, "10.98.0.2"));
  EXPECT_EQ(call("macvlan", "DEL", a.path(), "ctr-a", c).exit_code, 0);
  EXPECT_EQ(call("macvlan", "DEL", b.path(), "ctr-b", c).exit_code, 0);
}

TEST_F(MacvlanTest, L2OnlyDefaultMasterAndMacSources) {
  auto& pod = addPod();
  // No master: the node's default route goes through mvm0. No ipam: L2 only.
  setCniArgs("IgnoreUnknown=1;MAC=02:00:00:00:00:01");
  const std::string c =
      conf("1.0.0", R"(,"mode":"private","runtimeConfig":{"mac":"02:00:00:00:00:02"})", kNet,
           /*ipam=*/false);
  Json r = add("macvlan", pod.path(), "ctr1", c);
  auto eth0 = link(pod, "eth0");
  ASSERT_TRUE(eth0) << r.dump();
  EXPECT_TRUE(eth0->isUp());
  EXPECT_EQ(eth0->macString(), "02:00:00:00:00:02");  // runtimeConfig beats CNI_ARGS
  EXPECT_TRUE(addrs(pod, "eth0").empty());
  EXPECT_FALSE(r.contains("ips")) << r.dump();
  EXPECT_EQ(r["interfaces"][0]["mac"], "02:00:00:00:00:02");
  Outcome chk = call("macvlan", "CHECK", pod.path(), "ctr1", withPrev(c, r));
  EXPECT_EQ(chk.exit_code, 0) << chk.out << chk.err;
  // CNI_ARGS alone.
  auto& pod2 = addPod();
  const std::string c2 = conf("1.0.0", "", kNet, false);
  add("macvlan", pod2.path(), "ctr2", c2);
  EXPECT_EQ(link(pod2, "eth0")->macString(), "02:00:00:00:00:01");
  setCniArgs("");
  EXPECT_EQ(call("macvlan", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_EQ(call("macvlan", "DEL", pod2.path(), "ctr2", c2).exit_code, 0);
  expectPodEmpty(pod);
}

TEST_F(MacvlanTest, CheckCatchesAWrongModeAndAMissingAddress) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0");
  Json r = add("macvlan", pod.path(), "ctr1", c);
  Outcome o = call("macvlan", "CHECK", pod.path(), "ctr1",
                   withPrev(conf("1.0.0", R"(,"master":"mvm0","mode":"vepa")"), r));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("container macvlan mode bridge does not match expected value: vepa"),
            std::string::npos)
      << o.out;
  Json bad = r;
  bad["ips"][0]["address"] = "10.98.0.77/24";
  o = call("macvlan", "CHECK", pod.path(), "ctr1", withPrev(c, bad));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("Failed to match addr 10.98.0.77/24 on interface eth0"), std::string::npos)
      << o.out;
  o = call("macvlan", "CHECK", pod.path(), "ctr1", c);
  EXPECT_NE(o.out.find("required prevResult missing"), std::string::npos) << o.out;
  EXPECT_EQ(call("macvlan", "DEL", pod.path(), "ctr1", c).exit_code, 0);
}

TEST_F(MacvlanTest, BadInputChangesNothing) {
  auto& pod = addPod();
  struct Case {
    std::string conf;
    std::string error;
  };
  const Case cases[] = {
      {conf("1.0.0", R"(,"master":"mvm0","mode":"fancy")"), R"(unknown macvlan mode: \"fancy\")"},
      {conf("1.0.0", R"(,"master":"nosuch0")"), "Link not found"},
      {conf("1.0.0", R"(,"master":"mvm0","mtu":9000)"),
       "invalid MTU 9000, must be [0, master MTU(1500)]"},
      {conf("1.0.0", R"(,"master":"mvm0","mac":"zz")"), "invalid args zz for MAC addr"},
      {conf("1.0.0", R"(,"master":7)"),
       "json: cannot unmarshal number into Go struct field NetConf.master of type string"},
  };
  for (const Case& k : cases) {
    Outcome o = call("macvlan", "ADD", pod.path(), "ctr1", k.conf);
    EXPECT_EQ(o.exit_code, 1) << k.conf;
    EXPECT_NE(o.out.find(k.error), std::string::npos) << o.out;
    expectPodEmpty(pod);
    EXPECT_TRUE(leasedIps(kNet).empty());
  }
  // IPAM failing after the link exists: the link is removed again.
  std::string c = conf("1.0.0");
  const std::string good = R"("subnet":"10.98.0.0/24")";
  c.replace(c.find(good), good.size(), R"("subnet":"10.98.0.0/33")");
  Outcome o = call("macvlan", "ADD", pod.path(), "ctr1", c);
  EXPECT_EQ(o.exit_code, 1) << o.out;
  expectPodEmpty(pod);
  EXPECT_EQ(links(node()).size(), node_links_);
}

TEST_F(MacvlanTest, DelAfterTheNamespaceVanished) {
  auto& pod = addPod();
  const std::string c = conf("1.0.0");
  add("macvlan", pod.path(), "ctr1", c);
  const std::string path = pod.path();
  ASSERT_TRUE(netns::NetNs::removeNamed(pod.name()));
  Outcome o = call("macvlan", "DEL", path, "ctr1", c);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_TRUE(leasedIps(kNet).empty());
}

TEST_F(MacvlanTest, MatchesTheReferencePlugin) {
  if (!std::filesystem::exists(std::string(kRefDir) + "/macvlan")) {
    GTEST_SKIP() << "no reference macvlan in " << kRefDir;
  }
  auto& ours = addPod();
  auto& theirs = addPod();
  // Separate networks (and IPAM state) so both get the first address.
  const std::string c_ours = conf("1.0.0", R"(,"master":"mvm0","mtu":1300)", "mvours");
  const std::string c_ref = conf("1.0.0", R"(,"master":"mvm0","mtu":1300)", "mvref");
  Outcome a = call("macvlan", "ADD", ours.path(), "ctr1", c_ours);
  Outcome b = call("macvlan", "ADD", theirs.path(), "ctr1", c_ref, "eth0", kRefDir);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  const Json ja = *spec::parseJson(a.out, "ours");
  const Json jb = *spec::parseJson(b.out, "reference");
  Json na = ja, nb = jb;  // modulo the MAC and the namespace path
  na["interfaces"][0].erase("mac");
  nb["interfaces"][0].erase("mac");
  na["interfaces"][0]["sandbox"] = nb["interfaces"][0]["sandbox"];
  EXPECT_EQ(na, nb) << a.out << "\n" << b.out;
  // Kernel state alike: kind, MTU, up, addresses, routes.
  auto la = link(ours, "eth0");
  auto lb = link(theirs, "eth0");
  ASSERT_TRUE(la && lb);
  EXPECT_EQ(la->kind, lb->kind);
  EXPECT_EQ(la->mtu, lb->mtu);
  EXPECT_EQ(la->isUp(), lb->isUp());
  EXPECT_EQ(addrs(ours, "eth0"), addrs(theirs, "eth0"));
  auto route_text = [&](const testutil::TestNetNs& ns) {
    std::vector<std::string> out;
    for (const auto& r : routes(ns)) {
      out.push_back(r.dst.str() + " via " + (r.gateway ? r.gateway->str() : "-") + " scope " +
                    std::to_string(r.scope));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(route_text(ours), route_text(theirs));
  // The reference's CHECK accepts our pod, ours accepts its own; both DELs clean up alike.
  EXPECT_EQ(call("macvlan", "CHECK", ours.path(), "ctr1", withPrev(c_ours, ja)).exit_code, 0);
  Outcome rc = call("macvlan", "CHECK", ours.path(), "ctr1", withPrev(c_ours, ja), "eth0", kRefDir);
  EXPECT_EQ(rc.exit_code, 0) << rc.out << rc.err;
  EXPECT_EQ(call("macvlan", "DEL", ours.path(), "ctr1", c_ours).exit_code, 0);
  EXPECT_EQ(call("macvlan", "DEL", theirs.path(), "ctr1", c_ref, "eth0", kRefDir).exit_code, 0);
  expectPodEmpty(ours);
  expectPodEmpty(theirs);
}

}  // namespace
}  // namespace cni::plugintest
