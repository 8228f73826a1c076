// src/doctor/context.h — what `cnikit doctor` inspects (Options) and the facts every check
// shares (Context), gathered once: the config directory under both runtime policies, the usable
// networks, the result cache, and whether a namespace path is still a live network namespace.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "src/conf/conf.h"
#include "src/conf/discover.h"
#include "src/libcni/cache.h"

namespace cni::doctor {

struct Options {
  std::string conf_dir = "/etc/cni/net.d";
  std::vector<std::string> bin_dirs = {"/opt/cni/bin"};
  std::string cache_dir = "/var/lib/cni";          // results/ below it
  std::string data_dir = "/var/lib/cni/networks";  // host-local's default dataDir
  // The node's network namespace for kernel checks; "" = the doctor's own. (Kernel work runs on
  // a dedicated thread inside it; the caller never changes namespace.)
  std::string node_netns;
  // Inspecting files of another node (a mounted image): no kernel checks, no namespace
  // liveness, no runtime logs or API server; plugins are still read (ELF) but not run.
  bool offline = false;
  // Kernel state (bridges, sysctls, nftables) of node_netns; off in file-only unit tests.
  bool kernel_checks = true;
  std::chrono::milliseconds probe_timeout{5000};  // each plugin VERSION / STATUS exec
  // Reservations and cache entries younger than this are never called leaked: an ADD in
  // flight has its lease before its cache entry.
  std::chrono::seconds grace{60};
  // Runtime side: PATH used to find journalctl and kubectl ("" = $PATH), the kubeconfig
  // ("" = $KUBECONFIG, then the kubelet's and admin's, then ~/.kube/config), this node's
  // name in the cluster ("" = hostname), how far back to read the journal.
  std::string tool_path;
  std::string kubeconfig;
  std::string node_name;
  std::chrono::seconds journal_since{3600};
  bool runtime_checks = true;
};

// A usable network configuration file of the config dir.
struct Network {
  std::string path;
  conf::NetworkConfigList list;
  bool active = false;  // the default network (lenient policy; strict when it has one too)
};

// One file of <cache_dir>/results.
struct CacheFile {
  std::string path;
  off_t size = 0;
  std::chrono::system_clock::time_point mtime;
  std::optional<libcni::CacheEntry> entry;  // when it is a complete cniCacheV1 entry
  std::string problem;                      // why not: "empty", "invalid JSON: ...", ...
};

// One host-local reservation: <dataDir>/<network>/<ip> = "<cid>\r\n<ifname>" (legacy: "<cid>").
struct LeaseFile {
  std::string path, ip;
  std::string container_id, ifname;  // ifname empty for legacy leases
  std::chrono::system_clock::time_point mtime;
};

// The reservations in one network's host-local directory (regular files named by an IP; lock,
// last_reserved_ip.N and our index are skipped), sorted by name. A missing dir is no lease.
std::vector<LeaseFile> readLeases(const std::string& dir);

enum class NetnsState {
  kAlive,         // a network namespace
  kGone,          // no such path
  kNotNamespace,  // the path exists but is not a namespace (a leftover bind-mount target)
  kUnknown,       // offline, or no path recorded
};
std::string_view netnsStateName(NetnsState s);
// What `path` is now; kUnknown when offline (another node's paths mean nothing here) or empty.
NetnsState netnsStateOf(const std::string& path, bool offline);
// The attachment of a namespace in this state is gone for good.
inline bool isDead(NetnsState s) {
  return s == NetnsState::kGone || s == NetnsState::kNotNamespace;
}

struct Context {
  Options opts;
  conf::Discovery lenient, strict;
  std::vector<Network> networks;  // every usable file, in discovery (byte-wise) order
  bool results_dir_exists = false;
  std::vector<CacheFile> cache_files;

  const Network* activeNetwork() const;
  const Network* networkByName(std::string_view name) const;
  // Complete cache entries (optionally of one network).
  std::vector<const CacheFile*> attachments(std::string_view network = {}) const;
  NetnsState netnsState(const std::string& path) const { return netnsStateOf(path, opts.offline); }
  // The ipam dataDir a host-local plugin config uses: its own "dataDir", else opts.data_dir.
  std::string hostLocalDataDir(const Json& ipam) const;
};

Context gather(const Options& opts);

// Every file of <cache_dir>/results (sorted); nullopt when the directory does not exist.
std::optional<std::vector<CacheFile>> readResultsDir(const std::string& cache_dir);

// Reads a cache file's content into a CacheFile (problem set when it is not a usable entry).
CacheFile readCacheFile(const std::string& path);

}  // namespace cni::doctor
