// src/libcni/api.cc — CniConfig: chaining, cache use, GC and STATUS (see api.h).
#include "src/libcni/api.h"

#include <algorithm>
#include <set>

#include "src/invoke/args.h"
#include "src/invoke/raw_exec.h"
#include "src/spec/go_json.h"
#include "src/spec/validate.h"
#include "src/spec/version.h"

namespace cni::libcni {
namespace {

// Joins several errors the way Go's errors.Join prints them (one per line); the code is the
// first error's, so a caller switching on codes sees the first failure.
Error joinErrors(const std::vector<Error>& errs) {
  Error out = errs.front();
  if (errs.size() == 1) return out;
  std::string msg;
  for (const auto& e : errs) {
    if (!msg.empty()) msg += "\n";
    msg += e.toString();
  }
  out.msg = std::move(msg);
  out.details.clear();
  return out;
}

// Go fixupResultVersion: a result without cniVersion is taken to be in the config's version.
Expected<spec::Result> parsePluginResult(const std::string& stdout_bytes,
                                         std::string_view conf_version) {
  CNI_ASSIGN_OR_RETURN(Json raw, spec::parseJson(stdout_bytes, "plugin result"));
  if (raw.is_null()) raw = Json::object();
  if (!raw.is_object()) {
    return fail(ErrorCode::kDecodingFailure, "failed to unmarshal raw result: not an object");
  }
  if (auto it = raw.find("cniVersion");
      it != raw.end() && it->is_string() && !it->get<std::string>().empty()) {
    return spec::parseResultAs(stdout_bytes, it->get<std::string>());
  }
  raw["cniVersion"] = conf_version;
  return spec::parseResultAs(spec::goMarshal(raw), conf_version);
}

}  // namespace

std::string joinArgs(const ArgPairs& args) {
  std::string out;
  for (const auto& [k, v] : args) {
    if (!out.empty()) out += ";";
    out += k + "=" + v;
  }
  return out;
}

std::string pluginDescription(const conf::PluginConf& p) {
  std::string out = "type=\"" + p.type + "\"";
  if (const Json* n = p.raw.is_object() ? &p.raw : nullptr; n) {
    auto it = n->find("name");
    if (it != n->end() && it->is_string() && !it->get<std::string>().empty()) {
      out += " name=\"" + it->get<std::string>() + "\"";
    }
  }
  return out;
}

CniConfig::CniConfig(Options opts)
    : opts_(std::move(opts)), cache_(opts_.cache_dir, opts_.durable_cache) {
  exec_ = opts_.exec;
  if (!exec_) {
    invoke::RawExecOptions ro;
    ro.timeout = opts_.timeout;
    exec_ = std::make_shared<invoke::RawExec>(ro);
  }
}

std::string CniConfig::joinedPath() const {
  std::string out;
  for (const auto& p : opts_.path) {
    if (!out.empty()) out += ":";
    out += p;
  }
  return out;
}

Expected<std::string> CniConfig::buildPluginConfig(const conf::PluginConf& plugin,
                                                   std::string_view network,
                                                   std::string_view cni_version,
                                                   const spec::Result* prev_result,
                                                   const RuntimeConf& rt) {
  // Go re-reads the plugin's bytes into a map; the parsed object is the same thing.
  Json j = plugin.raw.is_object() ? plugin.raw : Json::object();
  j["name"] = network;
  j["cniVersion"] = cni_version;
  // Go injects the Result struct into a map and re-marshals: the map's keys come out sorted but
  // the result keeps its struct field order. nlohmann::json would sort the result too, so the
  // key only holds the result's place here and its value is written separately below.
  if (prev_result != nullptr) j["prevResult"] = nullptr;

  Json rc = Json::object();
  if (rt.capability_args.is_object()) {
    for (const auto& [cap, enabled] : plugin.capabilities) {
      if (!enabled) continue;
      auto it = rt.capability_args.find(cap);
      if (it != rt.capability_args.end()) rc[cap] = *it;
    }
  }
  if (!rc.empty()) j["runtimeConfig"] = std::move(rc);

  // Go's InjectConf decodes the plugin bytes into map[string]interface{} and re-marshals them:
  // every number comes out as a float64 ("mtu": 1500.0 -> 1500, 1e3 -> 1000), keys sorted.
  if (prev_result == nullptr) return spec::goReMarshal(j);
  // The same, member by member (std::map order is Go's byte-wise key order), with the result's
  // own encoding as prevResult's value. (Splicing the result over a placeholder string in the
  // marshalled text, as before, let a config value spelling the placeholder divert it:
  // fuzz/regressions/fuzz_conf/prevresult-placeholder-in-config.)
  std::string out = "{";
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it != j.begin()) out += ',';
    out += spec::goReMarshal(Json(it.key())) + ':';
    out += it.key() == "prevResult" ? spec::encodeResult(*prev_result, /*indent=*/false)
                                    : spec::goReMarshal(it.value());
  }
  return out + '}';
}

