// fuzz/fuzz_util.h — what the libFuzzer targets share: input slicing and invariant checks.
//
// An invariant break is a bug we want a crash report for: FUZZ_CHECK prints what broke (with
// the values involved) and aborts, which libFuzzer reports like any other crash and saves the
// input. Expected failures (bad input rejected with an Error) are never crashes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include "src/common/error.h"

namespace cni::fuzz {

[[noreturn]] inline void invariantBroken(const char* file, int line, const char* cond,
                                         std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n%.*s\n", file, line, cond,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// FUZZ_CHECK(cond, detail): detail is anything convertible to std::string_view.
#define FUZZ_CHECK(cond, detail)                                                  \
  do {                                                                            \
    if (!(cond)) ::cni::fuzz::invariantBroken(__FILE__, __LINE__, #cond, detail); \
  } while (0)

// The error of a failed call must carry one of `codes` and a message.
inline void checkError(const Error& e, std::initializer_list<ErrorCode> codes, const char* what) {
  bool known = false;
  for (ErrorCode c : codes) known = known || e.code == c;
  FUZZ_CHECK(known, std::string(what) + ": unexpected code " + std::to_string(e.codeValue()) +
                        ": " + e.msg);
  FUZZ_CHECK(!e.msg.empty(), std::string(what) + ": error without a message");
}

// Reads the input front to back: a few bytes of choices, then the rest as one or more texts.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next byte (0 when the input is exhausted).
  uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  // The text up to the next `sep` (consumed), or everything that is left.
  std::string_view until(char sep) {
    const size_t at = rest_.find(sep);
    std::string_view out = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
    return out;
  }

  std::string_view rest() {
    std::string_view out = rest_;
    rest_ = {};
    return out;
  }

 private:
  std::string_view rest_;
};

}  // namespace cni::fuzz
