// src/doctor/check_runtime.cc — the runtime side of a node (see doctor.h): what the kubelet and
// the container runtime logged about CNI, and the CNI DaemonSet pod of this node. Both sources
// are optional: a node without journald or without a kubeconfig is recorded as skipped.
//
// This file holds the family's entry point and the tool runner both sources share. The runner
// is ours rather than src/invoke's runProcess because that one has no argv (plugins take none)
// and feeds stdin from a pipe; the contract is otherwise the same: no shell, no inherited fds,
// a hard deadline that kills the whole process group, the child always reaped.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "src/common/unique_fd.h"
#include "src/doctor/doctor.h"
#include "src/doctor/runtime.h"
#include "src/invoke/find.h"

namespace cni::doctor {
namespace runtime {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The child's dup2() onto 0-2 must never clobber another of our descriptors, which happens when
// this process runs with stdio closed and pipe2 hands out 0-2.
UniqueFd aboveStdio(int fd) {
  UniqueFd owned(fd);
  if (fd > STDERR_FILENO || fd < 0) return owned;
  return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
}

bool makePipe(UniqueFd& r, UniqueFd& w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  r = aboveStdio(fds[0]);
  w = aboveStdio(fds[1]);
  if (!r || !w) return false;
  int fl = ::fcntl(r.get(), F_GETFL);
  return fl >= 0 && ::fcntl(r.get(), F_SETFL, fl | O_NONBLOCK) == 0;
}

// Reads what is available; false once the stream is at EOF (or broken).
bool drain(int fd, std::string& sink) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      sink.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::vector<std::string> toolEnv(const std::string& tool_path) {
  const char* path = std::getenv("PATH");
  std::string base = path && *path ? path : kDefaultPath;
  // Tools found in tool_path may call helpers (kubectl's credential plugins) from there too.
  std::vector<std::string> env = {"PATH=" + (tool_path.empty() ? base : tool_path + ":" + base),
                                  "LC_ALL=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=cat"};
  // kubectl keeps its discovery cache under $HOME and may need the node's proxy settings to
  // reach the API server; nothing else of ours is the tool's business.
  for (const char* k :
       {"HOME", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"}) {
    if (const char* v = std::getenv(k)) env.push_back(std::string(k) + "=" + v);
  }
  return env;
}

void killGroup(pid_t pid) {
  // Not reaped yet, so neither the pid nor the group id can have been reused.
  (void)::kill(-pid, SIGKILL);
  (void)::kill(pid, SIGKILL);
}

}  // namespace

std::string ToolRun::failure(std::chrono::milliseconds timeout) const {
  if (!spawn_error.empty()) return spawn_error;
  if (timed_out) return "timed out after " + shortDuration(timeout) + " and was killed";
  std::string s = signal != 0 ? "killed by signal " + std::string(::strsignal(signal))
                              : "exit status " + std::to_string(exit_code);
  // The last line: kubectl logs klog lines first and ends with its summary ("The connection to
  // the server ... was refused", "Error from server (Forbidden): ...").
  std::string_view text(err);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (size_t nl = text.rfind('\n'); nl != text.npos) text.remove_prefix(nl + 1);
  if (!text.empty()) s += ": " + std::string(text);
  return s;
}

std::optional<std::string> findTool(std::string_view name, const std::string& tool_path) {
  std::string dirs = tool_path;
  if (dirs.empty()) {
    const char* p = std::getenv("PATH");
    dirs = p && *p ? p : kDefaultPath;
  }
  for (const std::string& dir : invoke::splitPath(dirs)) {
    std::string candidate = dir + "/" + std::string(name);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

ToolRun runTool(const std::string& path, const std::vector<std::string>& args,
                const std::string& tool_path, std::chrono::milliseconds timeout,
                size_t max_stdout) {
  ToolRun run;
  const auto deadline = Clock::now() + timeout;
  UniqueFd devnull = aboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd out_r, out_w, err_r, err_w;
  if (!devnull || !makePipe(out_r, out_w) || !makePipe(err_r, err_w)) {
    run.spawn_error = "pipe: " + std::string(std::strerror(errno));
    return run;
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_adddup2(&actions, devnull.get(), STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, out_w.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, err_w.get(), STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  ::posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  // Own process group: on timeout the tool and everything it started die together.
  ::posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setsigmask(&attr, &empty);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<std::string> env = toolEnv(tool_path);
  std::vector<char*> argv = {const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int e = ::posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (e != 0) {
    run.spawn_error = "posix_spawn " + path + ": " + std::strerror(e);
    return run;
  }
  out_w.reset();  // ours must go, or EOF never comes
  err_w.reset();
  devnull.reset();

  bool killed = false;
  auto msLeft = [&] {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
  };
  while ((out_r || err_r) && !killed) {
    int ms = msLeft();
    if (ms <= 0) {
      killGroup(pid);
      killed = run.timed_out = true;
      break;
    }
    pollfd pfds[2];
    int n = 0, oi = -1, ei = -1;
    if (out_r) oi = n, pfds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r) ei = n, pfds[n++] = {err_r.get(), POLLIN, 0};
    if (::poll(pfds, static_cast<nfds_t>(n), ms) < 0) {
      if (errno == EINTR) continue;
      run.spawn_error = "poll: " + std::string(std::strerror(errno));
      killGroup(pid);
      killed = true;
      break;
    }
    if (oi >= 0 && pfds[oi].revents != 0 && !drain(out_r.get(), run.out)) out_r.reset();
    if (ei >= 0 && pfds[ei].revents != 0 && !drain(err_r.get(), run.err)) err_r.reset();
    if (run.out.size() > max_stdout) {
      run.out.resize(max_stdout);
      killGroup(pid);
      killed = run.truncated = true;
    }
  }
  // Both streams are closed (or we gave up on them): the tool is exiting, or it closed its
  // output and lingers; the deadline still applies.
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      run.spawn_error = "waitpid: " + std::string(std::strerror(errno));
      return run;
    }
    if (w == 0) {
      if (msLeft() <= 0) {
        killGroup(pid);
        killed = run.timed_out = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

std::chrono::milliseconds toolTimeout(const Options& o) {
  return o.probe_timeout.count() > 0 ? o.probe_timeout : std::chrono::milliseconds(5000);
}

std::string shortDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  long long s = ms / 1000;
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace runtime

void checkRuntime(const Context& c, Report& r) {
  if (c.opts.offline || !c.opts.runtime_checks) {
    const std::string why = c.opts.offline ? "offline: inspecting files, not a running node"
                                           : "runtime checks disabled (--no-runtime)";
    r.addSource({.name = "journal", .ran = false, .detail = why});
    r.addSource({.name = "kubernetes", .ran = false, .detail = why});
    return;
  }
  // Both sources mostly wait on their tools: run them side by side.
  std::jthread kube([&] { runtime::checkKubernetes(c, r); });
  runtime::checkJournal(c, r);
}

}  // namespace cni::doctor
