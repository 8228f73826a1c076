// fuzz/plugin_decoders/ipvlan.cc — the ipvlan plugin's decoding (no master lookup).
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/ipvlan.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeIpvlan(std::string_view stdin_data) {
  CNI_ASSIGN_OR_RETURN(auto c, plugins::ipvlan::decodeConf(stdin_data));
  (void)plugins::ipvlan::modeFromString(c.mode);
  return {};
}

}  // namespace cni::fuzz
