// fuzz/fuzz_cni_args.cc — libFuzzer target: CNI_ARGS on both sides of the protocol
// (src/spec/cni_args.h), the runtime's plugin environment (src/invoke/args.h) and the plugin
// side's environment and stdin handling (src/skel/skel.h pluginMain, with stub verbs).
//
// Input: newline-separated lines — the versions the stub plugin supports ("0.x": 0.1.0-0.4.0,
// "1.1.0": only that one, anything else: all), CNI_COMMAND, CNI_ARGS, CNI_CONTAINERID,
// CNI_IFNAME, CNI_NETNS, CNI_PATH, CNI_NETNS_OVERRIDE (an empty line leaves a variable unset) —
// and the rest as stdin.
// pluginMain runs with the own-netns check marked as done (it would open CNI_NETNS), so nothing
// outside the process is touched.
//
// Invariants (abort = bug): CNI_ARGS failures are code 4; a strictly parsed CNI_ARGS formats
// back to itself; loadArgs only returns known keys, and no key or value holds '=' or ';'; the
// plugin environment carries each CNI_* variable once, with the given value; pluginMain exits
// 0 or 1, prints a decodable CNI error object exactly when it exits 1, and calls a verb only
// with the environment and stdin it was given and a config that passed its checks.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "src/invoke/args.h"
#include "src/skel/skel.h"
#include "src/spec/cni_args.h"
#include "src/spec/error_json.h"
#include "src/spec/json.h"
#include "src/spec/validate.h"
#include "src/spec/version.h"

