// tests/netns/sbr_test.cc — the sbr meta plugin chained after ptp (ptp's ADD result as its
// prevResult): the per-IP source rules and tables, traffic still flowing, DEL removing what ADD
// made, a fixed table, bad input, and a differential run against the Go reference
// (/usr/lib/cni/sbr) on two identically built pods (states compared with the pod IP masked).
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <filesystem>

#include "src/netlink/rule.h"
#include "src/netlink/socket.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"
#include "tests/testutil/run.h"

namespace cni::plugintest {
namespace {

constexpr std::string_view kNet = "sbrnet";
constexpr std::string_view kRefDir = "/usr/lib/cni";

class SbrTest : public NodeWorld {
 protected:
  std::string ptpConf(std::string_view version, bool dual = false) const {
    const std::string ranges = dual ? R"([[{"subnet":"10.96.0.0/24"}],[{"subnet":"fd96::/64"}]])"
                                    : R"([[{"subnet":"10.96.0.0/24"}]])";
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(kNet) +
           R"(","type":"ptp","ipam":{"type":"host-local","ranges":)" + ranges +
           R"(,"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + dataDir() + R"("}})";
  }
  std::string conf(std::string_view version, const Json& prev, std::string_view extra = "") const {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"sbr")";
    if (!extra.empty()) c += "," + std::string(extra);
    if (!prev.is_null()) c += R"(,"prevResult":)" + prev.dump();
    return c + "}";
  }
  // "from <src> lookup <table>" for every rule with a source, sorted.
  std::vector<std::string> rules(const testutil::TestNetNs& ns) const {
    auto r = ns.run([]() -> Expected<std::vector<std::string>> {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      std::vector<std::string> out;
      for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
        CNI_ASSIGN_OR_RETURN(auto rs, netlink::listRules(s, f));
        for (const auto& rule : rs) {
          if (rule.src)
            out.push_back("from " + rule.src->str() + " lookup " + std::to_string(rule.table));
        }
      }
      std::sort(out.begin(), out.end());
      return out;
    });
    EXPECT_TRUE(r) << r.error().toString();
    return r ? *r : std::vector<std::string>{};
  }
  // Routes of a table (all families) as "dst via gw src S scope N", sorted.
  std::vector<std::string> tableRoutes(const testutil::TestNetNs& ns, uint32_t table) const {
    std::vector<std::string> out;
    auto all = ns.run([table]() -> Expected<std::vector<netlink::Route>> {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      return netlink::listRoutes(s, {.table = table});
    });
    EXPECT_TRUE(all) << all.error().toString();
    for (const auto& r : all.value_or(std::vector<netlink::Route>{})) {
      if (r.table != table) continue;
      if (r.dst.isV6() && r.dst.address().bytes()[0] == 0xff) continue;  // multicast
      std::string s = r.dst.str();
      if (r.gateway) s += " via " + r.gateway->str();
      if (r.src) s += " src " + r.src->str();
      s += " scope " + std::to_string(r.scope);
      out.push_back(s);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> podState(const testutil::TestNetNs& ns) const {
    std::vector<std::string> s = rules(ns);
    for (uint32_t t : {100u, 101u, 102u, 254u}) {
      for (const auto& r : tableRoutes(ns, t)) s.push_back(std::to_string(t) + ": " + r);
    }
    return s;
  }
};

class SbrVersions : public SbrTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(SbrVersions, AddCheckDelDel) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf(version));
  const std::string c = conf(version, prev);
  Json r = add("sbr", pod.path(), "ctr1", c);
  EXPECT_EQ(r, prev) << r.dump();  // passthrough

  EXPECT_EQ(rules(pod), std::vector<std::string>{"from 10.96.0.2/32 lookup 100"});
  const std::vector<std::string> t100 = {
      "0.0.0.0/0 via 10.96.0.1 scope 0", "10.96.0.0/24 via 10.96.0.1 src 10.96.0.2 scope 0",
      "10.96.0.1/32 src 10.96.0.2 scope 253",
      "fe80::/64 scope 0",  // source- and gateway-less: copied for every IP, as the reference
  };
  EXPECT_EQ(tableRoutes(pod, 100), t100);
  EXPECT_TRUE(tableRoutes(pod, RT_TABLE_MAIN).empty());
  // Traffic from the pod address leaves through table 100 (source-less traffic has no route
  // left in main, as with the reference).
  EXPECT_EQ(testutil::run("ip netns exec " + pod.name() +
                          " ping -c1 -W1 -I 10.96.0.2 10.96.0.1 >/dev/null 2>&1")
                .status,
            0);

  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("sbr", "CHECK", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 0) << o.out;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome o = call("sbr", "DEL", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  EXPECT_TRUE(rules(pod).empty());
  EXPECT_TRUE(tableRoutes(pod, 100).empty());
  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("sbr", "CHECK", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_NE(o.out.find("no source routing rule for 10.96.0.2"), std::string::npos) << o.out;
  }
  EXPECT_EQ(call("ptp", "DEL", pod.path(), "ctr1", ptpConf(version)).exit_code, 0);
  EXPECT_EQ(call("sbr", "DEL", pod.path(), "ctr1", c).exit_code, 0);  // link gone
  EXPECT_EQ(call("sbr", "DEL", "", "ctr1", c).exit_code, 0);          // no netns
}

