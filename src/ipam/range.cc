// src/ipam/range.cc — range / range set validation and membership (see range.h).
#include "src/ipam/range.h"

namespace cni::ipam {
namespace {

Error plain(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

}  // namespace

IpAddress canonicalIp(const IpAddress& ip) { return ip.unmapped(); }

Status Range::canonicalize() {
  if (!has_subnet) return fail(plain("IP <nil> not v4 nor v6"));
  int bits = subnet.address().bitLength();
  if (subnet.length() > bits - 2) {
    return fail(plain("Network " + subnet.str() + " too small to allocate from"));
  }
  // Go canonicalises the subnet IP to 4 bytes but keeps a 16-byte mask for "::ffff:a.b.c.d/n".
  if (subnet.address().isV4Mapped()) return fail(plain("IPNet IP and Mask version mismatch"));
  if (!subnet.isNetwork()) {
    return fail(plain("Network has host bits set. For a subnet mask of length " +
                      std::to_string(subnet.length()) + " the network address is " +
                      subnet.network().address().str()));
  }
  if (!gateway) {
    gateway = subnet.address().next();
  } else {
    gateway = canonicalIp(*gateway);
  }
  if (range_start) {
    range_start = canonicalIp(*range_start);
    if (!contains(*range_start)) {
      return fail(plain("RangeStart " + range_start->str() + " not in network " + subnet.str()));
    }
  } else {
    range_start = subnet.address().next();
  }
  if (range_end) {
    range_end = canonicalIp(*range_end);
    if (!contains(*range_end)) {
      return fail(plain("RangeEnd " + range_end->str() + " not in network " + subnet.str()));
    }
  } else {
    IpAddress last = subnet.lastAddress();
    range_end = subnet.isV4() ? *last.prev() : last;
  }
  return {};
}

bool Range::contains(const IpAddress& raw) const {
  IpAddress ip = canonicalIp(raw);
  if (ip.family() != subnet.family()) return false;
  if (!subnet.contains(ip)) return false;
  // Go's ip.Cmp on same-length addresses is a byte comparison.
  if (range_start && range_start->family() == ip.family() && ip < *range_start) return false;
  if (range_end && range_end->family() == ip.family() && ip > *range_end) return false;
  return true;
}

bool Range::overlaps(const Range& o) const {
  if (!range_start || !o.range_start || range_start->family() != o.range_start->family()) {
    return false;
  }
  return contains(*o.range_start) || contains(*o.range_end) || o.contains(*range_start) ||
         o.contains(*range_end);
}

std::string Range::str() const {
  return (range_start ? range_start->str() : "<nil>") + "-" +
         (range_end ? range_end->str() : "<nil>");
}

Status canonicalizeRangeSet(RangeSet& set) {
  if (set.empty()) return fail(plain("empty range set"));
  for (size_t i = 0; i < set.size(); ++i) {
    CNI_TRY(set[i].canonicalize());
    if (i > 0 && set[i].range_start->family() != set[0].range_start->family()) {
      return fail(plain("mixed address families"));
    }
  }
  for (size_t i = 0; i + 1 < set.size(); ++i) {
    for (size_t j = i + 1; j < set.size(); ++j) {
      if (set[i].overlaps(set[j])) {
        return fail(plain("subnets " + set[i].str() + " and " + set[j].str() + " overlap"));
      }
    }
  }
  return {};
}

const Range* rangeFor(const RangeSet& set, const IpAddress& ip) {
  for (const Range& r : set) {
    if (r.contains(ip)) return &r;
  }
  return nullptr;
}

Error notInRangeSet(const RangeSet& set, const IpAddress& ip) {
  return plain(canonicalIp(ip).str() + " not in range set " + rangeSetStr(set));
}

bool rangeSetContains(const RangeSet& set, const IpAddress& ip) {
  return rangeFor(set, ip) != nullptr;
}

bool rangeSetsOverlap(const RangeSet& a, const RangeSet& b) {
  for (const Range& r : a) {
    for (const Range& r1 : b) {
      if (r.overlaps(r1)) return true;
    }
  }
  return false;
}

std::string rangeSetStr(const RangeSet& set) {
  std::string out;
  for (const Range& r : set) {
    if (!out.empty()) out += ',';
    out += r.str();
  }
  return out;
}

}  // namespace cni::ipam
