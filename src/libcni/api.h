// src/libcni/api.h — libcnikit's runtime API: run network configuration lists against plugins.
//
// The C++ equivalent of Go libcni's CNIConfig (api.go): ADD in order with prevResult chaining,
// DEL in reverse with the cached result, CHECK, GC (synthesised DEL of stale cached attachments,
// then GC to every plugin), STATUS, VERSION validation, and the result cache. Behaviour and error
// texts follow Go (docs/compatibility.md lists where we deliberately differ).
//
// Thread-safety: a CniConfig may be used from many threads at once for different attachments;
// the runtime serialises operations on one attachment (CNI's concurrency contract).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/conf/conf.h"
#include "src/invoke/exec.h"
#include "src/invoke/version_probe.h"
#include "src/libcni/cache.h"
#include "src/libcni/runtime_conf.h"
#include "src/spec/result.h"

namespace cni::libcni {

struct Options {
  std::vector<std::string> path;  // CNI_PATH directories
  std::string cache_dir = std::string(kDefaultCacheDir);
  std::chrono::milliseconds timeout{0};  // per plugin exec; 0 = none
  std::shared_ptr<invoke::Exec> exec;    // null = RawExec with `timeout`
  // fsync every result cache write (ResultCache says what that buys and costs).
  bool durable_cache = false;
};

struct DelOptions {
  // Run the whole reverse chain even when a plugin fails and report every error (off by default
  // for parity with Go, which stops at the first failure and leaks what later plugins own).
  bool best_effort = false;
};

// A cached attachment (Go NetworkAttachment).
struct Attachment {
  std::string container_id, network, ifname, netns;
  ArgPairs cni_args;
  Json capability_args;
};

class CniConfig {
 public:
  explicit CniConfig(Options opts);

  Expected<spec::Result> addNetworkList(const conf::NetworkConfigList& list, const RuntimeConf& rt);
  Status checkNetworkList(const conf::NetworkConfigList& list, const RuntimeConf& rt);
  Status delNetworkList(const conf::NetworkConfigList& list, const RuntimeConf& rt,
                        DelOptions opts = {});
  // valid == nullopt: the runtime passed no list — every cached attachment of this network is
  // DEL'd and GC is sent without cni.dev/valid-attachments (what `cnitool gc` does).
  Status gcNetworkList(const conf::NetworkConfigList& list,
                       const std::optional<std::vector<GcAttachment>>& valid);
  Status getStatusNetworkList(const conf::NetworkConfigList& list);

  // Returns the union of capabilities the list's plugins declare (sorted); errors if a plugin is
  // missing or does not support the list's cniVersion.
  Expected<std::vector<std::string>> validateNetworkList(const conf::NetworkConfigList& list);
  Expected<invoke::PluginInfo> getVersionInfo(std::string_view plugin_type);

  // Cached final ADD result converted to the list's version; nullopt when there is none.
  Expected<std::optional<spec::Result>> getNetworkListCachedResult(
      const conf::NetworkConfigList& list, const RuntimeConf& rt);
  // Cached config bytes plus rt with the cached CNI_ARGS/capability args (for DEL after a runtime
  // restart); nullopt when there is no cache entry.
  Expected<std::optional<std::pair<std::string, RuntimeConf>>> getNetworkListCachedConfig(
      const conf::NetworkConfigList& list, const RuntimeConf& rt);
  Expected<std::vector<Attachment>> getCachedAttachments(std::string_view container_id);

  // The exact stdin a plugin receives (Go buildOneConfig): the plugin object with name and
  // cniVersion injected, prevResult when given, runtimeConfig from matching capabilities. Keys
  // are sorted as Go's map re-marshal sorts them. Exposed for tests and `cnikit` diagnostics.
  static Expected<std::string> buildPluginConfig(const conf::PluginConf& plugin,
                                                 std::string_view network,
                                                 std::string_view cni_version,
                                                 const spec::Result* prev_result,
                                                 const RuntimeConf& rt);

  const ResultCache& cache() const { return cache_; }
  const Options& options() const { return opts_; }

 private:
  Expected<spec::Result> addOne(const conf::NetworkConfigList& list, const conf::PluginConf& p,
                                const spec::Result* prev, const RuntimeConf& rt);
  Status runWithoutResult(std::string_view command, const conf::NetworkConfigList& list,
                          const conf::PluginConf& p, const spec::Result* prev,
                          const RuntimeConf& rt);
  Status runBare(std::string_view command, const conf::PluginConf& p, const std::string& config);
  // DEL of the list's plugins in reverse order with `prev` as prevResult; the failures, each
  // naming its plugin. best_effort: every plugin runs; otherwise it stops at the first failure.
  std::vector<Error> delPlugins(const conf::NetworkConfigList& list, const spec::Result* prev,
                                const RuntimeConf& rt, bool best_effort);
  Expected<std::optional<spec::Result>> cachedResult(const conf::NetworkConfigList& list,
                                                     const RuntimeConf& rt);
  std::string joinedPath() const;

  Options opts_;
  std::shared_ptr<invoke::Exec> exec_;
  ResultCache cache_;
};

// Go pluginDescription: `type="bridge"` (plus ` name="x"` when the plugin object has a name).
std::string pluginDescription(const conf::PluginConf& p);

}  // namespace cni::libcni
