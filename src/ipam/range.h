// src/ipam/range.h — host-local address ranges and range sets (Go allocator/range.go,
// range_set.go).
//
// A Range is a subnet with an inclusive [rangeStart, rangeEnd] window and a gateway that is never
// handed out; a RangeSet is a list of same-family ranges from which ONE address is allocated.
// canonicalize() fills the defaults and validates exactly as Go does, with Go's error texts (they
// reach users verbatim through the CNI error object), quirks included: rangeStart is checked
// against the user's rangeEnd, so start > end reports "RangeStart ... not in network".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"

namespace cni::ipam {

struct Range {
  IpPrefix subnet;  // must be a network address after canonicalize()
  bool has_subnet = false;
  std::optional<IpAddress> range_start;
  std::optional<IpAddress> range_end;
  std::optional<IpAddress> gateway;

  // Defaults: gateway = network+1, rangeStart = network+1, rangeEnd = last address (IPv4: the
  // broadcast address - 1). Errors are plain (kInternal) with Go's texts.
  Status canonicalize();
  // Inside the subnet and the [start, end] window (unset bounds are ignored, as in Go).
  bool contains(const IpAddress& ip) const;
  bool overlaps(const Range& other) const;
  // "<rangeStart>-<rangeEnd>"
  std::string str() const;
};

using RangeSet = std::vector<Range>;

// Go's canonicalizeIP: IPv4 and v4-mapped become IPv4, the rest stays IPv6.
IpAddress canonicalIp(const IpAddress& ip);

Status canonicalizeRangeSet(RangeSet& set);
// The range of `set` containing ip, or nullptr.
const Range* rangeFor(const RangeSet& set, const IpAddress& ip);
// Go's error for rangeFor() == nullptr: "<ip> not in range set <set>".
Error notInRangeSet(const RangeSet& set, const IpAddress& ip);
bool rangeSetContains(const RangeSet& set, const IpAddress& ip);
bool rangeSetsOverlap(const RangeSet& a, const RangeSet& b);
// "a-b,c-d"
std::string rangeSetStr(const RangeSet& set);

}  // namespace cni::ipam
