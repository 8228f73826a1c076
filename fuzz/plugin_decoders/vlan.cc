// fuzz/plugin_decoders/vlan.cc — the vlan plugin's decoding (no master lookup).
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/vlan.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeVlan(std::string_view stdin_data) {
  CNI_TRY(plugins::vlan::decodeConf(stdin_data));
  return {};
}

}  // namespace cni::fuzz
