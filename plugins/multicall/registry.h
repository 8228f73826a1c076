// plugins/multicall/registry.h — the table of plugins in the multi-call binary.
//
// An explicit table rather than static self-registration: registration objects in archive
// members nothing references are dropped by the linker of a static binary, and a table keeps
// start-up free of static initialisers (every entry is constant-initialised).
#pragma once

#include <span>
#include <string_view>

#include "src/skel/skel.h"

namespace cni::plugins {

struct PluginEntry {
  std::string_view name;
  const skel::PluginSpec* spec;
};

// Every plugin, sorted by name.
std::span<const PluginEntry> registry();

// The plugin called `name`, or nullptr.
const skel::PluginSpec* findPlugin(std::string_view name);

}  // namespace cni::plugins
