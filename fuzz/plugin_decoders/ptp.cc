// fuzz/plugin_decoders/ptp.cc — the ptp plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/ptp.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodePtp(std::string_view stdin_data) {
  CNI_TRY(plugins::ptp::loadConf(stdin_data));
  return {};
}

}  // namespace cni::fuzz
