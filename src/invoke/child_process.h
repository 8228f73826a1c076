// src/invoke/child_process.h — run one program to completion with piped stdin/stdout/stderr.
//
// Internal to the invoke module (RawExec builds the CNI semantics on top), and the runner of the
// node tools `cnikit doctor` asks (src/doctor/check_runtime.cc). The parent feeds stdin
// and drains stdout and stderr concurrently in one poll(2) loop, so no amount of output on either
// stream, and no plugin that reads stdin slowly or not at all, can deadlock it.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cni::invoke::detail {

struct ProcessOutput {
  std::string stdout_data;
  std::string stderr_data;
  int wait_status = 0;     // as from waitpid(2)
  bool timed_out = false;  // the deadline passed; the process (group) was SIGKILLed
  bool truncated = false;  // stdout passed max_stdout; the rest was not read, the child killed
  // What the child consumed, from wait4(2): its peak resident set and CPU time. Runtimes export
  // these per plugin (and bench/ reports them side by side with the reference plugins).
  long max_rss_kib = 0;
  std::chrono::microseconds user_cpu{0};
  std::chrono::microseconds system_cpu{0};
};

// A system call that failed: `op` names it Go-style ("fork/exec /x", "pipe2"), `err` is errno.
struct ProcessError {
  std::string op;
  int err = 0;
};

struct ProcessOptions {
  // Absolute deadline; when it passes the child is killed with SIGKILL. nullopt: wait forever.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Start the child in its own process group and kill the whole group on timeout, so helpers it
  // forked (which may hold our pipes open) die with it.
  bool own_process_group = false;
  // Track exit with a pidfd (Linux >= 5.3). false forces the fallback used on older kernels,
  // polling waitid(WNOWAIT) every 10 ms; tests use it to cover that path.
  bool use_pidfd = true;
  // argv[1..] (plugins take none; the doctor's journalctl/kubectl do).
  std::vector<std::string> args;
  // Stop reading stdout beyond this many bytes and kill the child (group); 0 = no limit.
  size_t max_stdout = 0;
};

// Spawns `path` (argv = {path, opts.args...}) with environment `env`. Always reaps the child before
// returning; every descriptor it opened is closed again. The child gets only fds 0-2, an empty
// signal mask and SIGPIPE at its default disposition. SIGPIPE raised in this thread by writing to a
// plugin that exited without reading its stdin is swallowed.
std::expected<ProcessOutput, ProcessError> runProcess(const std::string& path,
                                                      std::string_view stdin_data,
                                                      const std::vector<std::string>& env,
                                                      const ProcessOptions& opts);

}  // namespace cni::invoke::detail
