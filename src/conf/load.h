// src/conf/load.h — loading network configurations from disk the way libcni does
// (conf.go: ConfFiles, NetworkConfFromFile, NetworkPluginConfsFromFiles, LoadNetworkConf).
//
// Differences from Go, all deliberate:
//   * Only regular files (symlinks followed) are candidates. Go also lists FIFOs, sockets and
//     dangling symlinks and then fails (or blocks forever, for a FIFO) reading them.
//   * Plugin subfolders are only read for network names that pass the name rule
//     (^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$). Go joins any name onto the directory, so `"name": ""`
//     loads <dir>/*.conf as plugins and `"name": "../x"` escapes the directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/conf/conf.h"

namespace cni::conf {

// Go filepath.Clean / Join / Dir / Ext (the path texts end up in error messages).
std::string cleanPath(std::string_view path);
std::string joinPath(std::string_view dir, std::string_view name);
std::string dirName(std::string_view path);
std::string_view fileExt(std::string_view name);  // from the last '.', "" if none

// ConfFiles: the regular files directly in `dir` whose extension is exactly one of `extensions`
// (case-sensitive), as joinPath(dir, name), sorted byte-wise. A missing directory is an empty
// list, not an error; an unreadable one is kIoFailure ("open <dir>: permission denied").
Expected<std::vector<std::string>> confFiles(const std::string& dir,
                                             const std::vector<std::string>& extensions);

// Reads a configuration file (refusing anything but a regular file, so a FIFO cannot block us).
// Errors (kIoFailure) as Go: "error reading <path>: open <path>: permission denied".
Expected<std::string> readConfFile(const std::string& path);

// NetworkPluginConfsFromFiles: plugin objects from <conf_dir>/<network>/*.conf, in order, each
// needing a "type" (PluginConf::source = its file).
Expected<std::vector<PluginConf>> pluginConfsFromDir(const std::string& conf_dir,
                                                     const std::string& network);

// NetworkConfFromFile: a list file, plus the subfolder plugins unless loadOnlyInlinedPlugins;
// no plugins at all -> "no plugin configs found".
Expected<NetworkConfigList> confListFromFile(const std::string& path);

// ConfFromFile: a single-plugin file.
Expected<NetworkConfig> confFromFile(const std::string& path);

// One file of any extension, as a list: ".conflist" -> confListFromFile; ".conf"/".json" ->
// confFromFile upconverted; anything else is sniffed (a top-level "plugins" key, or no "type",
// means a list).
Expected<NetworkConfigList> loadConfListFile(const std::string& path);

// LoadNetworkConf (what cnitool uses): the first *.conflist in `dir` whose name matches (every
// list read on the way must parse: any error aborts, as Go), then *.conf/*.json single-plugin files
// upconverted. Not found: "no net configurations found in <dir>" when the directory holds no
// configuration at all, else "no net configuration with name \"X\" in <dir>" (isNotFound()).
Expected<NetworkConfigList> loadConfList(const std::string& dir, const std::string& name);

// True for the two not-found errors of loadConfList (Go's NotFoundError / NoConfigsFoundError).
bool isNotFound(const Error& e);

}  // namespace cni::conf
