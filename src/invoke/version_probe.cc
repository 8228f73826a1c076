// src/invoke/version_probe.cc — the VERSION probe and the decoder of its reply.
#include "src/invoke/version_probe.h"

#include "src/invoke/args.h"
#include "src/spec/json.h"
#include "src/spec/version.h"

namespace cni::invoke {
namespace {

// Go's version.PluginSupports(...): the synthesized info claims our own current version.
PluginInfo pluginSupports(std::vector<std::string> versions) {
  return PluginInfo{std::string(spec::kCurrentVersion), std::move(versions)};
}

std::unexpected<Error> decodeError(std::string_view what) {
  return fail(ErrorCode::kDecodingFailure, "decoding version info: " + std::string(what));
}

}  // namespace

Expected<PluginInfo> decodeVersionInfo(std::string_view json_text) {
  auto parsed = spec::parseJson(json_text, "version info");
  if (!parsed) return decodeError(parsed.error().msg);
  const Json& j = *parsed;
  PluginInfo info;
  if (j.is_null()) return decodeError("missing field cniVersion");  // Go: null decodes to {}
  if (!j.is_object()) {
    return decodeError(std::string("cannot unmarshal ") + j.type_name() + " into version info");
  }
  if (const Json* v = spec::findKey(j, "cniVersion"); v && !v->is_null()) {
    if (!v->is_string()) return decodeError("cniVersion is not a string");
    info.cni_version = v->get<std::string>();
  }
  if (const Json* sv = spec::findKey(j, "supportedVersions"); sv && !sv->is_null()) {
    if (!sv->is_array()) return decodeError("supportedVersions is not an array");
    for (const Json& item : *sv) {
      if (!item.is_string()) return decodeError("supportedVersions holds a non-string");
      info.supported_versions.push_back(item.get<std::string>());
    }
  }
  if (info.cni_version.empty()) return decodeError("missing field cniVersion");
  if (info.supported_versions.empty()) {
    if (info.cni_version == "0.2.0") return pluginSupports({"0.1.0", "0.2.0"});
    return decodeError("missing field supportedVersions");
  }
  return info;
}

Expected<PluginInfo> getVersionInfo(Exec& exec, const std::string& plugin_path) {
  const std::string stdin_data =
      std::string(R"({"cniVersion":")") + std::string(spec::kCurrentVersion) + "\"}";
  auto out = exec.execPlugin(plugin_path, stdin_data, buildEnv(versionArgs()));
  if (!out) {
    // Go compares the whole error text ("msg" or "msg; details").
    if (out.error().toString() == "unknown CNI_COMMAND: VERSION") return pluginSupports({"0.1.0"});
    return std::unexpected(std::move(out).error());
  }
  return decodeVersionInfo(*out);
}

}  // namespace cni::invoke
