// src/invoke/version_probe.h — asking a plugin which spec versions it speaks (CNI_COMMAND=VERSION,
// Go invoke.GetVersionInfo + version.PluginDecoder).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/invoke/exec.h"

namespace cni::invoke {

struct PluginInfo {
  std::string cni_version;                      // the version the reply was written in
  std::vector<std::string> supported_versions;  // never empty on success
};

// Runs VERSION: env from versionArgs() on top of our environment, stdin {"cniVersion":"1.1.0"}.
// A plugin answering with the error text `unknown CNI_COMMAND: VERSION` predates the command
// and is reported as supporting only 0.1.0. Other plugin failures are returned unchanged.
Expected<PluginInfo> getVersionInfo(Exec& exec, const std::string& plugin_path);

// Go's PluginDecoder.Decode: `cniVersion` is required; a missing/empty `supportedVersions` is
// accepted only from a 0.2.0 plugin (which then supports {0.1.0, 0.2.0}). Keys match
// case-insensitively like Go's; unknown keys are ignored. Errors: kDecodingFailure,
// "decoding version info: ...".
Expected<PluginInfo> decodeVersionInfo(std::string_view json_text);

}  // namespace cni::invoke
