// tests/unit/doctor/conf_test.cc — config-directory scenarios: each broken node gets exactly
// the findings (check id, severity, evidence with line:column) and exit code it should.
#include <gtest/gtest.h>

#include "tests/unit/doctor/broken_node.h"

namespace cni::doctortest {
namespace {

using doctor::Severity;

TEST(DoctorConf, HealthyNodeHasNoFinding) {
  BrokenNode n;
  n.conf("10-podnet.conflist", bridgeConflist());
  // What other CNI software keeps there on purpose is not worth a finding.
  n.conf("cni.lock", "");
  n.conf("calico-kubeconfig", "apiVersion: v1\n");
  n.installOurPlugins();
  auto r = BrokenNode::diagnose(n.options());
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  EXPECT_EQ(r.exitCode(), 0);
}

TEST(DoctorConf, MissingDirIsAnError) {
  BrokenNode n;
  auto o = n.options();
  o.conf_dir = n.root() + "/nope";
  auto r = BrokenNode::diagnose(o);
  auto f = findingsOf(r, "conf.dir-missing");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, o.conf_dir);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorConf, EmptyDirListsWhatIsThereAndIsAnError) {
  BrokenNode n;
  n.conf("10-podnet.conflist.bak", bridgeConflist());
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "conf.empty");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].path, n.confDir() + "/10-podnet.conflist.bak");
  EXPECT_NE(f[0].evidence[0].value.find("\".bak\""), std::string::npos);
  auto ign = findingsOf(r, "conf.ignored");
  ASSERT_EQ(ign.size(), 1u);
  EXPECT_EQ(ign[0].severity, Severity::kInfo);
  EXPECT_NE(ign[0].fix.find("backup"), std::string::npos);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorConf, JsonSyntaxErrorHasLineAndColumn) {
  BrokenNode n;
  n.installOurPlugins();
  // Line 3 has a trailing comma before the closing brace of the object on line 4.
  auto bad =
      n.conf("05-broken.conflist", "{\n  \"cniVersion\": \"1.0.0\",\n  \"name\": \"x\",\n}\n");
  n.conf("10-podnet.conflist", bridgeConflist());
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "conf.json-syntax");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].subject, bad);
  // Strict runtimes (containerd) stop at this file: an error, not a warning.
  EXPECT_EQ(f[0].severity, Severity::kError);
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_EQ(f[0].evidence[0].line, 4);
  EXPECT_EQ(f[0].evidence[0].column, 1);
  // ...and the two policies disagree on the active network.
  auto d = findingsOf(r, "conf.policy-disagreement");
  ASSERT_EQ(d.size(), 1u) << describe(r);
  EXPECT_NE(d[0].message.find("10-podnet.conflist"), std::string::npos);
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorConf, BrokenFileAfterTheActiveOneIsOnlyAWarning) {
  BrokenNode n;
  n.installOurPlugins();
  n.conf("10-podnet.conflist", bridgeConflist());
  n.conf("20-later.conflist", "{\"cniVersion\": \"1.0.0\", \"plugins\": [{\"type\": \"bridge\"}]}");
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "conf.missing-name");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_TRUE(findingsOf(r, "conf.policy-disagreement").empty());
  EXPECT_EQ(r.exitCode(), 1);
}

TEST(DoctorConf, ListSavedAsConfAndEmptyPluginsAndEmptyFile) {
  BrokenNode n;
  n.installOurPlugins();
  n.conf("10-podnet.conflist", bridgeConflist());
  n.conf("30-list.conf", bridgeConflist("other"));
  n.conf("40-noplugins.conflist", R"({"cniVersion":"1.0.0","name":"np","plugins":[]})");
  n.conf("50-empty.conf", "");
  auto r = BrokenNode::diagnose(n.options());
  auto t = findingsOf(r, "conf.missing-type");
  ASSERT_EQ(t.size(), 1u) << describe(r);
  EXPECT_NE(t[0].fix.find("rename it to .conflist"), std::string::npos);
  auto p = findingsOf(r, "conf.missing-plugins");
  ASSERT_EQ(p.size(), 1u) << describe(r);
  EXPECT_EQ(p[0].evidence[0].line, 1);
  EXPECT_EQ(p[0].evidence[0].column, 35);  // the "plugins" key
  EXPECT_EQ(findingsOf(r, "conf.empty-file").size(), 1u) << describe(r);
}

TEST(DoctorConf, StrayFileShadowingTheRealConfigIsAWarning) {
  BrokenNode n;
  n.installOurPlugins();
  n.conf("00-test.conflist", bridgeConflist("scratch", "cni9", "10.99.0.0/24"), -7200);
  auto real = n.conf("10-podnet.conflist", bridgeConflist());
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "conf.shadowed");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, real);
  EXPECT_NE(f[0].fix.find("00-test.conflist"), std::string::npos);
}

TEST(DoctorConf, OlderShadowedConfigIsOnlyInfo) {
  BrokenNode n;
  n.installOurPlugins();
  n.conf("10-podnet.conflist", bridgeConflist());
  n.conf("20-other.conflist", bridgeConflist("other", "cni1", "10.23.0.0/24"), -7200);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "conf.shadowed");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_EQ(r.exitCode(), 0);
}

TEST(DoctorConf, DuplicateNetworkName) {
  BrokenNode n;
  n.installOurPlugins();
  n.conf("10-podnet.conflist", bridgeConflist(), -7200);
  auto dup = n.conf("20-podnet-copy.conflist", bridgeConflist(), -7200);
  auto r = BrokenNode::diagnose(n.options());
  auto f = findingsOf(r, "conf.duplicate-name");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].subject, dup);
  EXPECT_EQ(f[0].evidence.size(), 2u);
}

TEST(DoctorConf, InvalidNameAndUnknownVersionOfTheActiveNetworkAreErrors) {
  BrokenNode n;
  n.installOurPlugins();
  n.conf("10-podnet.conflist",
         R"({"cniVersion": "9.9.9", "name": "bad name!", "plugins": [{"type": "loopback"}]})");
  auto r = BrokenNode::diagnose(n.options());
  auto name = findingsOf(r, "conf.invalid-name");
  ASSERT_EQ(name.size(), 1u) << describe(r);
  EXPECT_EQ(name[0].severity, Severity::kError);
  EXPECT_EQ(name[0].evidence[0].line, 1);
  EXPECT_EQ(name[0].evidence[0].column, 25);  // the "name" key
  auto ver = findingsOf(r, "conf.unsupported-version");
  ASSERT_EQ(ver.size(), 1u) << describe(r);
  EXPECT_EQ(ver[0].severity, Severity::kError);
  EXPECT_EQ(r.exitCode(), 2);
}

}  // namespace
}  // namespace cni::doctortest
