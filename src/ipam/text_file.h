// src/ipam/text_file.h — the two small text helpers the lease store and its index share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cni::ipam {

// Go's strings.TrimSpace for ASCII whitespace (lease files are compared trimmed, as Go does).
std::string trimSpace(std::string_view s);

// The whole file, or nullopt if it cannot be opened.
std::optional<std::string> readFileText(const std::string& path);

}  // namespace cni::ipam
