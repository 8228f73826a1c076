// src/spec/version.h — CNI spec versions: parsing, ordering, the supported set, result families.
//
// Follows Go's pkg/version: "" means 0.1.0; up to three dot-separated integers; no pre-release.
// No spec 1.2 exists: 1.1.0 is current (libcni v1.2/v1.3 are *library* tags).
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"

namespace cni::spec {

struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const Version&) const = default;
  std::string str() const;
};

// Go's version.ParseVersion: "" -> 0.1.0; "1" -> 1.0.0; >3 parts or a non-integer part is an error
// (code kDecodingFailure).
Expected<Version> parseVersion(std::string_view v);

// a >= b, both parsed with parseVersion (Go's version.GreaterThanOrEqualTo).
Expected<bool> versionAtLeast(std::string_view a, std::string_view b);

inline constexpr std::string_view kCurrentVersion = "1.1.0";
// version.All, in ascending order.
inline constexpr std::array<std::string_view, 7> kAllVersions = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
                                                                 "0.4.0", "1.0.0", "1.1.0"};

// The three result shapes (Go pkg/types/020, 040, 100).
enum class ResultFamily { k020, k040, k100 };

// "", 0.1.0, 0.2.0 -> k020; 0.3.0, 0.3.1, 0.4.0 -> k040; 1.0.0, 1.1.0 -> k100; others nullopt.
std::optional<ResultFamily> familyOf(std::string_view version);

// The highest version in `candidates` that we implement and that is <= kCurrentVersion
// (libcni's cniVersions rule). Unparseable entries are an error; too-new entries are dropped.
Expected<std::string> highestSupported(std::span<const std::string> candidates);

bool isKnownVersion(std::string_view v);

}  // namespace cni::spec
