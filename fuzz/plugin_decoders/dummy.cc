// fuzz/plugin_decoders/dummy.cc — the dummy plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/dummy.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeDummy(std::string_view stdin_data) {
  CNI_TRY(plugins::dummy::parseConf(stdin_data, "failed to parse network config: "));
  return {};
}

}  // namespace cni::fuzz
