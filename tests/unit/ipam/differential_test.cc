// tests/unit/ipam/differential_test.cc — our host-local/static against the Go reference
// binaries (/usr/lib/cni), byte for byte: same stdin, same env, separate data dirs; stdout,
// exit status and data-dir contents (names and bytes, our .cnikit-index excluded) must match.
// Also interop on ONE data dir: leases made by either are found and released by the other.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::ipam {
namespace {

namespace fs = std::filesystem;
using testutil::CmdResult;

const std::string kOurDir = std::string(CNIKIT_BINARY_DIR) + "/cni-bin";
constexpr const char* kRefDir = "/usr/lib/cni";

bool haveBinaries(const char* plugin) {
  return fs::exists(std::string(kRefDir) + "/" + plugin) && fs::exists(kOurDir + "/" + plugin);
}

CmdResult exec(const std::string& dir, const std::string& plugin, const std::string& cmd,
               const std::string& cid, const std::string& conf, const std::string& ifname = "eth0",
               const std::string& cni_args = "") {
  return testutil::run(testutil::shellQuote(dir + "/" + plugin),
                       {{"CNI_COMMAND", cmd},
                        {"CNI_CONTAINERID", cid},
                        {"CNI_NETNS", "/var/run/netns/nonexistent"},
                        {"CNI_IFNAME", ifname},
                        {"CNI_PATH", dir},
                        {"CNI_ARGS", cni_args}},
                       conf);
}

// name -> bytes of every file under dir (recursive), skipping our index.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path().filename() == ".cnikit-index") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) {
      out[fs::relative(it->path(), dir).string()] = testutil::readFile(it->path());
    }
  }
  return out;
}

std::string hostLocalConf(const std::string& version, const fs::path& data_dir,
                          const std::string& ipam_extra, const std::string& top_extra = "") {
  return R"({"cniVersion":")" + version + R"(","name":"difnet","type":"ptp",)" + top_extra +
         R"("ipam":{"type":"host-local","dataDir":")" + data_dir.string() + "\"," + ipam_extra +
         "}}";
}

struct Step {
  std::string cmd;
  std::string cid;
  std::string ifname = "eth0";
  std::string cni_args;
};

void runDifferential(const std::string& plugin, const std::string& conf_ref,
                     const std::string& conf_ours, const std::vector<Step>& steps,
                     const fs::path& ref_dir, const fs::path& our_dir) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    CmdResult ref = exec(kRefDir, plugin, s.cmd, s.cid, conf_ref, s.ifname, s.cni_args);
    CmdResult ours = exec(kOurDir, plugin, s.cmd, s.cid, conf_ours, s.ifname, s.cni_args);
    SCOPED_TRACE("step " + std::to_string(i) + " " + s.cmd + " " + s.cid + " " + s.cni_args);
    EXPECT_EQ(ours.out, ref.out);
    EXPECT_EQ(ours.status, ref.status) << ours.err;
    EXPECT_EQ(snapshot(our_dir), snapshot(ref_dir));
  }
}

TEST(HostLocalDifferential, AddDelSequenceMatchesReference) {
  if (!haveBinaries("host-local")) GTEST_SKIP() << "reference or our binary missing";
  for (std::string version : {"0.2.0", "0.3.1", "0.4.0", "1.0.0"}) {
    testutil::TempDir tmp;
    tmp.write("resolv.conf",
              "# c\nnameserver 10.1.1.1\nnameserver 10.1.1.2\ndomain x.org\n"
              "search a.org b.org\noptions ndots:5 rotate\n");
    std::string ranges =
        version == "0.2.0"
            ? R"("ranges":[[{"subnet":"10.77.0.0/29","rangeStart":"10.77.0.3"},{"subnet":"10.78.0.0/30"}],[{"subnet":"fd77::/125","gateway":"fd77::3"}]])"
            : R"("ranges":[[{"subnet":"10.77.0.0/29","rangeStart":"10.77.0.3"},{"subnet":"10.78.0.0/30"}],[{"subnet":"fd77::/125","gateway":"fd77::3"}],[{"subnet":"10.79.0.0/30"}]])";
    std::string extra =
        ranges +
        R"(,"routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.77.0.1"}],"resolvConf":")" +
        (tmp.path() / "resolv.conf").string() + "\"";
    std::string conf_ref = hostLocalConf(version, tmp.path() / "ref", extra);
    std::string conf_ours = hostLocalConf(version, tmp.path() / "ours", extra);
    std::vector<Step> steps;
    for (int i = 0; i < 6; ++i) steps.push_back({"ADD", "c" + std::to_string(i)});
    steps.push_back({"ADD", "c2"});  // duplicate allocation error
    steps.push_back({"DEL", "c1"});
    steps.push_back({"DEL", "c1"});  // idempotent
    steps.push_back({"DEL", "nobody"});
    steps.push_back({"ADD", "c9"});           // round robin continues after last reserved
    steps.push_back({"ADD", "c10", "eth1"});  // range set full / wraps onto c1's old address
    steps.push_back({"ADD", "c11"});
    steps.push_back({"DEL", "c3"});
    steps.push_back({"ADD", "c12", "eth0", "IgnoreUnknown=1;IP=10.77.0.6;K8S_POD_NAME=x"});
    steps.push_back({"ADD", "c13", "eth0", "IP=10.77.0.1"});  // gateway requested
    steps.push_back({"ADD", "c14", "eth0", "IP=10.99.0.1"});  // unmatched request
    steps.push_back({"ADD", "c15", "eth0", "FOO=1"});         // unknown CNI_ARGS
    for (int i = 0; i < 16; ++i) steps.push_back({"DEL", "c" + std::to_string(i)});
    SCOPED_TRACE(version);
    runDifferential("host-local", conf_ref, conf_ours, steps, tmp.path() / "ref",
                    tmp.path() / "ours");
  }
}

