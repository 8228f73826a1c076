// fuzz/plugin_decoders/host_device.cc — the host-device plugin's decoding.
// The plugin's .cc is included to reach its file-local decoder: see fuzz/plugin_decoders.h.
#include "plugins/main/host_device.cc"  // NOLINT(bugprone-suspicious-include)

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"

namespace cni::fuzz {

Status decodeHostDevice(std::string_view stdin_data) {
  namespace p = plugins::host_device;
  CNI_ASSIGN_OR_RETURN(skel::NetConf net, p::parseOnly(stdin_data));
  // A PCI bus ID or a runtimeConfig.deviceID makes loadConf look in /sys: stop before that.
  auto names = [](const Json* v) { return v != nullptr && v->is_string() && !v->empty(); };
  const Json* rc = spec::findKey(net.raw, "runtimeConfig");
  if (names(spec::findKey(net.raw, "pciBusID")) ||
      (rc != nullptr && names(spec::findKey(*rc, "deviceID")))) {
    return {};
  }
  CNI_TRY(p::loadConf(stdin_data));
  return {};
}

}  // namespace cni::fuzz
