// src/invoke/find.h — locating a plugin binary on CNI_PATH (Go pkg/invoke/find.go).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"

namespace cni::invoke {

// Go invoke.FindInPath: the first `<dir>/<plugin>` (joined and lexically cleaned like Go's
// filepath.Join) that stat(2)s as a regular file. Symlinks are followed; the exec bit is not
// checked (an unexecutable match fails later, at exec, with "permission denied").
// Errors (code kInternal, texts as Go):
//   "no plugin name provided", "invalid plugin name: <p>" (contains '/'), "no paths provided",
//   `failed to find plugin "<p>" in path [<d1> <d2>]`.
Expected<std::string> findInPath(std::string_view plugin, const std::vector<std::string>& paths);

// CNI_PATH -> directories: split on ':' with empty entries dropped (so "" yields no paths and
// findInPath then says "no paths provided").
std::vector<std::string> splitPath(std::string_view cni_path);

// The inverse, for building CNI_PATH from a directory list (Go: strings.Join(paths, ":")).
std::string joinPath(const std::vector<std::string>& paths);

// Go's filepath.Join(dir, name): joined with '/', then lexically cleaned (".", "..", "//"
// removed); an empty dir gives the bare (relative) name.
std::string goJoinPath(std::string_view dir, std::string_view name);

}  // namespace cni::invoke
