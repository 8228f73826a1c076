// tests/unit/invoke/raw_exec_test.cc — RawExec against shell-script fake plugins: output and
// error decoding, big concurrent I/O, SIGPIPE, timeouts with process-group kill, ETXTBSY retry,
// environment, and process/fd hygiene (no zombies, no leaked descriptors).
#include "src/invoke/raw_exec.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "src/common/unique_fd.h"
#include "src/invoke/args.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/invoke/fake_plugins.h"

namespace cni::invoke {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::countOpenFds;
using testing::FakePlugins;
using testing::lines;
using testing::noChildrenLeft;

class RawExecTest : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = countOpenFds(); }
  void TearDown() override {
    EXPECT_EQ(countOpenFds(), fds_before_) << "file descriptor leak";
    EXPECT_TRUE(noChildrenLeft()) << "unreaped child process";
  }

  // A RawExec whose successful-run stderr lands in captured_stderr_.
  RawExec capturing(RawExecOptions opts = {}) {
    opts.stderr_sink = [this](std::string_view s) { captured_stderr_ += s; };
    return RawExec(std::move(opts));
  }

  static std::vector<std::string> env(std::string command = "ADD") {
    Args a;
    a.command = std::move(command);
    return buildEnv(a);
  }

  FakePlugins plugins_;
  std::string captured_stderr_;
  int fds_before_ = 0;
};

TEST_F(RawExecTest, SuccessReturnsStdoutAndForwardsStderr) {
  auto p = plugins_.add("ok", R"(cat > "$(dirname "$0")/stdin.seen"
echo "log: $CNI_COMMAND" >&2
printf '{"cniVersion":"1.1.0"}')");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, R"({"name":"n"})", env());
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, R"({"cniVersion":"1.1.0"})");
  EXPECT_EQ(captured_stderr_, "log: ADD\n");
  EXPECT_EQ(cni::testutil::readFile(plugins_.path("stdin.seen")), R"({"name":"n"})");
}

TEST_F(RawExecTest, OnExitReportsWhatEachProcessCost) {
  // The shell holds 32 MiB in a variable: its peak RSS must show it; the small one must not.
  auto big = plugins_.add("big", R"(x=$(head -c 33554432 /dev/zero | tr '\0' a); echo ${#x})");
  auto small = plugins_.add("small", "exit 3");
  std::vector<std::pair<std::string, ExecStats>> seen;
  std::vector<std::string> commands;  // the views in ExecStats live only during the call
  RawExecOptions o;
  o.on_exit = [&](const ExecStats& s) {
    seen.emplace_back(std::string(s.plugin_path), s);
    commands.emplace_back(s.command);
  };
  RawExec ex = capturing(o);
  const auto t0 = Clock::now();
  auto out = ex.execPlugin(big, "", env("VERSION"));
  const auto took = Clock::now() - t0;
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, "33554432\n");
  EXPECT_FALSE(ex.execPlugin(small, "", env("DEL")));  // failures are reported too
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, big);
  EXPECT_EQ(commands[0], "VERSION");
  EXPECT_GT(seen[0].second.max_rss_kib, 32 * 1024);
  EXPECT_GT(seen[0].second.wall.count(), 0);
  EXPECT_LE(seen[0].second.wall, took);
  EXPECT_GT(seen[0].second.user_cpu + seen[0].second.system_cpu, 0us);
  EXPECT_EQ(commands[1], "DEL");
  EXPECT_LT(seen[1].second.max_rss_kib, 32 * 1024);
  EXPECT_TRUE(WIFEXITED(seen[1].second.wait_status));
  EXPECT_EQ(WEXITSTATUS(seen[1].second.wait_status), 3);
}

TEST_F(RawExecTest, DefaultSinkWritesPluginStderrToOurs) {
  auto p = plugins_.add("chatty", "echo 'from plugin' >&2; echo out");
  RawExec ex;
  ::testing::internal::CaptureStderr();
  auto out = ex.execPlugin(p, "", env());
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "out\n");
  EXPECT_EQ(err, "from plugin\n");
}

TEST_F(RawExecTest, SinkNotCalledWithoutStderr) {
  auto p = plugins_.add("quiet", "echo out");
  bool called = false;
  RawExecOptions o;
  o.stderr_sink = [&](std::string_view) { called = true; };
  RawExec ex(o);
  ASSERT_TRUE(ex.execPlugin(p, "", env()));
  EXPECT_FALSE(called);
}

