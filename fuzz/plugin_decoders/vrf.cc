// fuzz/plugin_decoders/vrf.cc — the vrf plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/meta/vrf.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeVrf(std::string_view stdin_data) {
  CNI_ASSIGN_OR_RETURN(auto c, plugins::vrf::parseConf(stdin_data));
  FUZZ_CHECK(!c.vrf_name.empty(), "vrf: accepted an empty vrf name");
  return {};
}

}  // namespace cni::fuzz