INSTANTIATE_TEST_SUITE_P(Versions, SbrVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(SbrTest, DualStackGetsOneTablePerAddress) {
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf("1.0.0", true));
  const std::string c = conf("1.0.0", prev);
  add("sbr", pod.path(), "ctr1", c);
  EXPECT_EQ(rules(pod), (std::vector<std::string>{"from 10.96.0.2/32 lookup 100",
                                                  "from fd96::2/128 lookup 101"}));
  auto t101 = tableRoutes(pod, 101);
  EXPECT_NE(std::find(t101.begin(), t101.end(), "::/0 via fd96::1 scope 0"), t101.end())
      << ::testing::PrintToString(t101);
  EXPECT_EQ(call("sbr", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_TRUE(rules(pod).empty());
  EXPECT_TRUE(tableRoutes(pod, 100).empty());
  EXPECT_TRUE(tableRoutes(pod, 101).empty());
}

TEST_F(SbrTest, FixedTableOnlyAddsRules) {
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf("1.0.0"));
  const auto main_before = tableRoutes(pod, RT_TABLE_MAIN);
  const std::string c = conf("1.0.0", prev, R"("table":200)");
  add("sbr", pod.path(), "ctr1", c);
  EXPECT_EQ(rules(pod), std::vector<std::string>{"from 10.96.0.2/32 lookup 200"});
  EXPECT_EQ(tableRoutes(pod, RT_TABLE_MAIN), main_before);
  EXPECT_EQ(call("sbr", "DEL", pod.path(), "ctr1", c).exit_code, 0);
  EXPECT_TRUE(rules(pod).empty());
  EXPECT_EQ(tableRoutes(pod, RT_TABLE_MAIN), main_before);
}

TEST_F(SbrTest, BadInput) {
  auto& pod = addPod();
  Json prev = add("ptp", pod.path(), "ctr1", ptpConf("1.0.0"));
  Outcome o = call("sbr", "ADD", pod.path(), "ctr1", conf("1.0.0", Json()));
  EXPECT_EQ(o.out,
            "{\n    \"code\": 999,\n    \"msg\": \"This plugin must be called as chained "
            "plugin\"\n}");
  Json no_ips = prev;
  no_ips.erase("ips");
  o = call("sbr", "ADD", pod.path(), "ctr1", conf("1.0.0", no_ips));
  EXPECT_NE(o.out.find("No IP addresses supplied on interface: eth0"), std::string::npos) << o.out;
  o = call("sbr", "ADD", pod.path(), "ctr1",
           conf("1.0.0", prev, R"("gateways":["10.96.0.1","10.96.0.9"])"));
  EXPECT_NE(o.out.find("gateways list contains multiple IPv4 addresses: 10.96.0.1 and 10.96.0.9"),
            std::string::npos)
      << o.out;
  EXPECT_TRUE(rules(pod).empty());  // the gateways are parsed before the first rule
  o = call("sbr", "ADD", pod.path(), "ctr1", conf("1.0.0", prev, R"("table":"x")"));
  EXPECT_NE(o.out.find("failed to parse network configuration: json: cannot unmarshal string "
                       "into Go struct field PluginConf.table of type int"),
            std::string::npos)
      << o.out;
  EXPECT_TRUE(rules(pod).empty());
}

class SbrDiff : public SbrTest, public ::testing::WithParamInterface<std::string_view> {
 protected:
  void SetUp() override {
    SbrTest::SetUp();
    if (IsSkipped()) return;
    if (!std::filesystem::exists(std::string(kRefDir) + "/sbr")) GTEST_SKIP() << "no reference";
  }
  static std::string mask(std::string s, const std::string& from, const std::string& to) {
    for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, from.size(), to);
    return s;
  }
};

