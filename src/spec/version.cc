// src/spec/version.cc — CNI version parsing and ordering (see version.h).
#include "src/spec/version.h"

#include <algorithm>
#include <charconv>

namespace cni::spec {

std::string Version::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

Expected<Version> parseVersion(std::string_view v) {
  if (v.empty()) v = "0.1.0";
  int parts[3] = {0, 0, 0};
  size_t n = 0;
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    if (n == 3) {
      return fail(ErrorCode::kDecodingFailure, "invalid version \"" + std::string(v) +
                                                   "\": only major, minor, and micro supported");
    }
    int value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value < 0) {
      static constexpr const char* kNames[] = {"major", "minor", "micro"};
      return fail(ErrorCode::kDecodingFailure, "failed to convert " + std::string(kNames[n]) +
                                                   " version part \"" + std::string(part) + "\"");
    }
    parts[n++] = value;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return Version{parts[0], parts[1], parts[2]};
}

Expected<bool> versionAtLeast(std::string_view a, std::string_view b) {
  CNI_ASSIGN_OR_RETURN(Version va, parseVersion(a));
  CNI_ASSIGN_OR_RETURN(Version vb, parseVersion(b));
  return va >= vb;
}

std::optional<ResultFamily> familyOf(std::string_view version) {
  if (version.empty() || version == "0.1.0" || version == "0.2.0") return ResultFamily::k020;
  if (version == "0.3.0" || version == "0.3.1" || version == "0.4.0") return ResultFamily::k040;
  if (version == "1.0.0" || version == "1.1.0") return ResultFamily::k100;
  return std::nullopt;
}

bool isKnownVersion(std::string_view v) {
  return std::find(kAllVersions.begin(), kAllVersions.end(), v) != kAllVersions.end();
}

Expected<std::string> highestSupported(std::span<const std::string> candidates) {
  static const Version kCurrent = *parseVersion(kCurrentVersion);
  std::optional<Version> best;
  std::string best_str;
  for (const auto& c : candidates) {
    CNI_ASSIGN_OR_RETURN(Version v, parseVersion(c));
    if (v > kCurrent) continue;
    if (!best || v > *best) {
      best = v;
      best_str = c;
    }
  }
  if (!best) return std::string();
  return best_str;
}

}  // namespace cni::spec
