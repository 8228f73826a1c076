// tests/unit/invoke/child_process_test.cc — the process runner under RawExec, on both exit-
// tracking paths (pidfd, and the waitid() polling used on kernels without pidfd).
#include "src/invoke/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>

#include "tests/unit/invoke/fake_plugins.h"

namespace cni::invoke::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ChildProcessTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { fds_before_ = testing::countOpenFds(); }
  void TearDown() override {
    EXPECT_EQ(testing::countOpenFds(), fds_before_) << "file descriptor leak";
    EXPECT_TRUE(testing::noChildrenLeft()) << "unreaped child process";
  }
  ProcessOptions opts(std::chrono::milliseconds timeout = 0ms) const {
    ProcessOptions o;
    o.use_pidfd = GetParam();
    if (timeout.count() > 0) {
      o.deadline = Clock::now() + timeout;
      o.own_process_group = true;
    }
    return o;
  }

  testing::FakePlugins plugins_;
  int fds_before_ = 0;
};

TEST_P(ChildProcessTest, CapturesBothStreamsAndStatus) {
  auto p = plugins_.add("p", "cat; echo e >&2; exit 7");
  auto r = runProcess(p, "in", {}, opts());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->stdout_data, "in");
  EXPECT_EQ(r->stderr_data, "e\n");
  ASSERT_TRUE(WIFEXITED(r->wait_status));
  EXPECT_EQ(WEXITSTATUS(r->wait_status), 7);
  EXPECT_FALSE(r->timed_out);
}

TEST_P(ChildProcessTest, ExitAfterClosingOutputsIsNoticed) {
  // Both pipes hit EOF long before the exit: only exit tracking can end the wait.
  auto p = plugins_.add("p", "exec >&- 2>&-; sleep 0.3; exit 4");
  auto start = Clock::now();
  auto r = runProcess(p, "", {}, opts());
  ASSERT_TRUE(r);
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_EQ(WEXITSTATUS(r->wait_status), 4);
}

TEST_P(ChildProcessTest, DeadlineKillsTheGroup) {
  auto p = plugins_.add("p", "exec >&- 2>&-; sleep 1000 & wait");
  auto start = Clock::now();
  auto r = runProcess(p, "", {}, opts(200ms));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(Clock::now() - start, 3s);
  ASSERT_TRUE(WIFSIGNALED(r->wait_status));
  EXPECT_EQ(WTERMSIG(r->wait_status), SIGKILL);
}

TEST_P(ChildProcessTest, SpawnFailureReportsErrno) {
  auto r = runProcess(plugins_.path("missing"), "x", {}, opts());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, "fork/exec " + plugins_.path("missing"));
  EXPECT_EQ(r.error().err, ENOENT);
}

TEST_P(ChildProcessTest, ArgumentsFollowThePath) {
  auto p = plugins_.add("p", "printf '%s|' \"$0\" \"$@\"");
  ProcessOptions o = opts();
  o.args = {"one", "two words", ""};
  auto r = runProcess(p, "", {}, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->stdout_data, p + "|one|two words||");
}

TEST_P(ChildProcessTest, StdoutOverTheCapIsCutAndTheGroupKilled) {
  auto p = plugins_.add("p", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done");
  ProcessOptions o = opts(10s);
  o.max_stdout = 100000;
  auto start = Clock::now();
  auto r = runProcess(p, "", {}, o);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->truncated);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->stdout_data.size(), 100000u);
  EXPECT_LT(Clock::now() - start, 5s);
  ASSERT_TRUE(WIFSIGNALED(r->wait_status));
  EXPECT_EQ(WTERMSIG(r->wait_status), SIGKILL);
}

TEST_P(ChildProcessTest, EnvironmentIsExactlyTheGivenOne) {
  ASSERT_EQ(::setenv("CNIKIT_CHILD_PROCESS_TEST", "ours", 1), 0);
  auto p = plugins_.add("p", "env");
  auto r = runProcess(p, "", {"A=1", "B=two words"}, opts());
  ::unsetenv("CNIKIT_CHILD_PROCESS_TEST");
  ASSERT_TRUE(r);
  auto seen = testing::lines(r->stdout_data);
  EXPECT_NE(std::find(seen.begin(), seen.end(), "A=1"), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), "B=two words"), seen.end());
  EXPECT_EQ(std::find(seen.begin(), seen.end(), "CNIKIT_CHILD_PROCESS_TEST=ours"), seen.end());
}

TEST_P(ChildProcessTest, ChildStartsWithDefaultSigpipeAndEmptyMask) {
  // Even when the runtime ignores SIGPIPE and blocks signals, the plugin must not inherit that:
  // `yes | head` style pipelines in plugins rely on SIGPIPE terminating the writer.
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ign, &old), 0);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  // Builtins only: a forked helper would sample the shell mid-fork, with everything blocked.
  auto p = plugins_.add("p", R"(while read -r k v; do
  case $k in SigBlk:|SigIgn:) echo "$k $v" ;; esac
done < /proc/$$/status)");
  auto r = runProcess(p, "", {}, opts());
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(r);
  // SigBlk must be all zero; SigIgn must not have bit 13 (SIGPIPE = 0x1000).
  auto lines = testing::lines(r->stdout_data);
  ASSERT_EQ(lines.size(), 2u) << r->stdout_data;
  EXPECT_EQ(lines[0], "SigBlk: 0000000000000000");
  unsigned long long ign_mask = std::stoull(lines[1].substr(lines[1].find(' ') + 1), nullptr, 16);
  EXPECT_EQ(ign_mask & (1ull << (SIGPIPE - 1)), 0u);
}

INSTANTIATE_TEST_SUITE_P(ExitTracking, ChildProcessTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "pidfd" : "waitid_polling"; });

}  // namespace
}  // namespace cni::invoke::detail
