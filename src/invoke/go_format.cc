// src/invoke/go_format.cc — Go-compatible renderings used in plugin-execution errors.
#include "src/invoke/go_format.h"

#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace cni::invoke {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not valid
// UTF-8 (overlong forms, surrogates and values above U+10FFFF are invalid, as in Go's utf8).
size_t utf8SequenceLength(std::string_view s, size_t i, uint32_t* rune) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t r = 0;
  uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0;
  *rune = r;
  return n;
}

void appendHex(std::string& out, const char* prefix, uint32_t v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%0*x", prefix, width, v);
  out += buf;
}

// strconv.Quote's two-character escapes, or nullptr.
const char* shortEscape(unsigned char c) {
  constexpr std::string_view kFrom = "\a\b\f\n\r\t\v\\\"";
  constexpr std::array<const char*, 9> kTo = {"\\a", "\\b", "\\f",  "\\n", "\\r",
                                              "\\t", "\\v", "\\\\", "\\\""};
  size_t i = kFrom.find(static_cast<char>(c));
  return i == std::string_view::npos ? nullptr : kTo[i];
}

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

std::string goQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (const char* esc = shortEscape(c)) {
        out += esc;
      } else if (c < 0x20 || c == 0x7F) {
        appendHex(out, "\\x", c, 2);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t n = utf8SequenceLength(s, i, &rune);
    if (n == 0) {
      appendHex(out, "\\x", c, 2);
      ++i;
    } else if (rune < 0xA0 || rune == 0xAD || rune == 0xFEFF) {
      // C1 controls, the soft hyphen and the BOM are not printable for Go: \u escaped.
      appendHex(out, "\\u", rune, 4);
      i += n;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
  return out;
}

std::string goStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += items[i];
  }
  out += ']';
  return out;
}

std::string goErrnoText(int err) {
  std::string t = std::strerror(err);
  // glibc capitalises the first word ("No such file"); Go's table does not.
  if (!t.empty() && t[0] >= 'A' && t[0] <= 'Z' && !(t.size() > 1 && t[1] >= 'A' && t[1] <= 'Z')) {
    t[0] = static_cast<char>(t[0] - 'A' + 'a');
  }
  return t;
}

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