Expected<spec::Result> CniConfig::addOne(const conf::NetworkConfigList& list,
                                         const conf::PluginConf& p, const spec::Result* prev,
                                         const RuntimeConf& rt) {
  CNI_ASSIGN_OR_RETURN(std::string plugin_path, exec_->findInPath(p.type, opts_.path));
  CNI_TRY(spec::validateContainerId(rt.container_id));
  CNI_TRY(spec::validateNetworkName(list.name));
  CNI_TRY(spec::validateInterfaceName(rt.ifname));
  CNI_ASSIGN_OR_RETURN(std::string conf,
                       buildPluginConfig(p, list.name, list.cni_version, prev, rt));
  invoke::Args args{.command = "ADD",
                    .container_id = rt.container_id,
                    .netns = rt.netns,
                    .ifname = rt.ifname,
                    .plugin_args = joinArgs(rt.args),
                    .path = joinedPath()};
  CNI_ASSIGN_OR_RETURN(std::string out,
                       exec_->execPlugin(plugin_path, conf, invoke::buildEnv(args)));
  return parsePluginResult(out, list.cni_version);
}

Status CniConfig::runWithoutResult(std::string_view command, const conf::NetworkConfigList& list,
                                   const conf::PluginConf& p, const spec::Result* prev,
                                   const RuntimeConf& rt) {
  CNI_ASSIGN_OR_RETURN(std::string plugin_path, exec_->findInPath(p.type, opts_.path));
  CNI_ASSIGN_OR_RETURN(std::string conf,
                       buildPluginConfig(p, list.name, list.cni_version, prev, rt));
  invoke::Args args{.command = std::string(command),
                    .container_id = rt.container_id,
                    .netns = rt.netns,
                    .ifname = rt.ifname,
                    .plugin_args = joinArgs(rt.args),
                    .path = joinedPath()};
  CNI_TRY(exec_->execPlugin(plugin_path, conf, invoke::buildEnv(args)));
  return {};
}

// GC and STATUS: only CNI_COMMAND and CNI_PATH are set (Go c.args(action, &RuntimeConf{})).
Status CniConfig::runBare(std::string_view command, const conf::PluginConf& p,
                          const std::string& config) {
  CNI_ASSIGN_OR_RETURN(std::string plugin_path, exec_->findInPath(p.type, opts_.path));
  invoke::Args args{.command = std::string(command), .path = joinedPath()};
  CNI_TRY(exec_->execPlugin(plugin_path, config, invoke::buildEnv(args)));
  return {};
}

Expected<spec::Result> CniConfig::addNetworkList(const conf::NetworkConfigList& list,
                                                 const RuntimeConf& rt) {
  std::optional<spec::Result> result;
  for (const auto& p : list.plugins) {
    auto r = addOne(list, p, result ? &*result : nullptr, rt);
    if (!r) {
      return fail(
          std::move(r.error()).withContext("plugin " + pluginDescription(p) + " failed (add)"));
    }
    result = std::move(*r);
  }
  if (!result) return fail(ErrorCode::kInvalidNetworkConfig, "no plugins in network list");

  CacheEntry e{.container_id = rt.container_id,
               .ifname = rt.ifname,
               .network_name = list.name,
               .netns = rt.netns,
               .cni_args = rt.args,
               .capability_args = rt.capability_args,
               .config = list.bytes,
               .result = Json::parse(spec::encodeResult(*result, false))};
  if (auto s = cache_.write(e); !s) {
    // Go returns here and leaves the attachment to the runtime's DEL, which then has no cached
    // result to work from. An unwritable cache (a cache dir that is a file, a full disk) is
    // undone at once instead: DEL in reverse order with this result as prevResult, best
    // effort, so the failed ADD leaves nothing behind (issue #7); a later DEL finds nothing.
    std::optional<spec::Result> prev;
    if (auto v = spec::versionAtLeast(list.cni_version, "0.4.0"); v && *v) {
      if (auto conv = spec::convertResult(*result, list.cni_version)) prev = std::move(*conv);
    }
    (void)delPlugins(list, prev ? &*prev : nullptr, rt, /*best_effort=*/true);
    return fail(std::move(s.error()).withContext("failed to set network \"" + list.name +
                                                 "\" cached result"));
  }
  return *result;
}

