// src/common/scope_guard.h — run a callable at scope exit unless dismissed.
//
// The rollback shape of a CNI ADD: every step that creates something arms a guard that undoes it;
// the guards are dismissed only once the whole ADD succeeded (unlike Go's `defer if err != nil`,
// which silently misses paths that return without setting the outer err).
#pragma once

#include <utility>

namespace cni {

template <class F>
class [[nodiscard]] ScopeGuard {
 public:
  explicit ScopeGuard(F f) : f_(std::move(f)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (armed_) f_();
  }
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace cni
