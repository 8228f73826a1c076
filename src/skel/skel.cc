// src/skel/skel.cc — the protocol dispatcher of pluginMain (see skel.h for the rules).
#include "src/skel/skel.h"

#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>

#include "src/netns/netns.h"
#include "src/spec/error_json.h"
#include "src/spec/go_json.h"
#include "src/spec/go_text.h"
#include "src/spec/json.h"
#include "src/spec/validate.h"
#include "src/spec/version.h"

#ifndef CNIKIT_VERSION
#define CNIKIT_VERSION "0.0.0"
#endif

namespace cni::skel {
namespace {

enum Verb : uint8_t { kAdd = 1, kCheck = 2, kDel = 4, kGc = 8, kStatus = 16 };

uint8_t verbBit(std::string_view cmd) {
  if (cmd == "ADD") return kAdd;
  if (cmd == "CHECK") return kCheck;
  if (cmd == "DEL") return kDel;
  if (cmd == "GC") return kGc;
  if (cmd == "STATUS") return kStatus;
  return 0;
}

// The environment table of Go's getCmdArgsFromEnv, in its order (the order of the names in the
// "missing" message).
struct EnvVar {
  const char* name;
  uint8_t required_for;
  Status (*validate)(std::string_view);  // run on a present value of a required variable
};
constexpr EnvVar kEnv[] = {
    {"CNI_COMMAND", kAdd | kCheck | kDel | kGc | kStatus, nullptr},
    {"CNI_CONTAINERID", kAdd | kCheck | kDel, &spec::validateContainerId},
    {"CNI_NETNS", kAdd | kCheck, nullptr},
    {"CNI_IFNAME", kAdd | kCheck | kDel, &spec::validateInterfaceName},
    {"CNI_ARGS", 0, nullptr},
    {"CNI_PATH", kAdd | kCheck | kDel | kGc | kStatus, nullptr},
    {"CNI_NETNS_OVERRIDE", 0, nullptr},
};

std::string env(const Io& io, const char* name) {
  const char* v = io.getenv ? io.getenv(name) : nullptr;
  return v ? std::string(v) : std::string();
}

struct Request {
  std::string cmd;
  CmdArgs args;
  Json config;  // parsed stdin (not for VERSION)
};

Expected<Request> readEnvironment(const Io& io) {
  Request r;
  std::string values[std::size(kEnv)];
  const uint8_t bit = verbBit(env(io, "CNI_COMMAND"));
  std::string missing;
  for (size_t i = 0; i < std::size(kEnv); ++i) {
    values[i] = env(io, kEnv[i].name);
    const bool required = (kEnv[i].required_for & bit) != 0;
    if (values[i].empty()) {
      if (required || i == 0) missing += (missing.empty() ? "" : ",") + std::string(kEnv[i].name);
    } else if (required && kEnv[i].validate) {
      CNI_TRY(kEnv[i].validate(values[i]));
    }
  }
  if (!missing.empty()) {
    return fail(ErrorCode::kInvalidEnvironmentVariables,
                "required env variables [" + missing + "] missing");
  }
  r.cmd = values[0];
  r.args.container_id = values[1];
  r.args.netns = values[2];
  r.args.ifname = values[3];
  r.args.args = values[4];
  r.args.path = values[5];
  r.args.netns_override = values[6] == "1" || ::strcasecmp(values[6].c_str(), "true") == 0;
  return r;
}

Expected<std::string> readStdin(Io& io) {
  if (!io.read_stdin) return io.stdin_data;
  auto data = io.read_stdin();
  if (!data) {
    return fail(ErrorCode::kIoFailure, "error reading from stdin: " + data.error().msg);
  }
  return data;
}

// Go's validateConfig: stdin must decode into struct{Name string} and name must be valid.
Expected<Json> validateConfig(std::string_view data) {
  static constexpr std::string_view kPrefix = "error unmarshall network config: ";
  auto bad = [](std::string text) {
    return fail(ErrorCode::kDecodingFailure, std::string(kPrefix) + text);
  };
  if (auto syntax = spec::goJsonSyntaxError(data)) return bad(std::move(*syntax));
  auto parsed = spec::parseJson(data, "network configuration");
  if (!parsed) return bad(parsed.error().msg);  // valid for Go, not for nlohmann (bad UTF-8)
  const Json& j = *parsed;
  if (!j.is_null() && !j.is_object()) {
    return bad(spec::goValueTypeError(j, "struct { Name string \"json:\\\"name\\\"\" }"));
  }
  std::string name;
  if (const Json* n = spec::findKey(j, "name"); n && !n->is_null()) {
    if (!n->is_string()) return bad(spec::goFieldTypeError(*n, ".name", "string"));
    name = n->get<std::string>();
  }
  if (name.empty()) return fail(ErrorCode::kInvalidNetworkConfig, "missing network name");
  CNI_TRY(spec::validateNetworkName(name));
  return std::move(*parsed);
}

// Go's version.ConfigDecoder: cniVersion, "" meaning 0.1.0.
Expected<std::string> configVersion(const Json& config) {
  const Json* v = spec::findKey(config, "cniVersion");
  if (v && !v->is_null() && !v->is_string()) {
    return fail(ErrorCode::kDecodingFailure,
                "decoding version from network config: " +
                    spec::goFieldTypeError(*v, ".cniVersion", "string"));
  }
  std::string version = (v && v->is_string()) ? v->get<std::string>() : std::string();
  return version.empty() ? std::string("0.1.0") : version;
}

Status reconcile(const PluginSpec& spec, std::string_view version) {
  if (std::find(spec.versions.begin(), spec.versions.end(), version) != spec.versions.end()) {
    return {};
  }
  std::string supported;
  for (std::string_view v : spec.versions) {
    supported += (supported.empty() ? "" : " ") + spec::goQuote(v);
  }
  return fail(ErrorCode::kIncompatibleCniVersion, "incompatible CNI versions",
              "config is " + spec::goQuote(version) + ", plugin supports [" + supported + "]");
}

Expected<bool> atLeast(std::string_view a, std::string_view b) {
  auto r = spec::versionAtLeast(a, b);
  if (!r) return fail(ErrorCode::kDecodingFailure, r.error().msg);
  return *r;
}

// CHECK, GC and STATUS: the config must be new enough for the verb, and some supported version
// must be >= the config's (then the exact-match reconcile of the other verbs applies).
Status gatedCall(const PluginSpec& spec, const Request& r, std::string_view floor, CmdFn fn) {
  CNI_ASSIGN_OR_RETURN(std::string version, configVersion(r.config));
  CNI_ASSIGN_OR_RETURN(bool new_enough, atLeast(version, floor));
  if (!new_enough) {
    return fail(ErrorCode::kIncompatibleCniVersion, "config version does not allow " + r.cmd);
  }
  for (std::string_view pv : spec.versions) {
    CNI_ASSIGN_OR_RETURN(bool ok, atLeast(pv, version));
    if (ok) {
      CNI_TRY(reconcile(spec, version));
      return fn ? fn(r.args) : Status{};
    }
  }
  return fail(ErrorCode::kIncompatibleCniVersion, "plugin version does not allow " + r.cmd);
}

// Go's ns.CheckNetNS: a CNI_NETNS that cannot be opened is not "ours" (DEL of a deleted netns).
Status checkNotOwnNetns(const CmdArgs& args) {
  if (args.netns_override) return {};
  auto target = netns::NetNs::openIfExists(args.netns);
  if (!target || !*target) return {};
  auto own = netns::NetNs::current();
  if (!own) return fail(ErrorCode::kInvalidNetNs, "get plugin's netns failed");
  if (own->sameAs(**target)) {
    return fail(ErrorCode::kInvalidNetNs,
                "plugin's netns and netns from CNI_NETNS should not be the same");
  }
  return {};
}

std::string versionJson(const PluginSpec& spec) {
  OrderedJson j;
  j["cniVersion"] = std::string(spec::kCurrentVersion);
  j["supportedVersions"] = OrderedJson::array();
  for (std::string_view v : spec.versions) j["supportedVersions"].push_back(std::string(v));
  return spec::goMarshal(j) + "\n";  // json.Encoder.Encode: compact plus newline
}

// Everything after the environment checks; success output goes to io.out.
Status dispatch(const PluginSpec& spec, Request& r, Io& io) {
  if (r.cmd == "VERSION") {
    io.out += versionJson(spec);
    return {};
  }
  CNI_ASSIGN_OR_RETURN(r.args.stdin_data, readStdin(io));
  CNI_ASSIGN_OR_RETURN(r.config, validateConfig(r.args.stdin_data));
  if (r.cmd == "ADD" || r.cmd == "DEL") {
    CNI_ASSIGN_OR_RETURN(std::string version, configVersion(r.config));
    CNI_TRY(reconcile(spec, version));
    if (!io.netns_checked) CNI_TRY(checkNotOwnNetns(r.args));
    if (r.cmd == "DEL") return spec.del ? spec.del(r.args) : Status{};
    if (!spec.add) return {};
    CNI_ASSIGN_OR_RETURN(std::string result, spec.add(r.args));
    io.out += result;
    return {};
  }
  if (r.cmd == "CHECK") return gatedCall(spec, r, "0.4.0", spec.check);
  if (r.cmd == "GC") return gatedCall(spec, r, "1.1.0", spec.gc);
  if (r.cmd == "STATUS") return gatedCall(spec, r, "1.1.0", spec.status);
  return fail(ErrorCode::kInvalidEnvironmentVariables, "unknown CNI_COMMAND: " + r.cmd);
}

std::string joined(std::span<const std::string_view> versions, std::string_view sep) {
  std::string out;
  for (std::string_view v : versions) {
    if (!out.empty()) out += sep;
    out += v;
  }
  return out;
}

int printError(const Error& e, Io& io) {
  io.out += spec::encodeErrorJson(e);
  return 1;
}

}  // namespace

std::string aboutText(const PluginSpec& spec) {
  if (!spec.about.empty()) return std::string(spec.about);
  return "CNI " + std::string(spec.name) + " plugin v" CNIKIT_VERSION;
}

int pluginMain(const PluginSpec& spec, Io& io) {
  try {
    auto request = readEnvironment(io);
    if (!request) {
      if (request.error().code == ErrorCode::kInvalidEnvironmentVariables &&
          env(io, "CNI_COMMAND").empty()) {
        io.err += aboutText(spec) + "\n";
        io.err += "CNI protocol versions supported: " + joined(spec.versions, ", ") + "\n";
        return 0;
      }
      return printError(request.error(), io);
    }
    if (Status s = dispatch(spec, *request, io); !s) return printError(s.error(), io);
    return 0;
  } catch (const std::exception& e) {
    return printError(Error(ErrorCode::kInternal, e.what()), io);
  } catch (...) {
    return printError(Error(ErrorCode::kInternal, "unknown exception"), io);
  }
}

}  // namespace cni::skel
