// src/invoke/exec.h — the seam between libcni and plugin processes (Go invoke.Exec).
//
// libcni never forks by itself: it asks an Exec to find and run plugins, so its tests can plug in
// an in-memory fake that returns canned stdout, and embedders can substitute their own launcher.
// The production implementation is RawExec (src/invoke/raw_exec.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"

namespace cni::invoke {

class Exec {
 public:
  virtual ~Exec() = default;

  // Runs the plugin at `plugin_path` with `stdin_data` on stdin and exactly `env` as its
  // environment (build it with buildEnv()). On exit status 0 returns the plugin's stdout. On any
  // failure returns the CNI error: the one the plugin printed on stdout ({code,msg,details}), or
  // one synthesised from stderr / exit status as Go's RawExec does.
  virtual Expected<std::string> execPlugin(const std::string& plugin_path,
                                           std::string_view stdin_data,
                                           const std::vector<std::string>& env) = 0;

  // Resolves a plugin name against directories (see invoke::findInPath for the rules).
  virtual Expected<std::string> findInPath(std::string_view plugin,
                                           const std::vector<std::string>& paths) = 0;
};

}  // namespace cni::invoke
