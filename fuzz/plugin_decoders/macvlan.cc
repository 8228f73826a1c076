// fuzz/plugin_decoders/macvlan.cc — the macvlan plugin's decoding (no master lookup).
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/macvlan.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeMacvlan(std::string_view stdin_data) {
  CNI_TRY(plugins::macvlan::decodeConf(stdin_data, "failed to load netconf: "));
  return {};
}

}  // namespace cni::fuzz