TEST_F(RawExecTest, ArgvZeroIsThePluginPath) {
  // Multi-call plugin binaries dispatch on argv[0], exactly as Go's exec.Command sets it.
  auto p = plugins_.add("argv0", R"(printf '%s|%s' "$0" "$#")");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, p + "|0");
}

TEST_F(RawExecTest, JsonErrorOnStdoutIsReturnedVerbatim) {
  auto p = plugins_.add("jsonerr", R"(echo 'ignored diagnostics' >&2
printf '{\n    "code": 7,\n    "msg": "invalid config",\n    "details": "mtu too big"\n}'
exit 1)");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "{}", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(out.error().msg, "invalid config");
  EXPECT_EQ(out.error().details, "mtu too big");
  EXPECT_EQ(captured_stderr_, "") << "stderr must not be forwarded on failure";
}

TEST_F(RawExecTest, JsonErrorWithPluginSpecificCode) {
  auto p = plugins_.add("code", R"(printf '{"code":120,"msg":"custom"}'; exit 1)");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().codeValue(), 120u);
  EXPECT_EQ(out.error().toString(), "custom");
}

TEST_F(RawExecTest, GarbageStdoutIsReportedWithParseError) {
  auto p = plugins_.add("garbage", "echo 'not json'; echo 'stderr text' >&2; exit 1");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kUnknown);
  const std::string prefix =
      "netplugin failed but error parsing its diagnostic message \"not json\\n\": ";
  EXPECT_TRUE(out.error().msg.starts_with(prefix)) << out.error().msg;
  EXPECT_GT(out.error().msg.size(), prefix.size()) << "parse error text missing";
}

TEST_F(RawExecTest, StderrOnlyFailureQuotesStderr) {
  auto p = plugins_.add("stderronly", R"(printf 'boom "x"\n' >&2; exit 3)");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kUnknown);
  EXPECT_EQ(out.error().msg, R"(netplugin failed: "boom \"x\"\n": exit status 3)");
}

TEST_F(RawExecTest, SilentFailure) {
  auto p = plugins_.add("silent", "exit 2");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().msg, "netplugin failed with no error message: exit status 2");
}

TEST_F(RawExecTest, KilledBySignalNamesTheSignal) {
  auto p = plugins_.add("killed", "kill -KILL $$");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().msg, "netplugin failed with no error message: signal: killed");

  p = plugins_.add("terminated", "echo dying >&2; kill -TERM $$");
  out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().msg, R"(netplugin failed: "dying\n": signal: terminated)");
}

TEST_F(RawExecTest, NullStdoutDecodesToEmptyErrorLikeGo) {
  auto p = plugins_.add("null", "printf null; exit 1");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kUnknown);
  EXPECT_EQ(out.error().msg, "");
}

TEST_F(RawExecTest, MissingAndUnexecutablePlugins) {
  RawExec ex = capturing();
  const std::string missing = plugins_.path("does-not-exist");
  auto out = ex.execPlugin(missing, "", env());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().msg, "netplugin failed with no error message: fork/exec " + missing +
                                 ": no such file or directory");

  auto noexec = plugins_.dir().write("noexec", "#!/bin/sh\necho hi\n", 0644).string();
  out = ex.execPlugin(noexec, "", env());
  ASSERT_FALSE(out);
  // execve(2) needs an execute bit even for root.
  EXPECT_EQ(out.error().msg,
            "netplugin failed with no error message: fork/exec " + noexec + ": permission denied");
}

TEST_F(RawExecTest, MegabytesOnBothStreamsWhileIgnoringMegabyteStdin) {
  // 16 x 64 KiB to stdout and to stderr, interleaved, never reading stdin: a runtime that writes
  // stdin first or reads the streams one after the other deadlocks here.
  auto p = plugins_.add("flood", R"(i=0
while [ $i -lt 16 ]; do
  head -c 65536 /dev/zero | tr '\0' 'o'
  head -c 65536 /dev/zero | tr '\0' 'e' >&2
  i=$((i+1))
done)");
  const std::string big_stdin(1 << 20, 'i');
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, big_stdin, env());
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(out->size(), 1u << 20);
  EXPECT_EQ(std::count(out->begin(), out->end(), 'o'), 1 << 20);
  EXPECT_EQ(captured_stderr_.size(), 1u << 20);
  EXPECT_EQ(std::count(captured_stderr_.begin(), captured_stderr_.end(), 'e'), 1 << 20);
}

