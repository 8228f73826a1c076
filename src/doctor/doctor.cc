// src/doctor/doctor.cc — running the check families in parallel (see doctor.h).
#include "src/doctor/doctor.h"

#include <thread>

namespace cni::doctor {

Report diagnose(const Context& c) {
  Report r;
  // Each family is independent and mostly waits (on probes, journalctl, the API server, netlink),
  // so one thread each; Report is thread-safe.
  std::vector<std::jthread> families;
  for (auto fn : {checkConfig, checkPlugins, checkState, checkKernel, checkRuntime}) {
    families.emplace_back([fn, &c, &r] { fn(c, r); });
  }
  families.clear();  // joins
  return r;
}

Json nodeJson(const Context& c) {
  return {
      {"confDir", c.opts.conf_dir},
      {"binDirs", c.opts.bin_dirs},
      {"cacheDir", c.opts.cache_dir},
      {"dataDir", c.opts.data_dir},
      {"netns", c.opts.node_netns},
      {"offline", c.opts.offline},
      {"activeConfig", c.activeNetwork() ? Json(c.activeNetwork()->path) : Json(nullptr)},
      {"activeNetwork", c.activeNetwork() ? Json(c.activeNetwork()->list.name) : Json(nullptr)}};
}

}  // namespace cni::doctor
