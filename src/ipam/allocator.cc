// src/ipam/allocator.cc — round-robin allocation in Go's exact order (see allocator.h).
#include "src/ipam/allocator.h"

namespace cni::ipam {
namespace {

Error plain(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

Allocation at(const Range& r, const IpAddress& ip) {
  return Allocation{.address = *IpPrefix::make(ip, r.subnet.length()), .gateway = *r.gateway};
}

}  // namespace

RangeIter::RangeIter(const RangeSet& set, std::optional<IpAddress> last_reserved) : set_(set) {
  // A last reservation outside the set (range indexes changed) just loses round-robin once.
  if (last_reserved) {
    for (size_t i = 0; i < set_.size(); ++i) {
      if (set_[i].contains(*last_reserved)) {
        idx_ = i;
        cur_ = canonicalIp(*last_reserved);  // the first next() returns last + 1
        return;
      }
    }
  }
  idx_ = 0;
  start_ = set_[0].range_start;
}

std::optional<Allocation> RangeIter::next() {
  // Go recurses to skip a gateway; a loop is the same walk without the stack.
  for (;;) {
    const Range* r = &set_[idx_];
    if (!cur_) {
      cur_ = r->range_start;
      start_ = cur_;
      if (*cur_ == *r->gateway) continue;
      return at(*r, *cur_);
    }
    if (*cur_ == *r->range_end) {
      idx_ = (idx_ + 1) % set_.size();
      r = &set_[idx_];
      cur_ = r->range_start;
    } else {
      auto n = cur_->next();
      if (!n) return std::nullopt;  // cannot happen inside a validated range
      cur_ = *n;
    }
    if (!start_) {
      start_ = cur_;
    } else if (*cur_ == *start_) {
      return std::nullopt;  // back where we started: everything was tried
    }
    if (*cur_ == *r->gateway) continue;
    return at(*r, *cur_);
  }
}

Expected<Allocation> Allocator::get(std::string_view container_id, std::string_view ifname,
                                    std::optional<IpAddress> requested) {
  CNI_ASSIGN_OR_RETURN(FileLock lock, store_.lock());
  struct Committer {
    DiskStore& s;
    const FileLock& l;
    ~Committer() { s.commit(l); }
  } committer{store_, lock};

  if (requested) {
    IpAddress ip = canonicalIp(*requested);
    const Range* r = rangeFor(set_, ip);
    if (!r) return fail(notInRangeSet(set_, ip));
    if (ip == *r->gateway) return fail(plain("requested ip " + ip.str() + " is subnet's gateway"));
    CNI_ASSIGN_OR_RETURN(bool reserved, store_.reserve(lock, container_id, ifname, ip, range_id_));
    if (!reserved) {
      return fail(plain("requested IP address " + ip.str() + " is not available in range set " +
                        rangeSetStr(set_)));
    }
    return at(*r, ip);
  }
  // The spec forbids a second ADD for the same attachment: refuse an existing lease in this set.
  for (const IpAddress& ip : store_.getById(lock, container_id, ifname)) {
    if (rangeFor(set_, ip)) {
      return fail(plain(ip.str() + " has been allocated to " + std::string(container_id) +
                        ", duplicate allocation is not allowed"));
    }
  }
  RangeIter iter(set_, store_.lastReservedIp(lock, range_id_));
  while (auto cand = iter.next()) {
    CNI_ASSIGN_OR_RETURN(bool reserved, store_.reserve(lock, container_id, ifname,
                                                       cand->address.address(), range_id_));
    if (reserved) return *cand;
  }
  return fail(plain("no IP addresses available in range set: " + rangeSetStr(set_)));
}

Status Allocator::release(std::string_view container_id, std::string_view ifname) {
  CNI_ASSIGN_OR_RETURN(FileLock lock, store_.lock());
  Status st = store_.releaseById(lock, container_id, ifname);
  store_.commit(lock);
  return st;
}

}  // namespace cni::ipam