Expected<std::optional<spec::Result>> CniConfig::cachedResult(const conf::NetworkConfigList& list,
                                                              const RuntimeConf& rt) {
  CNI_ASSIGN_OR_RETURN(auto read, cache_.read(list.name, rt.container_id, rt.ifname));
  if (!read) return std::optional<spec::Result>();
  std::string bytes;
  if (read->legacy) {
    bytes = read->legacy_bytes;
  } else if (read->entry.result) {
    bytes = read->entry.result->dump();
  } else {
    return std::optional<spec::Result>();
  }
  CNI_ASSIGN_OR_RETURN(spec::Result r, spec::parseResult(bytes));
  CNI_ASSIGN_OR_RETURN(spec::Result converted, spec::convertResult(r, list.cni_version));
  return std::optional<spec::Result>(std::move(converted));
}

Expected<std::optional<spec::Result>> CniConfig::getNetworkListCachedResult(
    const conf::NetworkConfigList& list, const RuntimeConf& rt) {
  return cachedResult(list, rt);
}

Status CniConfig::checkNetworkList(const conf::NetworkConfigList& list, const RuntimeConf& rt) {
  CNI_ASSIGN_OR_RETURN(bool supported, spec::versionAtLeast(list.cni_version, "0.4.0"));
  if (!supported) {
    return fail(ErrorCode::kIncompatibleCniVersion, "configuration version \"" + list.cni_version +
                                                        "\" does not support the CHECK command");
  }
  if (list.disable_check) return {};
  auto cached = cachedResult(list, rt);
  if (!cached) {
    return fail(std::move(cached.error())
                    .withContext("failed to get network \"" + list.name + "\" cached result"));
  }
  const spec::Result* prev = *cached ? &**cached : nullptr;
  for (const auto& p : list.plugins) CNI_TRY(runWithoutResult("CHECK", list, p, prev, rt));
  return {};
}

std::vector<Error> CniConfig::delPlugins(const conf::NetworkConfigList& list,
                                         const spec::Result* prev, const RuntimeConf& rt,
                                         bool best_effort) {
  std::vector<Error> errs;
  for (auto it = list.plugins.rbegin(); it != list.plugins.rend(); ++it) {
    auto s = runWithoutResult("DEL", list, *it, prev, rt);
    if (!s) {
      errs.push_back(std::move(s.error()).withContext("plugin " + pluginDescription(*it) +
                                                      " failed (delete)"));
      if (!best_effort) break;
    }
  }
  return errs;
}

Status CniConfig::delNetworkList(const conf::NetworkConfigList& list, const RuntimeConf& rt,
                                 DelOptions opts) {
  std::optional<spec::Result> cached;
  CNI_ASSIGN_OR_RETURN(bool use_cache, spec::versionAtLeast(list.cni_version, "0.4.0"));
  if (use_cache) {
    // An unreadable or corrupt cache must never wedge DEL (cni#1055): drop it and go on
    // without prevResult, as libcni does since v1.2.
    auto r = cachedResult(list, rt);
    if (r) {
      cached = std::move(*r);
    } else {
      (void)cache_.remove(list.name, rt.container_id, rt.ifname);
    }
  }
  std::vector<Error> errs = delPlugins(list, cached ? &*cached : nullptr, rt, opts.best_effort);
  if (!errs.empty()) return fail(joinErrors(errs));  // keep the cache: a retry needs prevResult
  // The cache path needs all three names; DEL with an empty ifname has nothing cached.
  if (!list.name.empty() && !rt.container_id.empty() && !rt.ifname.empty()) {
    (void)cache_.remove(list.name, rt.container_id, rt.ifname);
  }
  return {};
}

