// tests/testutil/run.h — run a shell command and capture its output and exit status.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>

namespace cni::testutil {

struct CmdResult {
  int status = -1;  // exit status, or 128+signal
  std::string out, err;
};

// Runs `/bin/sh -c cmd` with the current environment plus `env` (overriding), stdin from
// `input`. Output of any size is captured (files, not pipes, so nothing can deadlock).
CmdResult run(const std::string& cmd, const std::map<std::string, std::string>& env = {},
              const std::string& input = "");

// In a forked child before exec: stdin from `in`, stdout and stderr to `out` and `err` (created
// 0600, truncated). Only open(2) and dup2(2), so it is safe after fork() in a threaded process;
// false if a file cannot be opened (the caller _exits).
bool redirectStdio(const char* in, const char* out, const char* err);

// Single-quotes s for /bin/sh.
std::string shellQuote(const std::string& s);

// Whether `pid` no longer runs: gone, or a zombie waiting for its (new) parent. For children a
// killed plugin left behind, found by a pid file (never by name: another test may run the same
// command at the same time).
bool processGone(pid_t pid);

// processGone, polled every 10 ms until `limit` (testutil::waitUntil).
bool waitGone(pid_t pid, std::chrono::milliseconds limit);

}  // namespace cni::testutil
