// plugins/multicall/registry.cc — the plugin table (see registry.h). Adding a plugin: declare
// its kSpec below, add a row, and add its name to CNIKIT_PLUGINS in plugins/CMakeLists.txt.
#include "plugins/multicall/registry.h"

#include <algorithm>

namespace cni::plugins {

namespace bandwidth {
extern const skel::PluginSpec kSpec;
}  // namespace bandwidth
namespace bridge {
extern const skel::PluginSpec kSpec;
}  // namespace bridge
namespace dhcp {
extern const skel::PluginSpec kSpec;
}  // namespace dhcp
namespace dummy {
extern const skel::PluginSpec kSpec;
}  // namespace dummy
namespace firewall {
extern const skel::PluginSpec kSpec;
}  // namespace firewall
namespace host_device {
extern const skel::PluginSpec kSpec;
}  // namespace host_device
namespace host_local {
extern const skel::PluginSpec kSpec;
}  // namespace host_local
namespace ipvlan {
extern const skel::PluginSpec kSpec;
}  // namespace ipvlan
namespace loopback {
extern const skel::PluginSpec kSpec;
}  // namespace loopback
namespace macvlan {
extern const skel::PluginSpec kSpec;
}  // namespace macvlan
namespace portmap {
extern const skel::PluginSpec kSpec;
}  // namespace portmap
namespace ptp {
extern const skel::PluginSpec kSpec;
}  // namespace ptp
namespace sbr {
extern const skel::PluginSpec kSpec;
}  // namespace sbr
namespace static_ipam {
extern const skel::PluginSpec kSpec;
}  // namespace static_ipam
namespace tap {
extern const skel::PluginSpec kSpec;
}  // namespace tap
namespace tuning {
extern const skel::PluginSpec kSpec;
}  // namespace tuning
namespace vlan {
extern const skel::PluginSpec kSpec;
}  // namespace vlan
namespace vrf {
extern const skel::PluginSpec kSpec;
}  // namespace vrf

namespace {

constexpr PluginEntry kPlugins[] = {
    {"bandwidth", &bandwidth::kSpec},
    {"bridge", &bridge::kSpec},
    {"dhcp", &dhcp::kSpec},
    {"dummy", &dummy::kSpec},
    {"firewall", &firewall::kSpec},
    {"host-device", &host_device::kSpec},
    {"host-local", &host_local::kSpec},
    {"ipvlan", &ipvlan::kSpec},
    {"loopback", &loopback::kSpec},
    {"macvlan", &macvlan::kSpec},
    {"portmap", &portmap::kSpec},
    {"ptp", &ptp::kSpec},
    {"sbr", &sbr::kSpec},
    {"static", &static_ipam::kSpec},
    {"tap", &tap::kSpec},
    {"tuning", &tuning::kSpec},
    {"vlan", &vlan::kSpec},
    {"vrf", &vrf::kSpec},
};

static_assert(std::ranges::is_sorted(kPlugins, {}, &PluginEntry::name),
              "keep kPlugins sorted by name (usage output and lookups rely on it)");

}  // namespace

std::span<const PluginEntry> registry() { return kPlugins; }

const skel::PluginSpec* findPlugin(std::string_view name) {
  auto it = std::ranges::find(kPlugins, name, &PluginEntry::name);
  return it == std::end(kPlugins) ? nullptr : it->spec;
}

}  // namespace cni::plugins