Status CniConfig::gcNetworkList(const conf::NetworkConfigList& list,
                                const std::optional<std::vector<GcAttachment>>& valid) {
  if (list.disable_gc) return {};
  auto cached = getCachedAttachments("");
  if (!cached) return {};  // Go: an unlistable cache means nothing to collect
  std::vector<Error> errs;
  for (const auto& a : *cached) {
    if (a.network != list.name) continue;
    if (valid && std::find(valid->begin(), valid->end(), GcAttachment{a.container_id, a.ifname}) !=
                     valid->end()) {
      continue;
    }
    RuntimeConf rt{.container_id = a.container_id,
                   .netns = a.netns,
                   .ifname = a.ifname,
                   .args = a.cni_args,
                   .capability_args = a.capability_args};
    if (auto s = delNetworkList(list, rt); !s) {
      errs.push_back(std::move(s.error()).withContext("failed to delete stale attachment " +
                                                      a.container_id + " " + a.ifname));
    }
  }
  CNI_ASSIGN_OR_RETURN(bool gc_supported, spec::versionAtLeast(list.cni_version, "1.1.0"));
  if (gc_supported) {
    Json attachments = Json::array();
    if (valid) {
      for (const auto& v : *valid) {
        attachments.push_back(Json{{"containerID", v.container_id}, {"ifname", v.ifname}});
      }
    }
    for (const auto& p : list.plugins) {
      Json j = p.raw.is_object() ? p.raw : Json::object();
      j["name"] = list.name;
      j["cniVersion"] = list.cni_version;
      if (valid) {
        j["cni.dev/valid-attachments"] = attachments;
        j["cni.dev/attachments"] = attachments;  // the name the 1.1.0 tag text used (cni#1101)
      }
      if (auto s = runBare("GC", p, spec::goReMarshal(j)); !s) {
        errs.push_back(std::move(s.error()).withContext("failed to GC plugin " + p.type));
      }
    }
  }
  if (!errs.empty()) return fail(joinErrors(errs));
  return {};
}

Status CniConfig::getStatusNetworkList(const conf::NetworkConfigList& list) {
  CNI_ASSIGN_OR_RETURN(bool supported, spec::versionAtLeast(list.cni_version, "1.1.0"));
  if (!supported) return {};
  for (const auto& p : list.plugins) {
    Json j = p.raw.is_object() ? p.raw : Json::object();
    j["name"] = list.name;
    j["cniVersion"] = list.cni_version;
    // Not wrapped: the runtime must see the plugin's own code (50/51).
    CNI_TRY(runBare("STATUS", p, spec::goReMarshal(j)));
  }
  return {};
}

Expected<invoke::PluginInfo> CniConfig::getVersionInfo(std::string_view plugin_type) {
  CNI_ASSIGN_OR_RETURN(std::string path, exec_->findInPath(plugin_type, opts_.path));
  return invoke::getVersionInfo(*exec_, path);
}

Expected<std::vector<std::string>> CniConfig::validateNetworkList(
    const conf::NetworkConfigList& list) {
  std::string expected = list.cni_version.empty() ? "0.1.0" : list.cni_version;
  std::set<std::string> caps;
  std::vector<Error> errs;
  for (const auto& p : list.plugins) {
    auto info = getVersionInfo(p.type);
    if (!info) {
      errs.push_back(info.error());
    } else if (std::find(info->supported_versions.begin(), info->supported_versions.end(),
                         expected) == info->supported_versions.end()) {
      errs.push_back(
          Error(ErrorCode::kIncompatibleCniVersion,
                "plugin " + p.type + " does not support config version \"" + expected + "\""));
    }
    for (const auto& [cap, enabled] : p.capabilities) {
      if (enabled) caps.insert(cap);
    }
  }
  if (!errs.empty()) return fail(joinErrors(errs));
  return std::vector<std::string>(caps.begin(), caps.end());
}

Expected<std::optional<std::pair<std::string, RuntimeConf>>> CniConfig::getNetworkListCachedConfig(
    const conf::NetworkConfigList& list, const RuntimeConf& rt) {
  using Out = std::optional<std::pair<std::string, RuntimeConf>>;
  auto read = cache_.read(list.name, rt.container_id, rt.ifname);
  if (!read || !*read) return Out();  // Go ignores read errors here: the cache may not exist
  if ((*read)->legacy) {
    return fail(ErrorCode::kDecodingFailure,
                "read cached network \"" + list.name + "\" config has wrong kind");
  }
  const CacheEntry& e = (*read)->entry;
  RuntimeConf out = rt;
  if (!e.cni_args.empty()) out.args = e.cni_args;
  out.capability_args = e.capability_args;
  return Out(std::make_pair(e.config, std::move(out)));
}

Expected<std::vector<Attachment>> CniConfig::getCachedAttachments(std::string_view container_id) {
  CNI_ASSIGN_OR_RETURN(auto entries, cache_.list(container_id));
  std::vector<Attachment> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    out.push_back(Attachment{.container_id = std::move(e.container_id),
                             .network = std::move(e.network_name),
                             .ifname = std::move(e.ifname),
                             .netns = std::move(e.netns),
                             .cni_args = std::move(e.cni_args),
                             .capability_args = std::move(e.capability_args)});
  }
  return out;
}

}  // namespace cni::libcni
