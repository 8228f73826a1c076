// tests/netns/plugin_runner.h — running a plugin the way a runtime does, for the netns tests.
//
// A plugin call is an environment, a stdin document and a verb; it can go to an executable (our
// static binary or a Go reference plugin) or to a PluginSpec in-process through the skel Io
// seam. Both return the same Outcome, so one test body checks both paths.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/skel/skel.h"

namespace cni::plugintest {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `path` with exactly `env` (no inherited variables, like `env -i`), feeding `stdin_data`.
// The child inherits the calling thread's network namespace (call it inside NetNs::run to start
// it elsewhere).
Outcome runProcess(const std::string& path, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, std::string_view stdin_data);

// skel::pluginMain with the given environment and stdin.
Outcome runInProcess(const skel::PluginSpec& spec, const std::map<std::string, std::string>& env,
                     std::string_view stdin_data);

// The CNI_* environment of one call; empty values are left out.
std::map<std::string, std::string> cniEnv(std::string_view command, std::string_view netns,
                                          std::string_view container_id = "ctr1",
                                          std::string_view ifname = "eth0",
                                          std::string_view path = "/opt/cni/bin");

}  // namespace cni::plugintest