TEST(HostLocalDifferential, ConfigErrorsMatchReference) {
  if (!haveBinaries("host-local")) GTEST_SKIP() << "reference or our binary missing";
  testutil::TempDir tmp;
  const std::vector<std::string> bad = {
      R"("ranges":[[{"subnet":"10.0.0.5/24"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/31"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.1.1"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24","rangeEnd":"10.0.1.1"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.9","rangeEnd":"10.0.0.3"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"10.0.0.0/25"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"10.0.0.128/25"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"fd00::/64"}]])",
      R"("ranges":[[]])",
      R"("ranges":[[{"rangeStart":"10.0.0.1"}]])",
      R"("ranges":[[{"subnet":"bogus"}]])",
      R"("ranges":[[{"subnet":"10.0.0.0/24","gateway":"nope"}]])",
      R"("ranges":[])",
      R"("subnet":"10.0.0.0/24","ranges":[[{"subnet":"10.0.0.0/16"}]])",
  };
  for (const std::string& extra : bad) {
    std::string conf = hostLocalConf("0.4.0", tmp.path() / "d", extra);
    CmdResult ref = exec(kRefDir, "host-local", "ADD", "x", conf);
    CmdResult ours = exec(kOurDir, "host-local", "ADD", "x", conf);
    EXPECT_EQ(ours.out, ref.out) << extra;
    EXPECT_NE(ref.status, 0) << extra;
  }
  // Two v4 range sets need 0.3.0.
  std::string two =
      hostLocalConf("0.2.0", tmp.path() / "d",
                    R"("ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"10.1.0.0/24"}]])");
  EXPECT_EQ(exec(kOurDir, "host-local", "ADD", "x", two).out,
            exec(kRefDir, "host-local", "ADD", "x", two).out);
  // No ipam key.
  std::string none = R"({"cniVersion":"0.4.0","name":"n","type":"x"})";
  EXPECT_EQ(exec(kOurDir, "host-local", "ADD", "x", none).out,
            exec(kRefDir, "host-local", "ADD", "x", none).out);
}

TEST(HostLocalDifferential, RuntimeConfigAndArgsMatchReference) {
  if (!haveBinaries("host-local")) GTEST_SKIP() << "reference or our binary missing";
  testutil::TempDir tmp;
  std::string top =
      R"("runtimeConfig":{"ipRanges":[[{"subnet":"10.50.0.0/24"}]],"ips":["10.50.0.9/24"]},)"
      R"("args":{"cni":{"ips":["10.60.0.7"]}},)";
  std::string extra = R"("subnet":"10.60.0.0/24","ranges":[[{"subnet":"10.70.0.0/24"}]])";
  std::string conf_ref = hostLocalConf("1.0.0", tmp.path() / "ref", extra, top);
  std::string conf_ours = hostLocalConf("1.0.0", tmp.path() / "ours", extra, top);
  runDifferential("host-local", conf_ref, conf_ours,
                  {{"ADD", "a"}, {"CHECK", "a"}, {"CHECK", "b"}, {"ADD", "b"}, {"DEL", "a"}},
                  tmp.path() / "ref", tmp.path() / "ours");
}

