// src/invoke/raw_exec.h — the production Exec: runs plugin binaries (Go invoke.RawExec).
//
// Adds to Go's behaviour an optional timeout (the plugin and its process group are SIGKILLed)
// and a configurable "text file busy" retry delay; error texts are Go's.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/invoke/exec.h"

namespace cni::invoke {

// What one plugin process cost, reported to RawExecOptions::on_exit. The views point into the
// caller's arguments: valid only during the callback.
struct ExecStats {
  std::string_view plugin_path;
  std::string_view command;         // its CNI_COMMAND ("" when the env had none)
  std::chrono::nanoseconds wall{};  // spawn to reap, including feeding stdin and draining output
  long max_rss_kib = 0;             // peak resident set (wait4 ru_maxrss)
  std::chrono::microseconds user_cpu{0};
  std::chrono::microseconds system_cpu{0};
  int wait_status = 0;  // as from waitpid(2)
};

struct RawExecOptions {
  // Whole-call limit including ETXTBSY retries; 0 = none (Go's default). When it passes the
  // plugin's process group is killed and the call fails with
  // `netplugin "<path>" timed out after <d> and was killed`. With a timeout the plugin runs in its
  // own process group (so its helpers die with it); without one it stays in ours, as in Go.
  std::chrono::milliseconds timeout{0};
  // Receives the plugin's stderr after a *successful* run (never called with empty text); on
  // failure stderr goes into the error instead. Unset = write it to our stderr, as Go does. May
  // be called concurrently when one RawExec serves several threads.
  std::function<void(std::string_view)> stderr_sink;
  // exec(2) failing with ETXTBSY (a plugin binary still open for writing, e.g. mid-install) is
  // retried: at most this many attempts, this far apart (Go: 6 attempts, 1 s).
  int text_busy_attempts = 6;
  std::chrono::milliseconds text_busy_delay{1000};
  // Called after every plugin process that ran (whatever its exit status; not for one that could
  // not be started), so a runtime can export per-plugin latency and footprint. May be called
  // concurrently when one RawExec serves several threads.
  std::function<void(const ExecStats&)> on_exit;
};

// Go's RawExec.pluginErr: the error for a failed run given the process error text ("exit status
// 1", "signal: killed", "fork/exec /x: permission denied") and what the plugin printed. Exposed
// so other Exec implementations report failures identically.
Error pluginFailure(std::string_view exit_text, std::string_view stdout_data,
                    std::string_view stderr_data);

class RawExec : public Exec {
 public:
  RawExec() = default;
  explicit RawExec(RawExecOptions opts) : opts_(std::move(opts)) {}

  // Error mapping on failure (codes and texts as Go's RawExec.pluginErr):
  //  - stdout non-empty: decoded as the CNI error object {code,msg,details} and returned as is;
  //    undecodable -> kUnknown `netplugin failed but error parsing its diagnostic message
  //    "<stdout>": <parse error>`;
  //  - else stderr non-empty -> kUnknown `netplugin failed: "<stderr>": exit status N`;
  //  - else -> kUnknown `netplugin failed with no error message: exit status N`.
  // "exit status N" reads "signal: killed" etc. when the plugin died of a signal, and
  // "fork/exec <path>: <errno text>" when it could not be started.
  Expected<std::string> execPlugin(const std::string& plugin_path, std::string_view stdin_data,
                                   const std::vector<std::string>& env) override;

  Expected<std::string> findInPath(std::string_view plugin,
                                   const std::vector<std::string>& paths) override;

  const RawExecOptions& options() const { return opts_; }

 private:
  RawExecOptions opts_;
};

}  // namespace cni::invoke
