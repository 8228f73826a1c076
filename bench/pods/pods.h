// bench/pods/pods.h — pod ADD/DEL through libcnikit, our plugins and the reference side by side.
//
// Both plugin sets run under the same runtime (libcnikit's CniConfig, as containerd or cnitool
// would drive them) on identical conflists that differ only in names, bridge and subnet, each in
// the same throwaway "node" namespace, interleaved pod by pod (sequential) or block by block
// (parallel) so that machine noise and the growing number of pods on a bridge hit both alike.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bench/pods/stats.h"

namespace cni::bench {

struct PodBenchConfig {
  char scenario = 'a';  // a: bridge+host-local+masq, b: a+portmap+bandwidth+firewall+tuning, c: ptp
  int pods = 200;       // per plugin set
  int parallel = 1;     // concurrent runtimes (kubelet starts pods in parallel)
  std::string ours_dir, ref_dir;
  std::string work_dir;    // conflists, dataDirs, result caches
  std::string floor_file;  // bench-floor output for this kind and parallelism ("" = none)
};

struct SystemRun {
  Samples add, del;                          // wall of addNetworkList / delNetworkList
  Samples add_plugins, del_plugins;          // of which inside plugin processes (spawn to reap)
  Samples conf_load;                         // reading + parsing the conflist file per ADD
  std::map<std::string, long> peak_rss_kib;  // "<plugin> <COMMAND>" -> largest ru_maxrss
  std::map<std::string, long> anon_kib;      // "<plugin> <COMMAND>" -> largest RssAnon at exit
  std::map<std::string, Samples> exec_ms;    // "<plugin> <COMMAND>" -> each exec's wall
  int add_failures = 0;  // reference ADDs that failed and were retried (see podOp)
};

// Runs the scenario and prints its CSV rows (stats.h). Returns false on any failure (a plugin
// error, or anything left behind after DEL), after cleaning up.
bool runPodBench(const PodBenchConfig& cfg);

// The case label of a scenario in the report.
std::string scenarioLabel(char scenario);

}  // namespace cni::bench