TEST_P(SbrDiff, SameOutputAndKernelStateAsTheReference) {
  const std::string_view version = GetParam();
  auto& a = addPod();  // the reference
  auto& b = addPod();  // ours
  Json pa = add("ptp", a.path(), "ctr-a", ptpConf(version, true));
  Json pb = add("ptp", b.path(), "ctr-b", ptpConf(version, true));
  Outcome ref = call("sbr", "ADD", a.path(), "ctr-a", conf(version, pa), "eth0", kRefDir);
  Outcome ours = call("sbr", "ADD", b.path(), "ctr-b", conf(version, pb));
  ASSERT_EQ(ref.exit_code, 0) << ref.out << ref.err;
  ASSERT_EQ(ours.exit_code, 0) << ours.out << ours.err;
  // Same text once each pod's own values are masked.
  auto norm = [](std::string s, const Json& prev, const testutil::TestNetNs& ns) {
    s = mask(s, ns.path(), "NETNS");
    if (prev.contains("interfaces")) {
      for (const auto& i : prev["interfaces"]) {
        if (i.contains("mac")) s = mask(s, i["mac"], "MAC");
        s = mask(s, i["name"], "IF");
      }
    }
    s = mask(s, "10.96.0.2", "POD4");
    s = mask(s, "10.96.0.3", "POD4");
    s = mask(s, "fd96::2", "POD6");
    s = mask(s, "fd96::3", "POD6");
    return s;
  };
  EXPECT_EQ(norm(ours.out, pb, b), norm(ref.out, pa, a));
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
  };
  EXPECT_EQ(norm(joined(podState(b)), pb, b), norm(joined(podState(a)), pa, a));
  Outcome ref_del = call("sbr", "DEL", a.path(), "ctr-a", conf(version, pa), "eth0", kRefDir);
  Outcome our_del = call("sbr", "DEL", b.path(), "ctr-b", conf(version, pb));
  EXPECT_EQ(our_del.exit_code, ref_del.exit_code) << ref_del.out;
  EXPECT_EQ(our_del.out, ref_del.out);
  EXPECT_EQ(rules(b), rules(a));
  EXPECT_TRUE(rules(b).empty());
  // Errors.
  // (An empty prevResult object: Go's 1.0 creator lists [1.0.0], ours [1.0.0 1.1.0].)
  const std::vector<std::string> errs = {conf(version, Json())};
  for (const std::string& c : errs) {
    Outcome r = call("sbr", "ADD", a.path(), "ctr-a", c, "eth0", kRefDir);
    Outcome o = call("sbr", "ADD", b.path(), "ctr-b", c);
    EXPECT_EQ(o.exit_code, r.exit_code) << c;
    EXPECT_EQ(o.out, r.out) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, SbrDiff, ::testing::Values("0.3.1", "0.4.0", "1.0.0"),
                         versionTestName);

}  // namespace
}  // namespace cni::plugintest
