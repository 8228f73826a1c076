// src/libcni/cache.h — the on-disk result cache, libcni's `cniCacheV1` format.
//
// Path: <cacheDir>/results/<network>-<containerID>-<ifname>; directory 0700, file 0600.
// Content (compact JSON, field order as Go's cachedInfo struct): kind, containerId, config
// (base64 of the raw network config bytes), ifName, networkName, netns?, cniArgs?,
// capabilityArgs?, result?. A file written here is read by Go libcni and the other way round.
//
// Where we improve on Go (docs/compatibility.md): writes are atomic (temp file, fsync, rename,
// fsync of the directory), so a crash never leaves the empty or torn file that wedges DEL
// (cni#1055); reads are tolerant, and the caller decides what an unreadable entry means.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/libcni/runtime_conf.h"
#include "src/spec/json.h"

namespace cni::libcni {

inline constexpr std::string_view kCacheKind = "cniCacheV1";
inline constexpr std::string_view kDefaultCacheDir = "/var/lib/cni";

struct CacheEntry {
  std::string container_id;
  std::string ifname;
  std::string network_name;
  std::string netns;
  ArgPairs cni_args;
  Json capability_args;        // null or object
  std::string config;          // raw network configuration bytes
  std::optional<Json> result;  // the raw result object (Go keeps it as a map)
};

// What was found at a cache path.
struct CacheRead {
  // True when the file is not a cniCacheV1 object: a bare result written by old libcni
  // (pre-0.7). Then only `legacy_bytes` is meaningful.
  bool legacy = false;
  std::string legacy_bytes;
  CacheEntry entry;
};

class ResultCache {
 public:
  // `durable`: fsync each written file and the results directory. Off by default: writes are
  // atomic either way (temp file + rename: a killed runtime or plugin never leaves a torn entry),
  // and what fsync adds — surviving a power loss — is worth little for attachments whose network
  // namespaces a reboot destroys anyway, while it costs a journal commit per ADD (5-15 ms on
  // ext4, more than the whole bridge plugin; docs/performance.md). Go's libcni does not sync.
  explicit ResultCache(std::string cache_dir = std::string(kDefaultCacheDir), bool durable = false)
      : dir_(std::move(cache_dir)), durable_(durable) {}

  const std::string& dir() const { return dir_; }
  std::string resultsDir() const { return dir_ + "/results"; }

  // Errors (kInvalidNetworkConfig) when any of the three is empty, as Go does.
  Expected<std::string> pathFor(std::string_view network, std::string_view container_id,
                                std::string_view ifname) const;

  // Serialises exactly as Go's json.Marshal(cachedInfo).
  static std::string encode(const CacheEntry& e);

  Status write(const CacheEntry& e) const;

  // nullopt when the file does not exist; an error when it exists but cannot be read.
  // A file that is not a cniCacheV1 object comes back as legacy (even if it is garbage: the
  // result parse decides).
  Expected<std::optional<CacheRead>> read(std::string_view network, std::string_view container_id,
                                          std::string_view ifname) const;

  // Removes the entry, and temp files of its interrupted writes; a missing file is success.
  Status remove(std::string_view network, std::string_view container_id,
                std::string_view ifname) const;

  // Go GetCachedAttachments: every well-formed cniCacheV1 entry, files in sorted order, filtered
  // by container ID when non-empty; unreadable, legacy or incomplete files are skipped.
  // A missing results directory is an empty list.
  Expected<std::vector<CacheEntry>> list(std::string_view container_id = {}) const;

 private:
  std::string dir_;
  bool durable_ = false;
};

// Decodes a cniCacheV1 object; nullopt if `j` is not one (a legacy bare result, or a
// cniCacheV1 object with a field of the wrong type).
std::optional<CacheEntry> decodeEntry(const Json& j);

// Standard base64 (RFC 4648 with padding), as Go encodes []byte in JSON.
std::string base64Encode(std::string_view in);
Expected<std::string> base64Decode(std::string_view in);

}  // namespace cni::libcni
