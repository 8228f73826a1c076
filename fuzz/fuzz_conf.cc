// fuzz/fuzz_conf.cc — libFuzzer target: network configuration bytes as the runtime loads them.
//
// The input is one file's bytes, read three ways (src/conf/conf.h): as a `.conflist`
// (confListFromBytes), as a `.conf` upconverted to a list (confFromBytes + confListFromConf) and
// as a subfolder plugin file (pluginConfFromBytes). For every list that loads, the stdin each
// plugin would receive is built (libcni::CniConfig::buildPluginConfig, with and without a
// prevResult, with capability arguments for every well-known capability).
//
// Invariants (abort = bug): failures carry code 6 (malformed JSON) or 7 (invalid configuration);
// a loaded list keeps its bytes and its plugins reload from their own bytes with the same type
// and capabilities; a `.conf` that loads always upconverts, to one plugin of the same type; the
// built stdin is a JSON object carrying the list's name and cniVersion, the exact prevResult
// and, for each capability the plugin enables, the runtime's argument.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "src/conf/conf.h"
#include "src/libcni/api.h"
#include "src/spec/json.h"
#include "src/spec/result.h"

namespace cni::fuzz {
namespace {

void checkConfError(const Error& e, const char* what) {
  checkError(e, {ErrorCode::kDecodingFailure, ErrorCode::kInvalidNetworkConfig}, what);
}

const spec::Result& prevResult() {
  static const spec::Result r = [] {
    spec::Result p;
    p.cni_version = "1.1.0";
    p.interfaces = {{.name = "eth0", .mac = "0a:58:0a:01:00:05", .sandbox = "/run/netns/pod"}};
    p.ips = {{.interface = 0, .address = "10.1.0.5/16", .gateway = "10.1.0.1"}};
    p.routes = {{.dst = "0.0.0.0/0", .gw = "10.1.0.1"}};
    p.dns.nameservers = {"10.96.0.10"};
    return p;
  }();
  return r;
}

// What a runtime passes: every capability the reference plugins know.
const libcni::RuntimeConf& runtimeConf() {
  static const libcni::RuntimeConf rt{
      .container_id = "cid",
      .netns = "/run/netns/pod",
      .ifname = "eth0",
      .args = {{"IgnoreUnknown", "1"}},
      .capability_args = Json::parse(R"({
        "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
        "bandwidth": {"ingressRate": 1000000, "ingressBurst": 100000},
        "ipRanges": [[{"subnet": "10.2.0.0/24"}]],
        "ips": ["10.2.0.7/24"], "mac": "0a:58:0a:02:00:07", "dns": {"servers": ["1.1.1.1"]},
        "aliases": ["pod"], "deviceID": "0000:00:01.0", "infinibandGUID": "guid",
        "io.kubernetes.cri.pod-annotations": {"a": "b"}, "cgroupPath": "/kubepods/pod"})"),
  };
  return rt;
}

// The stdin libcnikit would send to plugin `p` of `list`.
void checkPluginStdin(const conf::NetworkConfigList& list, const conf::PluginConf& p) {
  for (const spec::Result* prev : {static_cast<const spec::Result*>(nullptr), &prevResult()}) {
    auto out =
        libcni::CniConfig::buildPluginConfig(p, list.name, list.cni_version, prev, runtimeConf());
    FUZZ_CHECK(out.has_value(), "buildPluginConfig failed: " + out.error().msg);
    auto j = spec::parseJson(*out, "plugin stdin");
    FUZZ_CHECK(j.has_value() && j->is_object(), "plugin stdin is not a JSON object: " + *out);
    FUZZ_CHECK(j->value("name", Json()) == list.name, "name lost: " + *out);
    FUZZ_CHECK(j->value("cniVersion", Json()) == list.cni_version, "cniVersion lost: " + *out);
    if (prev != nullptr) {
      auto back = spec::resultFromJson(j->value("prevResult", Json()), "1.1.0");
      FUZZ_CHECK(back.has_value() && *back == *prev, "prevResult not injected intact: " + *out);
    }
    const Json& caps = runtimeConf().capability_args;
    for (const auto& [cap, enabled] : p.capabilities) {
      if (!enabled || !caps.contains(cap)) continue;
      const Json rc = j->value("runtimeConfig", Json::object());
      FUZZ_CHECK(rc.is_object() && rc.value(cap, Json()) == caps[cap],
                 "runtimeConfig." + cap + " not injected: " + *out);
    }
  }
}

void checkList(const conf::NetworkConfigList& list, std::string_view bytes) {
  FUZZ_CHECK(list.bytes == bytes, "list bytes not kept");
  for (const conf::PluginConf& p : list.plugins) {
    FUZZ_CHECK(!p.type.empty() && p.type.find('/') == std::string::npos, "bad type: " + p.type);
    // A member's bytes are its object re-marshalled: they load as a plugin file, identically.
    auto again = conf::pluginConfFromBytes(p.bytes);
    FUZZ_CHECK(again.has_value(), "plugin bytes do not reload: " + p.bytes + "\n" +
                                      (again ? std::string() : again.error().msg));
    FUZZ_CHECK(again->type == p.type && again->capabilities == p.capabilities,
               "plugin changed on reload: " + p.bytes);
    checkPluginStdin(list, p);
  }
}

void fuzzList(std::string_view bytes) {
  auto list = conf::confListFromBytes(bytes);
  if (!list) return checkConfError(list.error(), "confListFromBytes");
  checkList(*list, bytes);
}

void fuzzSingle(std::string_view bytes) {
  auto single = conf::confFromBytes(bytes);
  if (!single) return checkConfError(single.error(), "confFromBytes");
  FUZZ_CHECK(single->plugin.bytes == bytes, "conf bytes not kept");
  auto list = conf::confListFromConf(*single);
  FUZZ_CHECK(list.has_value(), "a loaded .conf does not upconvert: " + list.error().msg);
  FUZZ_CHECK(list->plugins.size() == 1 && list->plugins[0].type == single->plugin.type &&
                 list->name == single->name && list->cni_version == single->cni_version,
             "upconverted list differs: " + list->bytes);
  checkList(*list, list->bytes);
}

void fuzzPluginFile(std::string_view bytes) {
  auto p = conf::pluginConfFromBytes(bytes);
  if (!p) return checkConfError(p.error(), "pluginConfFromBytes");
  FUZZ_CHECK(p->bytes == bytes, "plugin file bytes not kept");
}

}  // namespace
}  // namespace cni::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cni::fuzz::fuzzList(bytes);
  cni::fuzz::fuzzSingle(bytes);
  cni::fuzz::fuzzPluginFile(bytes);
  return 0;
}
