// tests/unit/doctor/state_test.cc — result-cache and host-local scenarios: leaked reservations
// are found (and only those), --fix releases exactly them, ranges report how full they are.
//
// A live attachment needs a live network namespace path without root: /proc/self/ns/net is one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/doctor/broken_node.h"

namespace cni::doctortest {
namespace {

using doctor::Severity;
namespace fs = std::filesystem;

constexpr const char* kLive = "/proc/self/ns/net";

class DoctorState : public ::testing::Test {
 protected:
  void SetUp() override {
    n.conf("10-podnet.conflist", bridgeConflist("podnet", "cni0", "10.22.0.0/24"), -7200);
    n.installOurPlugins();
  }
  doctor::Report run() { return BrokenNode::diagnose(n.options()); }
  BrokenNode n;
};

TEST_F(DoctorState, LiveAttachmentsWithTheirLeasesAreHealthy) {
  n.cacheEntry("podnet", "c1", "eth0", kLive, bridgeConflist());
  n.lease("podnet", "10.22.0.2", "c1");
  auto r = run();
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  EXPECT_EQ(r.exitCode(), 0);
}

TEST_F(DoctorState, EmptyCacheFileIsReportedAndRemovedByFix) {
  auto empty = n.cacheFile("podnet-c9-eth0", "");
  auto r = run();
  auto f = findingsOf(r, "state.cache-empty");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, empty);
  ASSERT_TRUE(f[0].repair.has_value());
  EXPECT_EQ(f[0].repair->action, "remove-cache-file");
  EXPECT_EQ(r.exitCode(), 1);

  r.runRepairs(false);  // dry run: listed, nothing changed
  ASSERT_EQ(r.repairs().size(), 1u);
  EXPECT_EQ(r.repairs()[0].status, "planned");
  EXPECT_TRUE(fs::exists(empty));
  r.runRepairs(true);
  EXPECT_EQ(r.repairs()[0].status, "done");
  EXPECT_FALSE(fs::exists(empty));
  EXPECT_EQ(run().exitCode(), 0);
}

TEST_F(DoctorState, FreshEmptyCacheFileIsAWriteInFlight) {
  n.cacheFile("podnet-c9-eth0", "");
  fs::last_write_time(n.cacheDir() + "/results/podnet-c9-eth0", fs::file_time_type::clock::now());
  auto r = run();
  EXPECT_TRUE(findingsOf(r, "state.cache-empty").empty()) << describe(r);
}

TEST_F(DoctorState, CorruptCacheFile) {
  auto bad = n.cacheFile("podnet-c8-eth0", "{\"kind\":\"cniCacheV1\",\"containerId\":");
  auto r = run();
  auto f = findingsOf(r, "state.cache-corrupt");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].subject, bad);
  EXPECT_NE(f[0].evidence[0].value.find("invalid JSON"), std::string::npos);
  EXPECT_FALSE(f[0].repair.has_value());  // may be a live attachment's: never removed by us
}

TEST_F(DoctorState, CachedAttachmentWhoseNamespaceIsGone) {
  auto path =
      n.cacheEntry("podnet", "c7", "eth0", "/run/netns/cnikit-doctor-gone-ns", bridgeConflist());
  auto not_ns = n.root() + "/plain-file";
  std::ofstream(not_ns) << "";
  n.cacheEntry("podnet", "c6", "eth0", not_ns, bridgeConflist());
  auto r = run();
  auto f = findingsOf(r, "state.attachment-stale");
  ASSERT_EQ(f.size(), 2u) << describe(r);
  EXPECT_EQ(f[1].subject, path);
  EXPECT_NE(f[1].evidence[0].value.find("(gone)"), std::string::npos);
  EXPECT_NE(f[0].evidence[0].value.find("(not a namespace)"), std::string::npos);
  EXPECT_NE(f[1].fix.find("`cnikit del podnet /run/netns/cnikit-doctor-gone-ns --container-id c7 "
                          "-i eth0 --conf-dir " +
                          n.confDir() + " --cache-dir " + n.cacheDir() + " --cni-path " +
                          n.binDir() + "`"),
            std::string::npos)
      << f[1].fix;
}

