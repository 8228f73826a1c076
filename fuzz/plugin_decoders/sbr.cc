// fuzz/plugin_decoders/sbr.cc — the sbr plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/meta/sbr.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeSbr(std::string_view stdin_data) {
  namespace p = plugins::sbr;
  CNI_ASSIGN_OR_RETURN(auto c, p::parseConf(stdin_data));
  CNI_TRY(p::parseGateways(c.gateways));
  return {};
}

}  // namespace cni::fuzz
