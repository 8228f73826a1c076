// src/conf/conf.cc — network configuration parsing with Go libcni semantics (see conf.h).
#include "src/conf/conf.h"

#include <optional>

#include "src/conf/plugin_conf_check.h"
#include "src/spec/go_json.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

namespace cni::conf {
namespace {

using spec::goJsonKind;
using spec::goQuote;
using spec::goReMarshal;
using spec::goTypeName;

constexpr std::string_view kListPrefix = "error parsing configuration list: ";
constexpr std::string_view kPluginPrefix = "error parsing configuration: ";

std::unexpected<Error> listError(std::string_view msg) {
  return fail(ErrorCode::kInvalidNetworkConfig, std::string(kListPrefix) + std::string(msg));
}

// json.Unmarshal's syntax checks, with Go's words where nlohmann's would mislead: Go rejects a
// UTF-8 byte order mark (nlohmann silently skips it, so a file every Go runtime refuses would
// load here), and reports blank input as "unexpected end of JSON input".
Expected<Json> parseDocument(std::string_view text, std::string_view what) {
  auto syntax = [&](std::string_view m) {
    return fail(ErrorCode::kDecodingFailure,
                "error parsing " + std::string(what) + ": " + std::string(m));
  };
  if (text.starts_with("\xEF\xBB\xBF")) {
    return syntax("invalid character '\xC3\xAF' looking for beginning of value");
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return syntax("unexpected end of JSON input");
  }
  // Go's scanner rules, nesting depth included: a list nested beyond 10000 levels is refused
  // by every Go runtime ("exceeded max depth"), so it must not load here either (issue #7).
  if (auto e = spec::goJsonSyntaxError(text)) return syntax(*e);
  return spec::parseJson(text, what);
}

// Decodes one plugin object as Go's types.PluginConf. `obj` may be null (Go decodes `null` into
// a struct as a no-op, which then fails the 'type' check).
Expected<PluginConf> pluginFromJson(const Json& obj, std::string bytes) {
  CNI_TRY_CTX(checkPluginConfFields(obj), "error parsing configuration");
  PluginConf p;
  if (const Json* t = spec::findKey(obj, "type"); t != nullptr && t->is_string()) {
    p.type = t->get<std::string>();
  }
  if (p.type.empty()) {
    return fail(ErrorCode::kInvalidNetworkConfig, std::string(kPluginPrefix) + "missing 'type'");
  }
  // Stricter than Go, which only fails later in FindInPath: a type names a binary inside
  // CNI_PATH, so a path can only be a mistake (or an attempt to run something outside it).
  if (p.type.find('/') != std::string::npos) {
    return fail(ErrorCode::kInvalidNetworkConfig, std::string(kPluginPrefix) + "invalid 'type' " +
                                                      goQuote(p.type) +
                                                      ": must be a plugin name, not a path");
  }
  if (const Json* caps = spec::findKey(obj, "capabilities"); caps != nullptr && caps->is_object()) {
    for (auto it = caps->begin(); it != caps->end(); ++it) {
      p.capabilities[it.key()] = it.value().is_boolean() && it.value().get<bool>();
    }
  }
  p.raw = obj;
  p.bytes = std::move(bytes);
  return p;
}

std::string stringField(const Json& obj, std::string_view key) {
  const Json* v = spec::findKey(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// The cniVersion / cniVersions rule of NetworkConfFromBytes.
Expected<std::string> selectVersion(const Json& top, NetworkConfigList& list) {
  std::string cni_version;
  if (auto it = top.find("cniVersion"); it != top.end()) {
    if (!it->is_string()) return listError("invalid cniVersion type " + goTypeName(*it));
    cni_version = it->get<std::string>();
  }
  auto it = top.find("cniVersions");
  if (it == top.end()) return cni_version;
  // Go formats the zero value of the failed type assertion here, so the message always names
  // []interface {} whatever the actual type was.
  if (!it->is_array()) return listError("invalid type for cniVersions: []interface {}");
  static const spec::Version kCurrent = *spec::parseVersion(spec::kCurrentVersion);
  std::vector<std::string> candidates;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& rv = (*it)[i];
    if (!rv.is_string()) {
      return listError("invalid type for cniVersions index " + std::to_string(i) + ": " +
                       goTypeName(rv));
    }
    std::string v = rv.get<std::string>();
    list.cni_versions.push_back(v);
    auto parsed = spec::parseVersion(v);
    if (!parsed) {
      return listError("invalid cniVersions entry " + v + " at index " + std::to_string(i) + ": " +
                       parsed.error().msg);
    }
    if (*parsed <= kCurrent) candidates.push_back(std::move(v));  // newer: silently skipped
  }
  if (!cni_version.empty()) {
    auto parsed = spec::parseVersion(cni_version);
    if (!parsed) {
      return listError("invalid cniVersion " + cni_version + ": " + parsed.error().msg);
    }
    if (*parsed <= kCurrent) candidates.push_back(cni_version);
  }
  // Nothing usable: Go keeps cniVersion as written (even if it is too new or empty).
  if (candidates.empty()) return cni_version;
  // Every candidate parses and is <= current, so this cannot fail; ties keep the first written,
  // as Go's sort does for the short lists that occur in practice.
  return spec::highestSupported(candidates);
}

Expected<bool> readBool(const Json& top, std::string_view key) {
  auto it = top.find(std::string(key));
  if (it == top.end()) return false;
  if (auto b = spec::goBool(*it, key)) return *b;
  if (!it->is_string()) {
    return listError("invalid type " + goTypeName(*it) + " for " + std::string(key));
  }
  std::string s = it->get<std::string>();
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return listError("invalid value " + goQuote(s) + " for " + std::string(key));
}

}  // namespace

Expected<NetworkConfigList> confListFromBytes(std::string_view bytes) {
  CNI_ASSIGN_OR_RETURN(Json top, parseDocument(bytes, "configuration list"));
  if (top.is_null()) top = Json::object();  // Go: `null` decodes into a nil map
  if (!top.is_object()) {
    return listError("json: cannot unmarshal " + goJsonKind(top) +
                     " into Go value of type map[string]interface {}");
  }

  NetworkConfigList list;
  auto name = top.find("name");
  if (name == top.end()) return listError("no name");
  if (!name->is_string()) return listError("invalid name type " + goTypeName(*name));
  list.name = name->get<std::string>();

  CNI_ASSIGN_OR_RETURN(list.cni_version, selectVersion(top, list));
  CNI_ASSIGN_OR_RETURN(list.disable_check, readBool(top, "disableCheck"));
  CNI_ASSIGN_OR_RETURN(list.disable_gc, readBool(top, "disableGC"));
  CNI_ASSIGN_OR_RETURN(list.load_only_inlined_plugins, readBool(top, "loadOnlyInlinedPlugins"));
  list.bytes = std::string(bytes);

  auto plugins = top.find("plugins");
  if (plugins == top.end()) {
    // Plugins may all come from the <dir>/<name>/ subfolder; only "inlined only" forbids that.
    if (list.load_only_inlined_plugins) {
      return listError("`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    }
    return list;
  }
  if (!plugins->is_array()) return listError("invalid 'plugins' type " + goTypeName(*plugins));
  if (plugins->empty()) return listError("no plugins in list");
  for (size_t i = 0; i < plugins->size(); ++i) {
    const Json& obj = (*plugins)[i];
    auto p = pluginFromJson(obj, goReMarshal(obj));
    if (!p) {
      return fail(
          std::move(p).error().withContext("failed to parse plugin config " + std::to_string(i)));
    }
    list.plugins.push_back(std::move(*p));
  }
  return list;
}

Expected<PluginConf> pluginConfFromBytes(std::string_view bytes) {
  CNI_ASSIGN_OR_RETURN(Json obj, parseDocument(bytes, "configuration"));
  return pluginFromJson(obj, std::string(bytes));
}

Expected<NetworkConfig> confFromBytes(std::string_view bytes) {
  CNI_ASSIGN_OR_RETURN(Json obj, parseDocument(bytes, "configuration"));
  NetworkConfig conf;
  CNI_ASSIGN_OR_RETURN(conf.plugin, pluginFromJson(obj, std::string(bytes)));
  conf.name = stringField(obj, "name");
  conf.cni_version = stringField(obj, "cniVersion");
  return conf;
}

Expected<NetworkConfigList> confListFromConf(const NetworkConfig& conf) {
  // Go re-decodes the original bytes into a map rather than marshalling its struct, so the list
  // carries the object as written (unknown keys kept) instead of Go zero values.
  Json raw = conf.plugin.raw;
  if (!conf.plugin.bytes.empty()) {
    CNI_ASSIGN_OR_RETURN(raw, spec::parseJson(conf.plugin.bytes, "configuration"));
  }
  if (!raw.is_object()) {
    return fail(ErrorCode::kInvalidNetworkConfig,
                "json: cannot unmarshal " + goJsonKind(raw) +
                    " into Go value of type map[string]interface {}");
  }
  Json list_json = Json::object();
  list_json["name"] = conf.name;
  list_json["cniVersion"] = conf.cni_version;
  list_json["plugins"] = Json::array({std::move(raw)});
  CNI_ASSIGN_OR_RETURN(NetworkConfigList list, confListFromBytes(goReMarshal(list_json)));
  list.source = conf.source;
  return list;
}

}  // namespace cni::conf
