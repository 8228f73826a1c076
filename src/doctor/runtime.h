// src/doctor/runtime.h — internal to the runtime family of `cnikit doctor` (check_runtime*.cc):
// running the node's own tools (journalctl, kubectl) without a shell and with a hard deadline,
// and the pure parts of the analysis (journal line grouping), exposed for unit tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/doctor/context.h"
#include "src/doctor/report.h"

namespace cni::doctor::runtime {

// What one tool run produced. A run that could not start has spawn_error set.
struct ToolRun {
  std::string out, err;
  int exit_code = -1;       // when it exited by itself
  int signal = 0;           // when a signal ended it
  bool timed_out = false;   // the deadline passed: its whole process group was SIGKILLed
  bool truncated = false;   // stdout reached the cap: the rest was not read, the tool killed
  std::string spawn_error;  // "fork/exec <path>: <errno text>", "pipe2: ..."

  bool ok() const { return spawn_error.empty() && !timed_out && signal == 0 && exit_code == 0; }
  // "exit status 1: <last stderr line>", "timed out after 5s and was killed", ...
  std::string failure(std::chrono::milliseconds timeout) const;
};

// The first executable regular file <dir>/<name> for dir in tool_path (':'-separated; "" =
// the process's $PATH). nullopt when there is none.
std::optional<std::string> findTool(std::string_view name, const std::string& tool_path);

// Runs `path args...` with no shell, stdin /dev/null, a minimal environment (PATH, HOME,
// LC_ALL=C, proxy variables), in its own process group, stdout and stderr captured. When
// `timeout` passes, or stdout exceeds max_stdout, the whole group is SIGKILLed; the child is
// always reaped before returning.
ToolRun runTool(const std::string& path, const std::vector<std::string>& args,
                const std::string& tool_path, std::chrono::milliseconds timeout,
                size_t max_stdout = size_t{64} << 20);

// The per-tool deadline: Options::probe_timeout, 5 s when unset.
std::chrono::milliseconds toolTimeout(const Options& o);
// 3600 -> "1h", 90 -> "90s", 1800 -> "30m", 0.3 s -> "300ms" (Go-like, for messages and flags).
std::string shortDuration(std::chrono::milliseconds d);

// --- journal (check_runtime_journal.cc) ---

// True for a journal line about CNI / pod networking (case-insensitive keyword match).
bool isCniLine(std::string_view line);
// The line with what differs between occurrences of the same failure (klog header,
// timestamps, UUIDs, container/sandbox IDs, IPs, numbers, pod names) replaced by placeholders.
std::string normaliseLine(std::string_view line);

struct JournalGroup {
  std::string key;  // the normalised text
  size_t count = 0;
  std::string first, last;  // raw lines
};
struct JournalScan {
  size_t lines = 0;                  // every non-empty line read
  size_t cni_lines = 0;              // lines kept (about CNI, not merely informational)
  std::vector<JournalGroup> groups;  // most frequent first, then first seen
};
JournalScan scanJournal(std::string_view output);

void checkJournal(const Context& c, Report& r);

// --- Kubernetes (check_runtime_kube.cc) ---

void checkKubernetes(const Context& c, Report& r);

}  // namespace cni::doctor::runtime
