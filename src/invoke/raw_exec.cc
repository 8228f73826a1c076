// src/invoke/raw_exec.cc — RawExec: retry on ETXTBSY, timeout, Go-compatible failure decoding.
#include "src/invoke/raw_exec.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

#include "src/invoke/child_process.h"
#include "src/invoke/find.h"
#include "src/invoke/go_format.h"
#include "src/spec/error_json.h"
#include "src/spec/go_text.h"
#include "src/spec/json.h"

namespace cni::invoke {
namespace {

using Clock = std::chrono::steady_clock;

void writeToStderr(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is informational only (Go ignores these failures too)
    text.remove_prefix(static_cast<size_t>(n));
  }
}

Error timeoutError(const std::string& plugin_path, std::chrono::milliseconds timeout,
                   std::string_view stderr_data) {
  std::string details(stderr_data);
  while (!details.empty() && (details.back() == '\n' || details.back() == '\r')) {
    details.pop_back();
  }
  return Error(ErrorCode::kUnknown,
               "netplugin " + spec::goQuote(plugin_path) + " timed out after " +
                   goDuration(timeout) + " and was killed",
               std::move(details));
}

void reportStats(const std::function<void(const ExecStats&)>& sink, const std::string& plugin_path,
                 const std::vector<std::string>& env, const detail::ProcessOutput& po,
                 Clock::time_point started) {
  ExecStats stats;
  stats.wall = Clock::now() - started;
  stats.plugin_path = plugin_path;
  constexpr std::string_view kCommand = "CNI_COMMAND=";
  for (const std::string& e : env) {
    if (std::string_view(e).starts_with(kCommand))
      stats.command = std::string_view(e).substr(kCommand.size());
  }
  stats.max_rss_kib = po.max_rss_kib;
  stats.user_cpu = po.user_cpu;
  stats.system_cpu = po.system_cpu;
  stats.wait_status = po.wait_status;
  sink(stats);
}

}  // namespace

Error pluginFailure(std::string_view exit_text, std::string_view stdout_data,
                    std::string_view stderr_data) {
  if (stdout_data.empty()) {
    if (stderr_data.empty()) {
      return Error(ErrorCode::kUnknown,
                   "netplugin failed with no error message: " + std::string(exit_text));
    }
    return Error(ErrorCode::kUnknown,
                 "netplugin failed: " + spec::goQuote(stderr_data) + ": " + std::string(exit_text));
  }
  // Go unmarshals `null` into a zero types.Error without complaint.
  if (auto j = spec::parseJson(stdout_data, "plugin error"); j && j->is_null()) {
    return Error(ErrorCode::kUnknown, "");
  }
  auto decoded = spec::decodeErrorJson(stdout_data);
  if (decoded && (decoded->code != ErrorCode::kUnknown || !decoded->msg.empty())) {
    return std::move(*decoded);
  }
  if (decoded) {
    // An object without code and msg is no error report: typically the plugin's complete result,
    // written just before it was killed. Go returns that as an empty error (code 0, no text);
    // the exit status at least says what happened.
    return pluginFailure(exit_text, {}, stderr_data);
  }
  return Error(ErrorCode::kUnknown, "netplugin failed but error parsing its diagnostic message " +
                                        spec::goQuote(stdout_data) + ": " + decoded.error().msg);
}

Expected<std::string> RawExec::execPlugin(const std::string& plugin_path,
                                          std::string_view stdin_data,
                                          const std::vector<std::string>& env) {
  detail::ProcessOptions popts;
  if (opts_.timeout.count() > 0) {
    popts.deadline = Clock::now() + opts_.timeout;
    popts.own_process_group = true;
  }
  const int attempts = std::max(opts_.text_busy_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    const auto started = Clock::now();
    auto run = detail::runProcess(plugin_path, stdin_data, env, popts);
    if (run && opts_.on_exit) reportStats(opts_.on_exit, plugin_path, env, *run, started);
    if (!run) {
      const detail::ProcessError& pe = run.error();
      const std::string text = pe.op + ": " + goErrnoText(pe.err);
      if (pe.op.starts_with("fork/exec ")) {
        // Somebody still holds the binary open for writing (an install in progress, or a
        // concurrent fork that inherited the writer's fd): wait and retry, as Go does (cni#763).
        if (pe.err == ETXTBSY && attempt < attempts) {
          auto delay = opts_.text_busy_delay;
          if (popts.deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*popts.deadline -
                                                                              Clock::now());
            if (left <= delay) {
              if (left.count() > 0) std::this_thread::sleep_for(left);
              return std::unexpected(timeoutError(plugin_path, opts_.timeout, {}));
            }
          }
          std::this_thread::sleep_for(delay);
          continue;
        }
        return std::unexpected(pluginFailure(text, {}, {}));
      }
      return fail(ErrorCode::kInternal, "netplugin " + spec::goQuote(plugin_path) + ": " + text);
    }
    detail::ProcessOutput& po = *run;
    if (po.timed_out) {
      return std::unexpected(timeoutError(plugin_path, opts_.timeout, po.stderr_data));
    }
    if (!WIFEXITED(po.wait_status) || WEXITSTATUS(po.wait_status) != 0) {
      return std::unexpected(
          pluginFailure(goWaitStatus(po.wait_status), po.stdout_data, po.stderr_data));
    }
    if (!po.stderr_data.empty()) {
      if (opts_.stderr_sink) {
        opts_.stderr_sink(po.stderr_data);
      } else {
        writeToStderr(po.stderr_data);
      }
    }
    return std::move(po.stdout_data);
  }
}

Expected<std::string> RawExec::findInPath(std::string_view plugin,
                                          const std::vector<std::string>& paths) {
  return invoke::findInPath(plugin, paths);
}

}  // namespace cni::invoke
