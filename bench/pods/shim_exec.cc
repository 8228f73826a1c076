// bench/pods/shim_exec.cc — see shim_exec.h.
#include "bench/pods/shim_exec.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "src/invoke/child_process.h"
#include "src/invoke/find.h"
#include "src/invoke/go_format.h"
#include "src/invoke/raw_exec.h"

namespace cni::bench {

Expected<std::string> ShimExec::execPlugin(const std::string& plugin_path,
                                           std::string_view stdin_data,
                                           const std::vector<std::string>& env) {
  static std::atomic<unsigned> counter{0};
  const std::string rss_file =
      "/tmp/cnikit-bench-rss-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  invoke::detail::ProcessOptions o;
  o.args = {rss_file, plugin_path};
  auto run = invoke::detail::runProcess(shim_, stdin_data, env, o);
  if (!run) return fail(ErrorCode::kInternal, run.error().op + " failed");
  long kib = 0, anon = -1;
  if (std::ifstream in(rss_file); !(in >> kib >> anon)) kib = 0, anon = -1;
  ::unlink(rss_file.c_str());
  std::string command;
  for (const std::string& e : env) {
    if (e.starts_with("CNI_COMMAND=")) command = e.substr(12);
  }
  sink_(std::filesystem::path(plugin_path).filename(), command, kib, anon);
  if (!WIFEXITED(run->wait_status) || WEXITSTATUS(run->wait_status) != 0) {
    return std::unexpected(invoke::pluginFailure(invoke::goWaitStatus(run->wait_status),
                                                 run->stdout_data, run->stderr_data));
  }
  return std::move(run->stdout_data);
}

Expected<std::string> ShimExec::findInPath(std::string_view plugin,
                                           const std::vector<std::string>& paths) {
  return invoke::findInPath(plugin, paths);
}

std::string shimPath() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "bench-exec-shim").string();
}

}  // namespace cni::bench
