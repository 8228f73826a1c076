// src/doctor/check_runtime.cc — the runtime side of a node (see doctor.h): what the kubelet and
// the container runtime logged about CNI, and the CNI DaemonSet pod of this node. Both sources
// are optional: a node without journald or without a kubeconfig is recorded as skipped.
//
// This file holds the family's entry point and the tool runner both sources share, a thin layer
// over src/invoke's runProcess (the one that runs plugins): no shell, no inherited fds, a hard
// deadline that kills the whole process group, the child always reaped.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "src/doctor/doctor.h"
#include "src/doctor/runtime.h"
#include "src/invoke/child_process.h"
#include "src/invoke/find.h"

namespace cni::doctor {
namespace runtime {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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
  // stdin is an empty pipe, closed at once: the tool reads EOF, as from /dev/null.
  auto p = invoke::detail::runProcess(path, "", toolEnv(tool_path),
                                      {.deadline = Clock::now() + timeout,
                                       .own_process_group = true,
                                       .args = args,
                                       .max_stdout = max_stdout});
  if (!p) {
    run.spawn_error = p.error().op + ": " + std::strerror(p.error().err);
    return run;
  }
  run.out = std::move(p->stdout_data);
  run.err = std::move(p->stderr_data);
  run.timed_out = p->timed_out;
  run.truncated = p->truncated;
  if (WIFEXITED(p->wait_status)) run.exit_code = WEXITSTATUS(p->wait_status);
  if (WIFSIGNALED(p->wait_status)) run.signal = WTERMSIG(p->wait_status);
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
