// fuzz/plugin_decoders/static.cc — the static IPAM plugin: decoding, ADD and CHECK.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/ipam/static.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeStatic(std::string_view stdin_data, std::string_view cni_args) {
  namespace p = plugins::static_ipam;
  CNI_TRY(p::loadConf(stdin_data, cni_args));
  const skel::CmdArgs args{.container_id = "cid",
                           .netns = "/run/netns/pod",
                           .ifname = "eth0",
                           .args = std::string(cni_args),
                           .stdin_data = std::string(stdin_data)};
  auto out = p::cmdAdd(args);
  // What static prints must decode for the runtime: always, unless the config has a route
  // without "dst", which Go prints as "<nil>" too (escaped as JSON does: \u003cnil\u003e).
  if (out && out->find("\\u003cnil\\u003e") == std::string::npos) {
    auto r = spec::parseResult(*out);
    FUZZ_CHECK(r.has_value(), "static ADD printed an undecodable result: " +
                                  (r ? std::string() : r.error().msg) + "\n" + *out);
  }
  (void)p::cmdCheck(args);
  return {};
}

}  // namespace cni::fuzz
