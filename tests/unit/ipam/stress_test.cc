// tests/unit/ipam/stress_test.cc — 8 processes x 100 ADD/DEL cycles of our host-local binary on
// one data dir (a /27 and a /123: constant contention and wrap-around). Every worker claims each
// address it is given in a shared claims directory with O_EXCL: a failed claim means two live
// attachments hold the same IP. At the end no lease may be left.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::ipam {
namespace {

namespace fs = std::filesystem;

constexpr int kWorkers = 8;
constexpr int kCycles = 100;

// Returns the number of problems this worker saw (exit status of the child).
int worker(int id, const std::string& bin, const std::string& conf, const fs::path& claims) {
  int problems = 0;
  std::regex addr_re("\"address\": \"([0-9a-f:.]+)/");
  for (int c = 0; c < kCycles; ++c) {
    std::string cid = "w" + std::to_string(id) + "-" + std::to_string(c);
    std::map<std::string, std::string> env = {{"CNI_COMMAND", "ADD"},
                                              {"CNI_CONTAINERID", cid},
                                              {"CNI_NETNS", "/nonexistent"},
                                              {"CNI_IFNAME", "eth0"},
                                              {"CNI_PATH", "/"}};
    auto add = testutil::run(bin, env, conf);
    if (add.status != 0) {
      ++problems;
      continue;
    }
    std::vector<std::string> ips;
    for (std::sregex_iterator it(add.out.begin(), add.out.end(), addr_re), end; it != end; ++it) {
      ips.push_back((*it)[1]);
    }
    if (ips.size() != 2) ++problems;
    for (const auto& ip : ips) {
      int fd = ::open((claims / ip).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
      if (fd < 0) {
        ++problems;  // someone else holds this address right now
      } else {
        ::close(fd);
      }
    }
    for (const auto& ip : ips) ::unlink((claims / ip).c_str());  // before DEL frees it
    env["CNI_COMMAND"] = "DEL";
    if (testutil::run(bin, env, conf).status != 0) ++problems;
  }
  return problems;
}

TEST(HostLocalStress, ParallelAddDelNoDuplicatesNoLeftovers) {
  std::string bin = std::string(CNIKIT_BINARY_DIR) + "/cni-bin/host-local";
  if (!fs::exists(bin)) GTEST_SKIP() << "build the cni-bin target first";
  testutil::TempDir tmp;
  fs::create_directories(tmp.path() / "claims");
  std::string conf =
      R"({"cniVersion":"1.0.0","name":"stress","type":"x","ipam":{"type":"host-local","dataDir":")" +
      (tmp.path() / "data").string() +
      R"(","ranges":[[{"subnet":"10.123.0.0/27"}],[{"subnet":"fd12::/123"}]]}})";
  std::vector<pid_t> pids;
  for (int w = 0; w < kWorkers; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(std::min(worker(w, bin, conf, tmp.path() / "claims"), 100));
    pids.push_back(pid);
  }
  int problems = 0;
  for (pid_t pid : pids) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    problems += WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
  }
  EXPECT_EQ(problems, 0);
  for (const auto& e : fs::directory_iterator(tmp.path() / "data" / "stress")) {
    std::string n = e.path().filename();
    EXPECT_TRUE(n == "lock" || n == ".cnikit-index" || n.starts_with("last_reserved_ip."))
        << "leftover " << n;
  }
  // The index must agree: no entries left beside the stamp.
  for (const auto& e : fs::directory_iterator(tmp.path() / "data" / "stress" / ".cnikit-index")) {
    EXPECT_EQ(e.path().filename(), "stamp");
  }
}

}  // namespace
}  // namespace cni::ipam
