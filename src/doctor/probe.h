// src/doctor/probe.h — running plugins for `cnikit doctor`: the VERSION probe of each binary and
// the STATUS of each network, all at once on a small pool of threads, each exec killed (with
// its process group) when it outlives the probe timeout. A node with ten plugins that all hang
// is diagnosed in one timeout, not ten.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/conf/conf.h"
#include "src/invoke/version_probe.h"

namespace cni::doctor {

// Runs every job, at most max_threads at a time, and returns when all are done.
void runParallel(std::vector<std::function<void()>> jobs, size_t max_threads = 16);

struct VersionProbe {
  std::string path;
  Expected<invoke::PluginInfo> info = fail(ErrorCode::kInternal, "not probed");
  bool timed_out = false;  // killed after the timeout (info then holds the timeout error)
};

struct StatusProbe {
  const conf::NetworkConfigList* list = nullptr;
  Status status;
  bool timed_out = false;
};

// CNI_COMMAND=VERSION of `path` (plugin stderr is kept out of the doctor's output).
VersionProbe probeVersion(const std::string& path, std::chrono::milliseconds timeout);

// libcni STATUS of a network list (nothing is run for lists older than 1.1.0), plugins looked
// up in `bin_dirs`.
StatusProbe probeStatus(const conf::NetworkConfigList& list,
                        const std::vector<std::string>& bin_dirs,
                        std::chrono::milliseconds timeout);

}  // namespace cni::doctor
