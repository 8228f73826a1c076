// tools/cnikit/cmd_doctor.cc — `cnikit doctor`: why is pod networking broken on this node.
// The checks live in src/doctor; this file maps the command line onto them and prints.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "src/doctor/doctor.h"
#include "src/invoke/find.h"
#include "tools/cnikit/cli.h"

namespace cni::tools {

int cmdDoctor(const GlobalOptions& g, const DoctorCliOptions& d) {
  auto start = std::chrono::steady_clock::now();
  doctor::Options o;
  o.conf_dir = d.conf_dir.empty() ? g.conf_dir : d.conf_dir;
  if (!d.bin_dirs.empty()) {
    o.bin_dirs.clear();
    for (const auto& b : d.bin_dirs) {
      for (auto& p : invoke::splitPath(b)) o.bin_dirs.push_back(std::move(p));
    }
  } else if (!g.cni_path.empty()) {
    o.bin_dirs = invoke::splitPath(g.cni_path);
  }
  o.cache_dir = d.cache_dir.empty() ? g.cache_dir : d.cache_dir;
  if (!d.data_dir.empty()) o.data_dir = d.data_dir;
  o.node_netns = d.netns;
  o.offline = d.offline;
  o.probe_timeout = std::chrono::milliseconds(static_cast<long>(d.probe_timeout_s * 1000));
  o.grace = std::chrono::seconds(d.grace_s);
  o.runtime_checks = !d.no_runtime;
  o.kubeconfig = d.kubeconfig;
  o.node_name = d.node_name;
  o.journal_since = std::chrono::seconds(d.since_s);

  doctor::Context ctx = doctor::gather(o);
  doctor::Report report = doctor::diagnose(ctx);
  if (d.fix) report.runRepairs(d.yes);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (d.json) {
    std::printf("%s\n", report.toJson(doctor::nodeJson(ctx), ms).dump(2).c_str());
  } else {
    const bool colour = ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
    std::fputs(doctor::renderText(report, ctx, colour, d.fix).c_str(), stdout);
  }
  // After repairs the verdict still describes what was found: a second run shows the result.
  return report.exitCode();
}

}  // namespace cni::tools
