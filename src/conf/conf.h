// src/conf/conf.h — network configuration parsing (libcni conf.go: NetworkConfFromBytes,
// NetworkPluginConfFromBytes, ConfListFromConf), spec 1.1.0 §"Network configuration".
//
// Behaviour follows Go libcni v1.3 exactly, error texts included (runtimes log them and users
// search for them): the top level of a list is decoded as a map (key names exact, types checked
// by hand with fmt %T in the messages); each plugin object is decoded as types.PluginConf (known
// keys matched case-insensitively and type-checked) and re-marshalled the way Go does.
//
// Error codes: malformed JSON -> kDecodingFailure; well-formed but invalid configuration ->
// kInvalidNetworkConfig.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::conf {

// One plugin object of a list (Go libcni PluginConfig).
struct PluginConf {
  std::string type;
  Json raw;                                  // the object as written (unknown keys preserved)
  std::map<std::string, bool> capabilities;  // "capabilities" (null values read as false, as Go)
  // PluginConfig.Bytes: for list members, the object re-marshalled as Go does (sorted keys,
  // float64 numbers); for plugins loaded from <dir>/<network>/*.conf, the file bytes.
  std::string bytes;
  std::string source;  // the file a subfolder plugin came from; empty for inlined plugins
};

// A network configuration list (Go libcni NetworkConfigList).
struct NetworkConfigList {
  std::string name, cni_version;  // cni_version = the selected version (see confListFromBytes)
  std::vector<std::string> cni_versions;  // "cniVersions" as written
  bool disable_check = false, disable_gc = false, load_only_inlined_plugins = false;
  std::vector<PluginConf> plugins;
  std::string bytes;   // the raw bytes (what the result cache stores)
  std::string source;  // file path it came from, if any
};

// A legacy single-plugin configuration (a `.conf`/`.json` file; Go libcni NetworkConfig).
struct NetworkConfig {
  std::string name, cni_version;  // "name" / "cniVersion" of the object (empty if absent)
  PluginConf plugin;              // plugin.bytes = the bytes as given
  std::string source;
};

// NetworkConfFromBytes. Keys:
//   cniVersion   optional string.
//   cniVersions  optional array of strings; each must parse as a version; entries newer than
//                1.1.0 are dropped; cniVersion (if set and not too new) joins them; the highest
//                becomes cni_version. Without cniVersions, cniVersion is taken as written.
//   name         required string (may be empty: names are validated on ADD, not here).
//   disableCheck / disableGC / loadOnlyInlinedPlugins
//                bool, or the string "true"/"false" in any case.
//   plugins      if present a non-empty array of plugin objects, each with a non-empty "type"
//                (no '/': it names a binary in CNI_PATH). May be absent (plugins then come from
//                the subfolder, see load.h) unless loadOnlyInlinedPlugins is true.
// Errors as Go: "error parsing configuration list: no name", "... invalid name type float64",
// "... no plugins in list", "failed to parse plugin config 1: error parsing configuration:
// missing 'type'", ...
Expected<NetworkConfigList> confListFromBytes(std::string_view bytes);

// NetworkPluginConfFromBytes: one plugin object (a subfolder plugin file). Requires "type".
// PluginConf::bytes is `bytes` unchanged.
Expected<PluginConf> pluginConfFromBytes(std::string_view bytes);

// ConfFromBytes: a legacy single-plugin configuration. Requires "type".
Expected<NetworkConfig> confFromBytes(std::string_view bytes);

// ConfListFromConf: {"cniVersion":<v>,"name":<n>,"plugins":[<original object>]} marshalled the way
// Go does (compact, sorted keys, float64 numbers), then parsed as a list. `source` is carried over.
Expected<NetworkConfigList> confListFromConf(const NetworkConfig& conf);

}  // namespace cni::conf
