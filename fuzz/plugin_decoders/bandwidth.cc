// fuzz/plugin_decoders/bandwidth.cc — the bandwidth plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/meta/bandwidth.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"
#include "src/spec/validate.h"

namespace cni::fuzz {

Status decodeBandwidth(std::string_view stdin_data) {
  namespace p = plugins::bandwidth;
  CNI_ASSIGN_OR_RETURN(auto c, p::loadConf(stdin_data));
  // The ifb device name must be a valid interface name whatever the network and container.
  const std::string ifb = p::ifbName(c.net.name, "cid");
  FUZZ_CHECK(spec::validateInterfaceName(ifb).has_value(), "bandwidth: bad ifb name " + ifb);
  return {};
}

}  // namespace cni::fuzz
