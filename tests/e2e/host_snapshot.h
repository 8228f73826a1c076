// tests/e2e/host_snapshot.h — "did anything change on the host?" for the reliability suites.
//
// A HostSnapshot is the kernel state of a set of network namespaces (kernel_state.h: links,
// addresses, routes of every table, rules, sysctls, the nft ruleset) plus a recursive listing of
// a set of state directories: one line per entry, "path type mode size sha512-prefix" for files,
// "path -> target" for symlinks (never followed), "path dir mode" for directories. Two snapshots
// of the same world compare as text; any difference is reported per section.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "tests/e2e/kernel_state.h"

namespace cni::e2e {

// The listing of `root` (lstat: symlinks are listed, not followed). Paths are relative to root
// and prefixed with `label`; a missing root is one line "<label> absent".
std::vector<std::string> listTree(const std::filesystem::path& root, const std::string& label);

struct HostSnapshot {
  std::map<std::string, Snapshot> netns;                  // by namespace name
  std::map<std::string, std::vector<std::string>> trees;  // by label
};

// Snapshots the named namespaces and the labelled directories. Use one Normaliser for the
// before and the after snapshot: a MAC or veth name that changed then gets a new label.
Expected<HostSnapshot> snapshotHost(const std::vector<std::string>& netns_names,
                                    const std::map<std::string, std::filesystem::path>& dirs,
                                    Normaliser& norm);

// "" when equal; otherwise the differing lines ("- " before only, "+ " after only) per section.
std::string diffHost(const HostSnapshot& before, const HostSnapshot& after);

}  // namespace cni::e2e
