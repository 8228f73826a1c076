// src/invoke/go_format.cc — Go-compatible process-state and duration texts (see go_format.h).
#include "src/invoke/go_format.h"

#include <sys/wait.h>

#include <array>
#include <cstdint>

namespace cni::invoke {
namespace {

// Go's signal names on Linux (syscall.signals), which are what os.ProcessState prints.
constexpr std::array<const char*, 32> kSignalNames = {
    nullptr,
    "hangup",
    "interrupt",
    "quit",
    "illegal instruction",
    "trace/breakpoint trap",
    "aborted",
    "bus error",
    "floating point exception",
    "killed",
    "user defined signal 1",
    "segmentation fault",
    "user defined signal 2",
    "broken pipe",
    "alarm clock",
    "terminated",
    "stack fault",
    "child exited",
    "continued",
    "stopped (signal)",
    "stopped",
    "stopped (tty input)",
    "stopped (tty output)",
    "urgent I/O condition",
    "CPU time limit exceeded",
    "file size limit exceeded",
    "virtual timer expired",
    "profiling timer expired",
    "window changed",
    "I/O possible",
    "power failure",
    "bad system call",
};

std::string signalName(int sig) {
  if (sig > 0 && static_cast<size_t>(sig) < kSignalNames.size()) return kSignalNames[sig];
  return "signal " + std::to_string(sig);
}

// "<whole>[.<frac>]" of v/unit with trailing zeros of the fraction dropped (Go's fmtFrac).
std::string fraction(int64_t v, int64_t unit) {
  std::string out = std::to_string(v / unit);
  int64_t rem = v % unit;
  if (rem == 0) return out;
  std::string digits;
  for (int64_t u = unit / 10; u > 0; u /= 10) {
    digits += static_cast<char>('0' + (rem / u) % 10);
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

std::string goWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    std::string out = "signal: " + signalName(WTERMSIG(wait_status));
    if (WCOREDUMP(wait_status)) out += " (core dumped)";
    return out;
  }
  if (WIFSTOPPED(wait_status)) return "stop signal: " + signalName(WSTOPSIG(wait_status));
  return "exit status unknown";
}

std::string goDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns <= 0) return "0s";
  if (ns < 1000) return std::to_string(ns) + "ns";
  if (ns < 1000 * 1000) return fraction(ns, 1000) + "\u00b5s";
  if (ns < 1000 * 1000 * 1000) return fraction(ns, 1000 * 1000) + "ms";
  const int64_t kSecond = 1000 * 1000 * 1000;
  int64_t total_s = ns / kSecond;
  std::string out = fraction(total_s % 60 * kSecond + ns % kSecond, kSecond) + "s";
  int64_t total_m = total_s / 60;
  if (total_m > 0) {
    out = std::to_string(total_m % 60) + "m" + out;
    if (total_m >= 60) out = std::to_string(total_m / 60) + "h" + out;
  }
  return out;
}

}  // namespace cni::invoke