TEST_F(RawExecTest, EchoesMegabyteStdinRoundTrip) {
  // cat writes while we still write: stdin and stdout must be serviced concurrently.
  auto p = plugins_.add("echo", "cat; cat /dev/null >&2");
  std::string data;
  for (int i = 0; i < (1 << 20) / 16; ++i) data += "0123456789abcdef";
  data[12345] = '\0';  // binary-safe
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, data, env());
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_TRUE(*out == data);
}

TEST_F(RawExecTest, SlowStdinReaderGetsEverything) {
  auto p = plugins_.add("slow", R"(head -c 1000 > /dev/null; sleep 0.2; wc -c)");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, std::string(300000, 'x'), env());
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(std::stoul(*out), 300000u - 1000u);
}

TEST_F(RawExecTest, PluginClosingStdinEarlyDoesNotRaiseSigpipe) {
  // If SIGPIPE reached us this test binary would die. It must also not stay pending or blocked.
  auto p = plugins_.add("nostdin", "exec 0<&-; sleep 0.1; echo done");
  sigset_t before;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &before), 0);
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, std::string(4 << 20, 'x'), env());
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, "done\n");
  sigset_t after, pending;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
  EXPECT_EQ(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST_F(RawExecTest, ExitingWithoutReadingStdin) {
  auto p = plugins_.add("exit0", "exit 0");
  RawExec ex = capturing();
  for (int i = 0; i < 20; ++i) {
    auto out = ex.execPlugin(p, std::string(256 << 10, 'x'), env());
    ASSERT_TRUE(out) << out.error().toString();
    EXPECT_EQ(*out, "");
  }
}

TEST_F(RawExecTest, TimeoutKillsPluginAndItsChildren) {
  auto p = plugins_.add("hang", R"(sleep 1000 &
echo $! > "$(dirname "$0")/child.pid"
echo started >&2
wait)");
  RawExecOptions o;
  // Long enough that the shell has always written the pid and "started" before the kill.
  o.timeout = 1500ms;
  RawExec ex = capturing(o);
  auto start = Clock::now();
  auto out = ex.execPlugin(p, "{}", env());
  auto took = Clock::now() - start;
  ASSERT_FALSE(out);
  EXPECT_GE(took, 1500ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(out.error().msg, "netplugin \"" + p + "\" timed out after 1.5s and was killed");
  EXPECT_EQ(out.error().details, "started");
  pid_t child = static_cast<pid_t>(std::stol(cni::testutil::readFile(plugins_.path("child.pid"))));
  EXPECT_TRUE(cni::testutil::waitGone(child, 2s)) << "the plugin's child " << child << " survived";
}

TEST_F(RawExecTest, TimeoutWhenPluginClosedItsOutputs) {
  // No pipe activity at all: only the deadline (and process-exit tracking) can end this.
  auto p = plugins_.add("closed", "exec >&- 2>&- <&-; sleep 1000");
  RawExecOptions o;
  o.timeout = 200ms;
  RawExec ex = capturing(o);
  auto start = Clock::now();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_TRUE(out.error().msg.find("timed out after 200ms") != std::string::npos);
}

TEST_F(RawExecTest, BackgroundHelperHoldingStdoutIsKilledAtTimeout) {
  // The plugin itself exits 0 at once but leaves a helper holding stdout open; without a
  // timeout Go would wait for EOF forever. With one, the whole group dies at the deadline.
  auto p = plugins_.add("daemonish", R"(sleep 1000 &
echo $! > "$(dirname "$0")/helper.pid"
echo result
exit 0)");
  RawExecOptions o;
  o.timeout = 1500ms;  // the shell has written helper.pid by then
  RawExec ex = capturing(o);
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_TRUE(out.error().msg.find("timed out") != std::string::npos);
  pid_t helper =
      static_cast<pid_t>(std::stol(cni::testutil::readFile(plugins_.path("helper.pid"))));
  EXPECT_TRUE(cni::testutil::waitGone(helper, 2s));
}

TEST_F(RawExecTest, FastPluginUnderTimeoutSucceeds) {
  auto p = plugins_.add("fast", "cat");
  RawExecOptions o;
  o.timeout = 5s;
  RawExec ex = capturing(o);
  auto out = ex.execPlugin(p, "abc", env());
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, "abc");
}

TEST_F(RawExecTest, RetriesWhileTheBinaryIsBusy) {
  auto p = plugins_.add("busy", "echo ran");
  int writer = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  std::thread releaser([writer] {
    std::this_thread::sleep_for(250ms);
    ::close(writer);
  });
  RawExecOptions o;
  o.text_busy_delay = 100ms;
  RawExec ex = capturing(o);
  auto start = Clock::now();
  auto out = ex.execPlugin(p, "", env());
  auto took = Clock::now() - start;
  releaser.join();
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, "ran\n");
  // At least one retry delay: the first attempt hit ETXTBSY (the releaser thread may start
  // late on a loaded machine, so no more than that is certain).
  EXPECT_GE(took, 100ms) << "the first attempt should have hit ETXTBSY";
}

