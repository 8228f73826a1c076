// tests/unit/doctor/broken_node.h — the fixture library of broken nodes: a node's CNI files
// (config dir, plugin dir, result cache, host-local data dir) built in a temp dir, so each
// doctor scenario is a few lines of "break this" and an assertion on the exact findings.
//
// Plugin binaries are real files: copies of the built multi-call binary (so VERSION answers for
// real), shell scripts that misbehave on purpose, or hand-made ELF headers.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "src/doctor/doctor.h"
#include "tests/testutil/temp_dir.h"

namespace cni::doctortest {

// A healthy network, as a node would have it: bridge + host-local, cniVersion 1.0.0.
std::string bridgeConflist(std::string_view name = "podnet", std::string_view bridge = "cni0",
                           std::string_view subnet = "10.22.0.0/24");

class BrokenNode {
 public:
  BrokenNode();

  std::string confDir() const { return root() + "/net.d"; }
  std::string binDir() const { return root() + "/bin"; }
  std::string cacheDir() const { return root() + "/cache"; }
  std::string dataDir() const { return root() + "/networks"; }
  std::string root() const { return dir_.path().string(); }

  // Writes <confDir>/<name> (mode 0644); returns the path. mtime_offset_s shifts its mtime
  // (negative = older), for the shadowing heuristics.
  std::string conf(std::string_view name, std::string_view content, int mtime_offset_s = 0) const;
  // Installs the plugins a bridge network needs (bridge, host-local, loopback...) as hard
  // copies of the built multi-call binary.
  void installOurPlugins(const std::vector<std::string>& names = {"bridge", "host-local",
                                                                  "loopback", "portmap"}) const;
  // A plugin that is a shell script with this body (mode given).
  std::string script(std::string_view name, std::string_view body, int mode = 0755) const;
  // Any file in the plugin dir.
  std::string binFile(std::string_view name, std::string_view content, int mode = 0755) const;
  // A cniCacheV1 entry for (network, cid, ifname) with netns `netns`; returns its path.
  std::string cacheEntry(std::string_view network, std::string_view cid, std::string_view ifname,
                         std::string_view netns, std::string_view config_text,
                         std::string_view result_json = R"({"cniVersion":"1.0.0"})",
                         std::string_view capability_args_json = "") const;
  // Raw content into <cacheDir>/results/<name>.
  std::string cacheFile(std::string_view name, std::string_view content) const;
  // A host-local reservation <dataDir>/<network>/<ip> = "cid\r\nifname"; age_s back-dates it.
  std::string lease(std::string_view network, std::string_view ip, std::string_view cid,
                    std::string_view ifname = "eth0", int age_s = 3600) const;

  // Options pointing the doctor at this node; offline by default would skip namespace
  // liveness, so the node's kernel is inspected but runtime sources are off.
  doctor::Options options() const;

  // Runs the doctor (gather + diagnose) with `o`.
  static doctor::Report diagnose(const doctor::Options& o);

 private:
  testutil::TempDir dir_;
};

// The findings of one check id (for EXPECT on count, severity, subject, evidence).
std::vector<doctor::Finding> findingsOf(const doctor::Report& r, std::string_view check);
// Every finding as "severity check subject" lines, for readable failure messages.
std::string describe(const doctor::Report& r);

// The built multi-call plugin binary (build/cni-bin/bridge).
std::string ourPluginBinary();

}  // namespace cni::doctortest
