// bench/pods/shim_exec.h — an invoke::Exec that runs each plugin through bench-exec-shim, so
// its peak RSS is the plugin's own and not the runtime's (bench/shim/exec_shim.c
// says why). Costs one extra exec per plugin: used only for the RSS passes, never for timing.
#pragma once

#include <functional>
#include <string>

#include "src/invoke/exec.h"

namespace cni::bench {

class ShimExec : public invoke::Exec {
 public:
  // sink(plugin basename, CNI_COMMAND, peak RSS KiB, anonymous RSS KiB at exit or -1) after
  // every run.
  using RssSink = std::function<void(const std::string&, const std::string&, long, long)>;
  ShimExec(std::string shim_path, RssSink sink)
      : shim_(std::move(shim_path)), sink_(std::move(sink)) {}

  Expected<std::string> execPlugin(const std::string& plugin_path, std::string_view stdin_data,
                                   const std::vector<std::string>& env) override;
  Expected<std::string> findInPath(std::string_view plugin,
                                   const std::vector<std::string>& paths) override;

 private:
  std::string shim_;
  RssSink sink_;
};

// bench-exec-shim beside this executable.
std::string shimPath();

}  // namespace cni::bench
