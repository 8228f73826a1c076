// plugins/multicall/registry.cc — the plugin table (see registry.h). Adding a plugin: declare
// its kSpec below, add a row, and add its name to CNIKIT_PLUGINS in plugins/CMakeLists.txt.
#include "plugins/multicall/registry.h"

#include <algorithm>

namespace cni::plugins {

namespace bridge {
extern const skel::PluginSpec kSpec;
}  // namespace bridge
namespace host_local {
extern const skel::PluginSpec kSpec;
}  // namespace host_local
namespace loopback {
extern const skel::PluginSpec kSpec;
}  // namespace loopback
namespace ptp {
extern const skel::PluginSpec kSpec;
}  // namespace ptp
namespace static_ipam {
extern const skel::PluginSpec kSpec;
}  // namespace static_ipam

namespace {

constexpr PluginEntry kPlugins[] = {
    {"bridge", &bridge::kSpec}, {"host-local", &host_local::kSpec}, {"loopback", &loopback::kSpec},
    {"ptp", &ptp::kSpec},       {"static", &static_ipam::kSpec},
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
