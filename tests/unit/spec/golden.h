// tests/unit/spec/golden.h — access to the golden files in tests/data/results/.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "tests/testutil/temp_dir.h"

namespace cni::spec::testing {

inline std::filesystem::path goldenDir() {
  return std::filesystem::path(CNIKIT_SOURCE_DIR) / "tests" / "data" / "results";
}

// The exact bytes of a golden file (no newline is added or stripped).
inline std::string golden(std::string_view name) {
  return testutil::readFile(goldenDir() / std::string(name));
}

// `text` with its first `"cniVersion": "<from>"` replaced by `to`.
inline std::string withVersion(std::string text, std::string_view to) {
  const std::string key = "\"cniVersion\": \"";
  size_t at = text.find(key);
  if (at == std::string::npos) return text;
  at += key.size();
  size_t end = text.find('"', at);
  return text.replace(at, end - at, to);
}

}  // namespace cni::spec::testing
