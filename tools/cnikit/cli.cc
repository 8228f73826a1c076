// tools/cnikit/cli.cc — environment handling, loading, error reporting for `cnikit`.
#include "tools/cnikit/cli.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "src/common/sha512.h"
#include "src/invoke/find.h"
#include "src/spec/cni_args.h"
#include "src/spec/error_json.h"
#include "src/spec/go_json.h"
#include "src/spec/json.h"

namespace cni::tools {
namespace {

std::string envOr(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string(fallback);
}

std::string_view codeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kUnknown:
      return "unknown";
    case ErrorCode::kIncompatibleCniVersion:
      return "incompatible CNI version";
    case ErrorCode::kUnsupportedField:
      return "unsupported field";
    case ErrorCode::kUnknownContainer:
      return "unknown container";
    case ErrorCode::kInvalidEnvironmentVariables:
      return "invalid environment variables";
    case ErrorCode::kIoFailure:
      return "I/O failure";
    case ErrorCode::kDecodingFailure:
      return "decoding failure";
    case ErrorCode::kInvalidNetworkConfig:
      return "invalid network config";
    case ErrorCode::kInvalidNetNs:
      return "invalid network namespace";
    case ErrorCode::kTryAgainLater:
      return "try again later";
    case ErrorCode::kPluginNotAvailable:
      return "plugin not available";
    case ErrorCode::kPluginNotAvailableLimitedConnectivity:
      return "plugin not available, existing containers degraded";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "plugin-specific";
}

}  // namespace

void applyEnvironment(GlobalOptions& g) {
  if (g.conf_dir.empty()) g.conf_dir = envOr("NETCONFPATH", "/etc/cni/net.d");
  if (g.cni_path.empty()) g.cni_path = envOr("CNI_PATH", "");
  if (g.ifname.empty()) g.ifname = envOr("CNI_IFNAME", "eth0");
  if (g.cap_args.empty()) g.cap_args = envOr("CAP_ARGS", "");
  if (g.cni_args.empty()) g.cni_args = envOr("CNI_ARGS", "");
}

libcni::Options libcniOptions(const GlobalOptions& g) {
  libcni::Options o;
  o.path = invoke::splitPath(g.cni_path);
  o.cache_dir = g.cache_dir;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(g.timeout_s * 1000));
  return o;
}

std::string cnitoolContainerId(const std::string& abs_netns) {
  return "cnitool-" + sha512Hex(abs_netns).substr(0, 20);
}

Expected<conf::NetworkConfigList> loadNetwork(const GlobalOptions& g, const std::string& name) {
  return conf::loadConfList(g.conf_dir, name);
}

Expected<libcni::RuntimeConf> runtimeConf(const GlobalOptions& g, const std::string& netns) {
  libcni::RuntimeConf rt;
  if (!netns.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(netns, ec);
    rt.netns = ec ? netns : abs.lexically_normal().string();
  }
  rt.container_id = g.container_id.empty() ? cnitoolContainerId(rt.netns) : g.container_id;
  rt.ifname = g.ifname;
  if (!g.cni_args.empty()) {
    CNI_ASSIGN_OR_RETURN(rt.args, spec::parseCniArgsStrict(g.cni_args));
  }
  if (!g.cap_args.empty()) {
    // cnitool decodes CAP_ARGS with json.Unmarshal: Go's syntax rules and depth limit.
    if (auto e = spec::goJsonSyntaxError(g.cap_args)) {
      return fail(ErrorCode::kDecodingFailure, "error parsing CAP_ARGS: " + *e);
    }
    CNI_ASSIGN_OR_RETURN(rt.capability_args, spec::parseJson(g.cap_args, "CAP_ARGS"));
    if (!rt.capability_args.is_object()) {
      return fail(ErrorCode::kDecodingFailure, "CAP_ARGS must be a JSON object");
    }
  }
  return rt;
}

int reportError(const GlobalOptions& g, std::string_view command, const Error& e) {
  if (g.json_errors) {
    std::fprintf(stderr, "%s\n", spec::encodeErrorJson(e).c_str());
    return kExitFailed;
  }
  std::fprintf(stderr, "cnikit %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               e.msg.c_str());
  if (!e.details.empty()) std::fprintf(stderr, "  details: %s\n", e.details.c_str());
  std::fprintf(stderr, "  CNI error code %u (%.*s)\n", e.codeValue(),
               static_cast<int>(codeName(e.code).size()), codeName(e.code).data());
  return kExitFailed;
}

}  // namespace cni::tools
