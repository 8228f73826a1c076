// src/ipam/text_file.h — the two small text helpers the lease store and its index share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/common/file_text.h"

namespace cni::ipam {

// Go's strings.TrimSpace for ASCII whitespace (lease files are compared trimmed, as Go does).
std::string trimSpace(std::string_view s);

// The whole file, or nullopt if it cannot be read (src/common/file_text.h).
using ::cni::readFileText;

}  // namespace cni::ipam
