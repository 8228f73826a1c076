// src/common/file_text.h — small text-file helpers over plain syscalls. The plugin binary
// reads a handful of tiny files (leases, sysctls, resolv.conf, /proc/net/psched) per op; with
// iostreams it would also link and initialise the locale machinery, which is most of what a
// one-shot process maps (docs/performance.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cni {

// The whole file, or nullopt with errno set (open or read failed).
std::optional<std::string> readFileText(const std::string& path);

// Writes `data` to `path` (created 0644 if missing, truncated); false with errno set.
bool writeFileText(const std::string& path, std::string_view data);

// Go's strings.Fields: the runs of non-whitespace (ASCII) in s, as views into it.
std::vector<std::string_view> splitFields(std::string_view s);

// The lines of s without their '\n' (a last line without one counts; no empty trailing line).
std::vector<std::string_view> splitLines(std::string_view s);

}  // namespace cni
