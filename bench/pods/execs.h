// bench/pods/execs.h — the benchmark rows that need no pod: the exec floor (VERSION) and peak
// RSS of every plugin, the plugin set's bytes on disk, and host-local with many reservations.
#pragma once

#include <string>
#include <vector>

namespace cni::bench {

// CNI_COMMAND=VERSION `runs` times per plugin present in both dirs, interleaved.
bool runVersionBench(const std::string& ours_dir, const std::string& ref_dir, int runs);

// Bytes of the distinct files (hard links counted once) in each plugin dir.
bool runDiskBench(const std::string& ours_dir, const std::string& ref_dir);

// host-local ADD and DEL (one exec each) with `reservations` leases already on disk, for each
// count in `counts`; `ops` ADDs then `ops` DELs per count and system, interleaved.
bool runHostLocalBench(const std::string& ours_dir, const std::string& ref_dir,
                       const std::string& work_dir, const std::vector<int>& counts, int ops);

}  // namespace cni::bench
