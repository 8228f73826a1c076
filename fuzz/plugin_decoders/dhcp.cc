// fuzz/plugin_decoders/dhcp.cc — the dhcp IPAM plugin's decoding (no RPC).
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/ipam/dhcp.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeDhcp(std::string_view stdin_data) {
  CNI_ASSIGN_OR_RETURN(auto c, plugins::dhcp::loadConf(stdin_data));
  FUZZ_CHECK(!c.socket_path.empty(), "dhcp: empty daemon socket path");
  return {};
}

}  // namespace cni::fuzz
