// fuzz/plugin_decoders/tap.cc — the tap plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/tap.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeTap(std::string_view stdin_data, std::string_view cni_args) {
  const skel::CmdArgs args{.container_id = "cid",
                           .netns = "/run/netns/pod",
                           .ifname = "eth0",
                           .args = std::string(cni_args),
                           .stdin_data = std::string(stdin_data)};
  CNI_TRY(plugins::tap::loadConf(args));
  return {};
}

}  // namespace cni::fuzz
