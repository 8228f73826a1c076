// tests/e2e/bench_smoke_test.cc — the benchmark harness (bench/) still works: a few pods of
// each mode, both plugin sets, real namespaces. Timing figures are not asserted (that is the
// benchmark's job, on an idle machine); what is asserted is that every row the report needs is
// there with numbers on both sides, that the floor program's own correctness checks pass, and
// that nothing is left behind (namespaces, leases: bench-pods fails on leftovers itself).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace cni::e2e {
namespace {

std::string benchBin(const std::string& name) {
  return std::string(CNIKIT_BINARY_DIR) + "/bin/" + name;
}

std::vector<std::vector<std::string>> csvRows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

// Named namespaces left behind by bench-pods runs that have ended. Their names are
// "ckb<pid of bench-pods><scenario>-..."; those of a bench-pods still running (another test of
// this suite, run in parallel by ctest) are not leftovers, and names without the pid (other
// suites' worlds, e.g. the bad-input test's "ckin-...") are not bench-pods' at all.
int benchNamespaces() {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with("ckb")) continue;
    size_t end = 3;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    const std::string pid = name.substr(3, end - 3);
    if (pid.empty()) continue;
    if (!std::filesystem::exists("/proc/" + pid)) ++n;
  }
  return n;
}

class BenchSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    if (!std::filesystem::exists(kReferenceDir + "/bridge")) {
      GTEST_SKIP() << "reference plugins missing (apt-get install containernetworking-plugins)";
    }
    before_ = benchNamespaces();
  }
  void TearDown() override { EXPECT_EQ(benchNamespaces(), before_) << "namespaces left behind"; }

  testutil::CmdResult pods(const std::string& args) {
    return testutil::run(benchBin("bench-pods") + " --ours " + ourPluginDir() + " --ref " +
                         kReferenceDir + " --work " + (dir_.path() / "w").string() + " " + args);
  }

  testutil::TempDir dir_;
  int before_ = 0;
};

TEST_F(BenchSmoke, FloorProgramRunsAndChecksItself) {
  for (std::string kind : {"bridge", "ptp"}) {
    auto r = testutil::run(benchBin("bench-floor") + " --kind " + kind + " --pods 3 --parallel 2");
    ASSERT_EQ(r.status, 0) << kind << ": " << r.err;
    int add = 0, del = 0;
    std::istringstream in(r.out);
    for (std::string op, i, ns; in >> op >> i >> ns;) {
      EXPECT_GT(std::stol(ns), 0) << op << " " << i;
      (op == "ADD" ? add : del) += 1;
    }
    EXPECT_EQ(add, 3) << kind;
    EXPECT_EQ(del, 3) << kind;
  }
}

TEST_F(BenchSmoke, ChainScenarioReportsBothSystemsAgainstTheFloor) {
  auto floor = testutil::run(benchBin("bench-floor") + " --kind bridge --pods 2 > " +
                             (dir_.path() / "floor").string());
  ASSERT_EQ(floor.status, 0) << floor.err;
  auto r =
      pods("pods --scenario b --pods 2 --parallel 2 --floor " + (dir_.path() / "floor").string());
  ASSERT_EQ(r.status, 0) << r.err;
  bool add_median = false, overhead = false, bridge_rss = false, portmap_exec = false;
  for (const auto& c : csvRows(r.out)) {
    ASSERT_EQ(c.size(), 9u) << r.out;
    if (c[0] == "pods" && c[2] == "ADD median") {
      add_median = true;
      EXPECT_GT(std::stod(c[4]), 0);  // cnikit
      EXPECT_GT(std::stod(c[5]), 0);  // reference
      EXPECT_FALSE(c[6].empty());     // ratio
      EXPECT_GT(std::stod(c[7]), 0);  // floor
    }
    if (c[0] == "runtime" && c[2].starts_with("libcnikit per ADD")) overhead = true;
    if (c[0] == "plugins" && c[2] == "portmap ADD exec (median)") portmap_exec = true;
    if (c[0] == "rss" && c[2] == "bridge ADD private (anon) RSS at exit") {
      bridge_rss = true;
      EXPECT_GT(std::stod(c[4]), 0);
      EXPECT_GT(std::stod(c[5]), 0);
    }
  }
  EXPECT_TRUE(add_median && overhead && bridge_rss && portmap_exec) << r.out;
}

TEST_F(BenchSmoke, ExecDiskAndHostLocalRows) {
  auto r = pods("--header disk");
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = csvRows(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "section");
  EXPECT_GT(std::stod(rows[1][5]), std::stod(rows[1][4])) << "reference set is the bigger one";

  r = pods("version --runs 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("exec,VERSION (exec floor); every plugin,median,ms,"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("rss,VERSION,bridge peak RSS,MiB,"), std::string::npos);

  r = pods("host-local --counts 10,200 --ops 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("host-local,200 reservations on disk,DEL median,ms,"), std::string::npos)
      << r.out;
}

// Every Google Benchmark micro-benchmark runs to the end (each aborts on a broken fixture, such
// as a lease index it did not expect) and lands in the CSV run.sh reads.
TEST_F(BenchSmoke, MicroBenchmarksAllRun) {
  auto list = testutil::run(benchBin("bench-micro") + " --benchmark_list_tests");
  ASSERT_EQ(list.status, 0) << list.err;
  const size_t listed = csvRows(list.out).size();
  ASSERT_GT(listed, 10u) << list.out;
  auto r =
      testutil::run(benchBin("bench-micro") + " --benchmark_min_time=0.001 --benchmark_format=csv");
  ASSERT_EQ(r.status, 0) << r.err;
  size_t ran = 0;
  for (const auto& c : csvRows(r.out)) {
    if (c.size() < 5 || !c[0].starts_with("\"BM_")) continue;
    ++ran;
    EXPECT_GT(std::stod(c[3]), 0) << c[0];  // real_time
  }
  EXPECT_EQ(ran, listed) << r.out << r.err;
}

}  // namespace
}  // namespace cni::e2e