TEST(HostLocalInterop, LeasesCrossBothWays) {
  if (!haveBinaries("host-local")) GTEST_SKIP() << "reference or our binary missing";
  testutil::TempDir tmp;
  std::string conf =
      hostLocalConf("1.0.0", tmp.path() / "shared",
                    R"("ranges":[[{"subnet":"10.88.0.0/24"}],[{"subnet":"fd88::/64"}]])");
  fs::path net = tmp.path() / "shared" / "difnet";
  // Ours allocates (index built), reference allocates next (index now stale), ours continues.
  ASSERT_EQ(exec(kOurDir, "host-local", "ADD", "o1", conf).status, 0);
  ASSERT_EQ(exec(kRefDir, "host-local", "ADD", "r1", conf).status, 0);
  CmdResult o2 = exec(kOurDir, "host-local", "ADD", "o2", conf);
  ASSERT_EQ(o2.status, 0) << o2.out;
  EXPECT_NE(o2.out.find("10.88.0.4/24"), std::string::npos) << o2.out;
  // Ours sees the reference's lease (duplicate check, CHECK) and releases it.
  EXPECT_NE(exec(kOurDir, "host-local", "ADD", "r1", conf).status, 0);
  EXPECT_EQ(exec(kOurDir, "host-local", "CHECK", "r1", conf).status, 0);
  EXPECT_EQ(exec(kOurDir, "host-local", "DEL", "r1", conf).status, 0);
  EXPECT_FALSE(fs::exists(net / "10.88.0.3"));
  EXPECT_NE(exec(kOurDir, "host-local", "CHECK", "r1", conf).status, 0);
  // The reference sees ours and releases it; ours notices the removal.
  EXPECT_EQ(exec(kRefDir, "host-local", "CHECK", "o2", conf).status, 0);
  EXPECT_EQ(exec(kRefDir, "host-local", "DEL", "o2", conf).status, 0);
  EXPECT_FALSE(fs::exists(net / "10.88.0.4"));
  EXPECT_NE(exec(kOurDir, "host-local", "CHECK", "o2", conf).status, 0);
  // A lease the reference deleted and re-created for someone else is not released by us.
  ASSERT_EQ(exec(kRefDir, "host-local", "DEL", "o1", conf).status, 0);
  ASSERT_EQ(exec(kRefDir, "host-local", "ADD", "r2", conf, "eth0", "IP=10.88.0.2").status, 0);
  EXPECT_EQ(exec(kOurDir, "host-local", "DEL", "o1", conf).status, 0);
  EXPECT_TRUE(fs::exists(net / "10.88.0.2"));
  EXPECT_EQ(exec(kOurDir, "host-local", "DEL", "r2", conf).status, 0);
  auto left = snapshot(net);
  for (const auto& [name, bytes] : left) {
    EXPECT_TRUE(name == "lock" || name.starts_with("last_reserved_ip.")) << name << "=" << bytes;
  }
}

TEST(StaticDifferential, MatchesReference) {
  if (!haveBinaries("static")) GTEST_SKIP() << "reference or our binary missing";
  struct Case {
    std::string conf;
    std::string cni_args;
  };
  const std::string ipam =
      R"("ipam":{"type":"static","addresses":[{"address":"10.10.0.1/24","gateway":"10.10.0.254"},{"address":"3ffe:ffff:0::1/64"}],)"
      R"("routes":[{"dst":"0.0.0.0/0"},{"dst":"3ffe:ffff:0:1::/64","gw":"3ffe:ffff:0::2"}],)"
      R"("dns":{"nameservers":["8.8.8.8"],"domain":"example.com","search":["example.com"]}})";
  std::vector<Case> cases;
  for (std::string v : {"0.1.0", "0.2.0", "0.3.1", "0.4.0", "1.0.0"}) {
    cases.push_back({R"({"cniVersion":")" + v + R"(","name":"s","type":"x",)" + ipam + "}", ""});
    cases.push_back({R"({"cniVersion":")" + v + R"(","name":"s","type":"x",)" + ipam + "}",
                     "IP=10.20.0.5/24,fd20::5/64;GATEWAY=10.20.0.1"});
  }
  std::string v1 = R"({"cniVersion":"1.0.0","name":"s","type":"x",)";
  cases.push_back(
      {v1 + R"("args":{"cni":{"ips":["10.30.0.3/16"]}},)" + ipam + "}", "IP=10.20.0.5/24"});
  cases.push_back(
      {v1 + R"("runtimeConfig":{"ips":["10.40.0.4/8"]},"args":{"cni":{"ips":["10.30.0.3/16"]}},)" +
           ipam + "}",
       ""});
  cases.push_back({v1 + R"("runtimeConfig":{"ips":["10.40.0.4"]},)" + ipam + "}", ""});
  cases.push_back({v1 + ipam + "}", "IP=notacidr"});
  cases.push_back({v1 + ipam + "}", "IP=10.1.1.1/24;GATEWAY=bad"});
  cases.push_back({v1 + ipam + "}", "BOGUS=1"});
  cases.push_back({v1 + R"("ipam":{"type":"static","addresses":[{"address":"10.0.0.1"}]}})", ""});
  cases.push_back({v1 + R"("ipam":{"type":"static"}})", ""});
  cases.push_back(
      {R"({"cniVersion":"0.2.0","name":"s","type":"x","ipam":{"type":"static","addresses":[{"address":"10.0.0.1/24"},{"address":"10.0.1.1/24"}]}})",
       ""});
  cases.push_back({R"({"cniVersion":"1.0.0","name":"s","type":"x"})", ""});
  for (const Case& c : cases) {
    for (std::string cmd : {"ADD", "DEL"}) {
      CmdResult ref = exec(kRefDir, "static", cmd, "c", c.conf, "eth0", c.cni_args);
      CmdResult ours = exec(kOurDir, "static", cmd, "c", c.conf, "eth0", c.cni_args);
      EXPECT_EQ(ours.out, ref.out) << cmd << " " << c.conf << " " << c.cni_args;
      EXPECT_EQ(ours.status, ref.status) << cmd << " " << c.conf << " " << c.cni_args;
    }
  }
}

}  // namespace
}  // namespace cni::ipam
