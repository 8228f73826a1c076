// fuzz/plugin_decoders/loopback.cc — the loopback plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/loopback.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeLoopback(std::string_view stdin_data) {
  CNI_TRY(plugins::loopback::parseConf(stdin_data));
  return {};
}

}  // namespace cni::fuzz
