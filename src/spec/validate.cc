// src/spec/validate.cc — pkg/utils name validation, same messages and codes as Go.
#include "src/spec/validate.h"

#include <string>

namespace cni::spec {
namespace {

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Unicode whitespace as Go's unicode.IsSpace sees it, for the encodings that can occur in UTF-8
// input: ASCII \t\n\v\f\r and space, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000.
bool hasUnicodeSpace(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= '\t' && c <= '\r')) return true;
    if (c == 0xc2 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d == 0x85 || d == 0xa0) return true;
    }
    if (c == 0xe1 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x9a &&
        static_cast<unsigned char>(s[i + 2]) == 0x80) {
      return true;
    }
    if (c == 0xe2 && i + 2 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      unsigned char e = static_cast<unsigned char>(s[i + 2]);
      if (d == 0x80 && (e <= 0x8a || e == 0xa8 || e == 0xa9 || e == 0xaf)) return true;
      if (d == 0x81 && e == 0x9f) return true;
    }
    if (c == 0xe3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x80) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool isValidIdentifier(std::string_view s) {
  if (s.empty() || !isAlnum(s[0])) return false;
  for (char c : s.substr(1)) {
    if (!isAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

Status validateNetworkName(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::kInvalidNetworkConfig, "missing network name:", "");
  if (!isValidIdentifier(name)) {
    return fail(ErrorCode::kInvalidNetworkConfig, "invalid characters found in network name",
                std::string(name));
  }
  return {};
}

Status validateContainerId(std::string_view id) {
  if (id.empty()) return fail(ErrorCode::kUnknownContainer, "missing containerID");
  if (!isValidIdentifier(id)) {
    return fail(ErrorCode::kInvalidEnvironmentVariables, "invalid characters in containerID",
                std::string(id));
  }
  return {};
}

Status validateInterfaceName(std::string_view ifname) {
  constexpr size_t kMaxInterfaceNameLength = 15;
  if (ifname.empty()) {
    return fail(ErrorCode::kInvalidEnvironmentVariables, "interface name is empty");
  }
  if (ifname.size() > kMaxInterfaceNameLength) {
    return fail(ErrorCode::kInvalidEnvironmentVariables, "interface name is too long",
                "interface name should be less than " +
                    std::to_string(kMaxInterfaceNameLength + 1) + " characters");
  }
  if (ifname == "." || ifname == "..") {
    return fail(ErrorCode::kInvalidEnvironmentVariables, "interface name is . or ..");
  }
  for (char c : ifname) {
    if (c == '/' || c == ':') {
      return fail(ErrorCode::kInvalidEnvironmentVariables,
                  "interface name contains / or : or whitespace characters");
    }
  }
  if (hasUnicodeSpace(ifname)) {
    return fail(ErrorCode::kInvalidEnvironmentVariables,
                "interface name contains / or : or whitespace characters");
  }
  return {};
}

}  // namespace cni::spec