namespace cni::fuzz {
namespace {

constexpr std::array<std::string_view, 4> kKnownKeys = {"IP", "MAC", "GATEWAY", "K8S_POD_NAME"};

void fuzzStrict(std::string_view args) {
  auto pairs = spec::parseCniArgsStrict(args);
  if (!pairs) return checkError(pairs.error(), {ErrorCode::kInvalidEnvironmentVariables}, "strict");
  for (const auto& [k, v] : *pairs) {
    FUZZ_CHECK(!k.empty() && !v.empty(), "empty key or value accepted");
    FUZZ_CHECK(
        k.find_first_of("=;") == std::string::npos && v.find_first_of("=;") == std::string::npos,
        "separator inside a pair: " + k + "=" + v);
  }
  FUZZ_CHECK(spec::formatCniArgs(*pairs) == args, "CNI_ARGS do not format back to themselves");
}

void fuzzLoadArgs(std::string_view args) {
  auto loaded = spec::loadArgs(args, kKnownKeys);
  if (!loaded) return checkError(loaded.error(), {ErrorCode::kInvalidEnvironmentVariables}, "load");
  FUZZ_CHECK(loaded->unknown.empty() || loaded->ignore_unknown, "unknown keys accepted");
  for (const auto& [k, v] : loaded->known) {
    FUZZ_CHECK(std::find(kKnownKeys.begin(), kKnownKeys.end(), k) != kKnownKeys.end(),
               "unknown key returned as known: " + k);
    FUZZ_CHECK(
        k.find_first_of("=;") == std::string::npos && v.find_first_of("=;") == std::string::npos,
        "separator inside a pair: " + k + "=" + v);
    const std::string* last = loaded->get(k);
    FUZZ_CHECK(last != nullptr, "get() misses a known key");
  }
}

// The runtime side: the environment libcnikit execs a plugin with.
void fuzzBuildEnv(const invoke::Args& a) {
  // A runtime environment with stale CNI_* values, which must not leak through.
  std::string stale_args = "CNI_ARGS=stale", path = "PATH=/usr/bin", stale_cmd = "CNI_COMMAND=X";
  char* base[] = {path.data(), stale_args.data(), stale_cmd.data(), nullptr};
  const std::vector<std::string> env = invoke::buildEnv(a, base);
  const std::map<std::string_view, const std::string*> want = {
      {"CNI_COMMAND", &a.command}, {"CNI_CONTAINERID", &a.container_id},
      {"CNI_NETNS", &a.netns},     {"CNI_ARGS", &a.plugin_args},
      {"CNI_IFNAME", &a.ifname},   {"CNI_PATH", &a.path}};
  for (const auto& [name, value] : want) {
    const std::string prefix = std::string(name) + "=";
    size_t n = 0;
    for (const std::string& e : env) {
      if (!e.starts_with(prefix)) continue;
      ++n;
      FUZZ_CHECK(e.substr(prefix.size()) == *value, "wrong value in " + e);
    }
    FUZZ_CHECK(n == 1, "not exactly one " + std::string(name));
  }
}

// --- pluginMain with stub verbs ------------------------------------------------------------

// What the verb must be called with (set before each pluginMain run).
struct VerbCall {
  skel::CmdArgs args;
  bool called = false;
};
VerbCall g_want;

void checkCall(const skel::CmdArgs& got) {
  g_want.called = true;
  const skel::CmdArgs& w = g_want.args;
  FUZZ_CHECK(got.container_id == w.container_id && got.netns == w.netns && got.ifname == w.ifname &&
                 got.args == w.args && got.path == w.path &&
                 got.netns_override == w.netns_override && got.stdin_data == w.stdin_data,
             "verb called with arguments other than the environment and stdin");
  // skel only calls a verb for a config that is a JSON object with a valid network name.
  auto conf = spec::parseJson(got.stdin_data, "config");
  FUZZ_CHECK(conf.has_value() && conf->is_object(), "verb called with a non-object config");
  const Json* name = spec::findKey(*conf, "name");
  FUZZ_CHECK(name != nullptr && name->is_string() &&
                 spec::validateNetworkName(name->get<std::string>()).has_value(),
             "verb called with an invalid network name");
  // What a plugin then does with CNI_ARGS.
  fuzzLoadArgs(got.args);
}

constexpr std::string_view kAddOutput = R"({"cniVersion": "1.1.0", "dns": {}})";

Expected<std::string> stubAdd(const skel::CmdArgs& a) {
  checkCall(a);
  return std::string(kAddOutput);
}
Status stubCmd(const skel::CmdArgs& a) {
  checkCall(a);
  return {};
}

void fuzzPluginMain(std::string_view versions, const std::map<std::string, std::string>& env,
                    std::string_view stdin_data) {
  const std::span<const std::string_view> all = spec::kAllVersions;
  const skel::PluginSpec spec{.name = "fuzz",
                              .versions = versions == "0.x"     ? all.first(5)
                                          : versions == "1.1.0" ? all.last(1)
                                                                : all,
                              .add = stubAdd,
                              .del = stubCmd,
                              .check = stubCmd,
                              .gc = stubCmd,
                              .status = stubCmd};
  skel::Io io;
  io.getenv = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  io.stdin_data = std::string(stdin_data);
  io.netns_checked = true;  // the own-netns check opens CNI_NETNS: not ours to touch

  auto getenv = [&](const char* name) {
    const char* v = io.getenv(name);
    return std::string(v ? v : "");
  };
  g_want = {};
  g_want.args = {.container_id = getenv("CNI_CONTAINERID"),
                 .netns = getenv("CNI_NETNS"),
                 .ifname = getenv("CNI_IFNAME"),
                 .args = getenv("CNI_ARGS"),
                 .path = getenv("CNI_PATH"),
                 .stdin_data = std::string(stdin_data)};
  const std::string override_value = getenv("CNI_NETNS_OVERRIDE");
  std::string lower = override_value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  g_want.args.netns_override = override_value == "1" || lower == "true";

  const int rc = skel::pluginMain(spec, io);
  FUZZ_CHECK(rc == 0 || rc == 1, "exit status " + std::to_string(rc));
  const std::string cmd = getenv("CNI_COMMAND");
  if (rc == 1) {
    auto e = spec::decodeErrorJson(io.out);
    FUZZ_CHECK(e.has_value() && !e->msg.empty(), "exit 1 without an error object: " + io.out);
    FUZZ_CHECK(!g_want.called, "the stub verb succeeded, yet exit 1: " + io.out);
    return;
  }
  if (cmd.empty()) {
    FUZZ_CHECK(io.out.empty() && !io.err.empty(), "no CNI_COMMAND must print the about text");
  } else if (cmd == "VERSION") {
    auto j = spec::parseJson(io.out, "version");
    FUZZ_CHECK(j.has_value() && j->is_object() && j->contains("supportedVersions"),
               "bad VERSION output: " + io.out);
  } else if (cmd == "ADD") {
    FUZZ_CHECK(g_want.called && io.out == kAddOutput, "ADD succeeded without its result");
  } else {
    FUZZ_CHECK(io.out.empty(), cmd + " printed on success: " + io.out);
  }
}

void fuzzNames(const std::string& cid, const std::string& ifname) {
  if (auto s = spec::validateContainerId(cid); !s) {
    checkError(s.error(), {ErrorCode::kUnknownContainer, ErrorCode::kInvalidEnvironmentVariables},
               "validateContainerId");
  }
  if (auto s = spec::validateInterfaceName(ifname); s) {
    FUZZ_CHECK(!ifname.empty() && ifname.size() <= 15 && ifname != "." && ifname != ".." &&
                   ifname.find_first_of("/: \t\n\r\v\f") == std::string::npos,
               "bad interface name accepted: " + ifname);
  } else {
    checkError(s.error(), {ErrorCode::kInvalidEnvironmentVariables}, "validateInterfaceName");
  }
}

}  // namespace
}  // namespace cni::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cni;
  fuzz::Input in(data, size);
  const std::string_view versions = in.until('\n');
  std::map<std::string, std::string> env;
  for (const char* name : {"CNI_COMMAND", "CNI_ARGS", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS",
                           "CNI_PATH", "CNI_NETNS_OVERRIDE"}) {
    env[name] = std::string(in.until('\n'));
  }
  const std::string_view stdin_data = in.rest();

  const std::string& args = env["CNI_ARGS"];
  fuzz::fuzzStrict(args);
  fuzz::fuzzLoadArgs(args);
  fuzz::fuzzBuildEnv({.command = env["CNI_COMMAND"],
                      .container_id = env["CNI_CONTAINERID"],
                      .netns = env["CNI_NETNS"],
                      .ifname = env["CNI_IFNAME"],
                      .plugin_args = args,
                      .path = env["CNI_PATH"]});
  fuzz::fuzzNames(env["CNI_CONTAINERID"], env["CNI_IFNAME"]);
  fuzz::fuzzPluginMain(versions, env, stdin_data);
  return 0;
}
