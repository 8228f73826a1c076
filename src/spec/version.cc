// src/spec/version.cc — CNI version parsing and ordering (see version.h).
#include "src/spec/version.h"

#include <algorithm>
#include <vector>

namespace cni::spec {

std::string Version::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

namespace {

// strconv.Atoi as Go's ParseVersion uses it: optional sign, one or more ASCII digits. The error
// text is Go's (*NumError).Error().
Expected<int> goAtoi(std::string_view part) {
  const std::string prefix = "strconv.Atoi: parsing \"" + std::string(part) + "\": ";
  std::string_view digits = part;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return fail(ErrorCode::kDecodingFailure, prefix + "invalid syntax");
  long long value = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return fail(ErrorCode::kDecodingFailure, prefix + "invalid syntax");
    if (!overflow) {
      value = value * 10 + (c - '0');
      overflow = value > 2147483648LL;
    }
  }
  if (negative) value = -value;
  // Go's int is 64-bit; Version holds int, so the (absurd) 32-bit overflow is reported as Go
  // reports a 64-bit one.
  if (overflow || value > 2147483647LL || value < -2147483648LL) {
    return fail(ErrorCode::kDecodingFailure, prefix + "value out of range");
  }
  return static_cast<int>(value);
}

}  // namespace

Expected<Version> parseVersion(std::string_view v) {
  if (v.empty()) return Version{0, 1, 0};  // no version declared == 0.1.0
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = v.find('.', start);
    parts.push_back(v.substr(start, dot == std::string_view::npos ? v.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() >= 4) {
    return fail(ErrorCode::kDecodingFailure,
                "invalid version \"" + std::string(v) + "\": too many parts");
  }
  static constexpr const char* kNames[] = {"major", "minor", "micro"};
  int values[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    auto n = goAtoi(parts[i]);
    if (!n) {
      return fail(ErrorCode::kDecodingFailure, "failed to convert " + std::string(kNames[i]) +
                                                   " version part \"" + std::string(parts[i]) +
                                                   "\": " + n.error().msg);
    }
    values[i] = *n;
  }
  return Version{values[0], values[1], values[2]};
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
