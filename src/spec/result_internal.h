// src/spec/result_internal.h — helpers shared by result.cc (codec) and convert.cc (conversion).
// Not part of the public API.
#pragma once

#include <string>
#include <string_view>

#include "src/spec/result.h"

namespace cni::spec::internal {

// Go's `To4() != nil` on an address field ("10.0.0.1/8", "10.0.0.1", "::ffff:1.2.3.4/120"):
// true for IPv4 and v4-mapped IPv6; false for IPv6 and for ""/unparseable text (a nil net.IP).
bool isV4Text(std::string_view address);

// The ip4/ip6 entries of a 0.1.0/0.2.0-shaped Result: the first entry whose version is "4" ("6");
// an entry without a version (a Result built in code) counts by its address family.
struct Ips020 {
  const IpConfig* ip4 = nullptr;
  const IpConfig* ip6 = nullptr;
};
Ips020 pick020(const Result& r);

// The version a Result is treated as: its cni_version, or the current version when empty.
std::string effectiveVersion(const Result& r);

}  // namespace cni::spec::internal
