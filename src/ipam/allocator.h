// src/ipam/allocator.h — one range set's allocator (Go allocator/allocator.go).
//
// Order is the reference's, so both implementations hand out the same sequence: start after the
// range set's `last_reserved_ip.<N>` (or at the first range's rangeStart when there is none or
// it lies outside the set), walk upwards, move to the next range at a rangeEnd, wrap around the
// set, skip each range's gateway, and give up on reaching the starting address again.
#pragma once

#include <optional>
#include <string_view>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/ipam/disk_store.h"
#include "src/ipam/range.h"

namespace cni::ipam {

struct Allocation {
  IpPrefix address;  // the IP with its subnet's prefix length
  IpAddress gateway;
};

// Go's RangeIter: yields candidate (ip, range) pairs in allocation order.
class RangeIter {
 public:
  RangeIter(const RangeSet& set, std::optional<IpAddress> last_reserved);
  // nullopt when the set is exhausted.
  std::optional<Allocation> next();

 private:
  const RangeSet& set_;
  size_t idx_ = 0;
  std::optional<IpAddress> cur_;
  std::optional<IpAddress> start_;
};

class Allocator {
 public:
  Allocator(const RangeSet& set, DiskStore& store, int range_id)
      : set_(set), store_(store), range_id_(range_id) {}

  // Go IPAllocator.Get (takes and releases the network lock itself).
  Expected<Allocation> get(std::string_view container_id, std::string_view ifname,
                           std::optional<IpAddress> requested);
  // Go IPAllocator.Release.
  Status release(std::string_view container_id, std::string_view ifname);

 private:
  const RangeSet& set_;
  DiskStore& store_;
  int range_id_;
};

}  // namespace cni::ipam