TEST_F(DoctorState, LeakedLeasesAreFoundAndFixReleasesOnlyThem) {
  // Live: cache entry with a live namespace. Young: no entry yet (an ADD in flight).
  n.cacheEntry("podnet", "live", "eth0", kLive, bridgeConflist());
  auto live = n.lease("podnet", "10.22.0.2", "live");
  auto young = n.lease("podnet", "10.22.0.3", "inflight", "eth0", 0);
  // Leaked: no cache entry at all; and a cache entry whose namespace is gone.
  auto orphan = n.lease("podnet", "10.22.0.4", "orphan");
  n.cacheEntry("podnet", "dead", "eth0", "/run/netns/cnikit-doctor-gone-ns", bridgeConflist());
  auto dead = n.lease("podnet", "10.22.0.5", "dead");
  auto r = run();
  auto f = findingsOf(r, "state.lease-leaked");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, n.dataDir() + "/podnet");
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, orphan);
  EXPECT_NE(f[0].evidence[0].value.find("no result-cache entry"), std::string::npos);
  EXPECT_EQ(f[0].evidence[1].path, dead);
  EXPECT_NE(f[0].evidence[1].value.find("is gone"), std::string::npos);
  ASSERT_TRUE(f[0].repair.has_value());
  EXPECT_EQ(f[0].repair->action, "release-lease");

  r.runRepairs(true);
  ASSERT_FALSE(r.repairs().empty());
  for (const auto& rep : r.repairs()) EXPECT_EQ(rep.status, "done") << rep.message;
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(young));
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(findingsOf(run(), "state.lease-leaked").empty());
}

TEST_F(DoctorState, FixKeepsALeaseWhoseAttachmentCameBack) {
  n.cacheEntry("podnet", "live", "eth0", kLive, bridgeConflist());
  auto orphan = n.lease("podnet", "10.22.0.4", "orphan");
  auto r = run();
  ASSERT_EQ(findingsOf(r, "state.lease-leaked").size(), 1u) << describe(r);
  // Between the report and the repair, the runtime finishes an ADD for that container.
  n.cacheEntry("podnet", "orphan", "eth0", kLive, bridgeConflist());
  r.runRepairs(true);
  EXPECT_TRUE(fs::exists(orphan));
}

TEST_F(DoctorState, WithoutAResultCacheNothingIsCalledLeaked) {
  fs::remove_all(n.cacheDir() + "/results");
  n.lease("podnet", "10.22.0.4", "orphan");
  auto r = run();
  EXPECT_TRUE(findingsOf(r, "state.lease-leaked").empty()) << describe(r);
}

TEST_F(DoctorState, FullRangeIsAnErrorAndCountsTheLeaked) {
  BrokenNode m;
  m.installOurPlugins();
  // 10.30.0.0/29: .1 is the gateway, .2-.6 can be handed out: 5 addresses.
  m.conf("10-small.conflist", bridgeConflist("small", "cni0", "10.30.0.0/29"), -7200);
  m.cacheEntry("small", "keep", "eth0", kLive, bridgeConflist("small"));
  m.lease("small", "10.30.0.2", "keep");
  for (int i = 3; i <= 6; ++i)
    m.lease("small", "10.30.0." + std::to_string(i), "gone" + std::to_string(i));
  auto r = BrokenNode::diagnose(m.options());
  auto f = findingsOf(r, "state.range-full");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, "10.30.0.1-10.30.0.6");
  EXPECT_EQ(f[0].evidence[0].value, "5 of 5 addresses reserved (100%), 4 of them leaked");
  EXPECT_EQ(r.exitCode(), 2);
  r.runRepairs(true);
  auto again = BrokenNode::diagnose(m.options());
  EXPECT_TRUE(again.findings().empty()) << describe(again);
}

TEST_F(DoctorState, NearlyFullRangeIsAWarning) {
  BrokenNode m;
  m.installOurPlugins();
  // 10.31.0.0/28: .2-.14 = 13 addresses; 12 live reservations = 92%.
  m.conf("10-mid.conflist", bridgeConflist("mid", "cni0", "10.31.0.0/28"), -7200);
  for (int i = 2; i <= 13; ++i) {
    std::string cid = "c" + std::to_string(i);
    m.cacheEntry("mid", cid, "eth0", kLive, bridgeConflist("mid"));
    m.lease("mid", "10.31.0." + std::to_string(i), cid);
  }
  auto r = BrokenNode::diagnose(m.options());
  auto f = findingsOf(r, "state.range-nearly-full");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].evidence[0].value, "12 of 13 addresses reserved (92%), 0 of them leaked");
  EXPECT_NE(f[0].fix.find("widen the range"), std::string::npos);
}

TEST_F(DoctorState, LeaseInTheConfigsOwnDataDir) {
  BrokenNode m;
  m.installOurPlugins();
  std::string own = m.root() + "/own-data";
  m.conf(
      "10-own.conflist",
      R"({"cniVersion":"1.0.0","name":"own","plugins":[{"type":"bridge","ipam":{"type":"host-local","dataDir":")" +
          own + R"(","subnet":"10.32.0.0/24"}}]})",
      -7200);
  m.cacheEntry("own", "live", "eth0", kLive, "{}");
  fs::create_directories(own + "/own");
  std::ofstream(own + "/own/10.32.0.9") << "orphan\r\neth0";
  fs::last_write_time(own + "/own/10.32.0.9",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto r = BrokenNode::diagnose(m.options());
  auto f = findingsOf(r, "state.lease-leaked");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].subject, own + "/own");
}

}  // namespace
}  // namespace cni::doctortest