TEST_F(RawExecTest, GivesUpAfterConfiguredAttempts) {
  auto p = plugins_.add("busy", "echo ran");
  cni::UniqueFd writer(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer);
  RawExecOptions o;
  o.text_busy_attempts = 3;
  o.text_busy_delay = 50ms;
  RawExec ex = capturing(o);
  auto start = Clock::now();
  auto out = ex.execPlugin(p, "", env());
  auto took = Clock::now() - start;
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().msg,
            "netplugin failed with no error message: fork/exec " + p + ": text file busy");
  EXPECT_GE(took, 100ms);  // two sleeps between three attempts
  EXPECT_LT(took, 2s);
}

TEST_F(RawExecTest, BusyRetriesRespectTheTimeout) {
  auto p = plugins_.add("busy", "echo ran");
  cni::UniqueFd writer(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer);
  RawExecOptions o;
  o.timeout = 150ms;  // default retry delay (1 s) would exceed it
  RawExec ex = capturing(o);
  auto start = Clock::now();
  auto out = ex.execPlugin(p, "", env());
  ASSERT_FALSE(out);
  EXPECT_LT(Clock::now() - start, 2s);  // not 1 s per retry
  EXPECT_TRUE(out.error().msg.find("timed out after 150ms") != std::string::npos);
}

TEST_F(RawExecTest, PluginSeesExactlyTheGivenEnvironment) {
  auto p = plugins_.add("env", "env");
  ASSERT_EQ(::setenv("CNIKIT_RUNTIME_ONLY", "1", 1), 0);
  ASSERT_EQ(::setenv("CNI_COMMAND", "STALE", 1), 0);
  Args a;
  a.command = "CHECK";
  a.container_id = "c1";
  a.netns = "/run/netns/t";
  a.ifname = "eth9";
  a.plugin_args = "K=V;A=B";
  a.path = "/x:/y";
  auto full = buildEnv(a);
  ::unsetenv("CNI_COMMAND");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", full);
  ASSERT_TRUE(out) << out.error().toString();
  auto seen = lines(*out);
  auto has = [&](const std::string& e) {
    return std::find(seen.begin(), seen.end(), e) != seen.end();
  };
  EXPECT_TRUE(has("CNIKIT_RUNTIME_ONLY=1")) << "runtime environment must be inherited";
  EXPECT_TRUE(has("CNI_COMMAND=CHECK"));
  EXPECT_FALSE(has("CNI_COMMAND=STALE"));
  EXPECT_TRUE(has("CNI_CONTAINERID=c1"));
  EXPECT_TRUE(has("CNI_NETNS=/run/netns/t"));
  EXPECT_TRUE(has("CNI_IFNAME=eth9"));
  EXPECT_TRUE(has("CNI_ARGS=K=V;A=B"));
  EXPECT_TRUE(has("CNI_PATH=/x:/y"));

  // And nothing but what we pass: an explicit small environment is not merged with ours.
  out = ex.execPlugin(p, "", {"ONLY=this", "CNI_COMMAND=ADD"});
  ::unsetenv("CNIKIT_RUNTIME_ONLY");
  ASSERT_TRUE(out);
  seen = lines(*out);
  EXPECT_TRUE(has("ONLY=this"));
  EXPECT_FALSE(has("CNIKIT_RUNTIME_ONLY=1"));
}

TEST_F(RawExecTest, PluginInheritsNoStrayDescriptors) {
  // An fd opened without O_CLOEXEC by someone else in the runtime must not reach the plugin.
  // (dash keeps its script on fd 10+, so the stray goes far above; `ls` lists the shell's fds
  // from a separate process, so its own directory fd does not show up.)
  cni::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(devnull);
  int stray = ::fcntl(devnull.get(), F_DUPFD, 60);  // F_DUPFD: deliberately no O_CLOEXEC
  ASSERT_GE(stray, 60);
  auto p = plugins_.add("fds", "ls /proc/$$/fd");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "", env());
  ::close(stray);
  ASSERT_TRUE(out) << out.error().toString();
  for (const std::string& fd : lines(*out)) {
    int n = std::stoi(fd);
    EXPECT_TRUE(n <= 2 || (n >= 10 && n != stray)) << "fd " << n << " open in the plugin";
  }
}

TEST_F(RawExecTest, WorksWithStdioClosed) {
  // A daemonised runtime may run with fd 0 closed: our pipes then get low numbers and must not
  // be clobbered when the child's stdio is set up.
  int saved = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 10);
  ASSERT_GE(saved, 0);
  ::close(STDIN_FILENO);
  auto p = plugins_.add("cat", "cat; echo err >&2");
  RawExec ex = capturing();
  auto out = ex.execPlugin(p, "payload", env());
  ASSERT_EQ(::dup2(saved, STDIN_FILENO), STDIN_FILENO);
  ::close(saved);
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, "payload");
  EXPECT_EQ(captured_stderr_, "err\n");
}

TEST_F(RawExecTest, ManyRunsLeakNothing) {
  // The fixture's TearDown compares fd counts and checks for zombies after all of these.
  auto ok = plugins_.add("ok", "cat");
  auto bad = plugins_.add("bad", "echo x >&2; exit 1");
  auto hang = plugins_.add("hang", "sleep 1000");
  RawExecOptions o;
  o.timeout = 2s;
  RawExec ex = capturing(o);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(ex.execPlugin(ok, "in", env()));
    ASSERT_FALSE(ex.execPlugin(bad, "in", env()));
    ASSERT_FALSE(ex.execPlugin(plugins_.path("missing"), "in", env()));
  }
  RawExecOptions quick;
  quick.timeout = 50ms;
  RawExec hq = capturing(quick);
  ASSERT_FALSE(hq.execPlugin(hang, "", env()));
}

TEST_F(RawExecTest, ConcurrentCallsFromSeveralThreads) {
  auto p = plugins_.add("id", R"(read x; echo "$x")");
  RawExec ex(RawExecOptions{.timeout = 10s, .stderr_sink = [](std::string_view) {}});
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string msg = "t" + std::to_string(t) + "i" + std::to_string(i);
        auto out = ex.execPlugin(p, msg + "\n", env());
        if (out && *out == msg + "\n") ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 80);
}

TEST_F(RawExecTest, FindInPathDelegatesToTheFreeFunction) {
  plugins_.add("bridge", "exit 0");
  RawExec ex;
  auto found = ex.findInPath("bridge", {"/nonexistent", plugins_.dir().path().string()});
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, plugins_.path("bridge"));
  EXPECT_FALSE(ex.findInPath("nope", {plugins_.dir().path().string()}));
}

// A plugin SIGKILLed after printing its whole result (issue #7's crash sweeps): the object has
// no code and no msg, so it is no error report. Go decodes it as an empty error (code 0, no
// text); we report the exit status instead, with stderr when there is any.
TEST(PluginFailure, ResultPrintedBeforeAKillIsReportedAsTheKill) {
  const std::string result = R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]})";
  Error e = pluginFailure("signal: killed", result, "");
  EXPECT_EQ(e.code, ErrorCode::kUnknown);
  EXPECT_EQ(e.msg, "netplugin failed with no error message: signal: killed");
  e = pluginFailure("signal: killed", result, "half a log line");
  EXPECT_EQ(e.msg, "netplugin failed: \"half a log line\": signal: killed");
  // A real error object is still returned as the plugin wrote it.
  e = pluginFailure("exit status 1", R"({"code":7,"msg":"bad config"})", "");
  EXPECT_EQ(e.codeValue(), 7u);
  EXPECT_EQ(e.msg, "bad config");
}

}  // namespace
}  // namespace cni::invoke
