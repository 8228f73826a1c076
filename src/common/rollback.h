// src/common/rollback.h — the undo list of a multi-step operation (a plugin's ADD).
//
// Each step that changed something registers how to undo it; if the operation does not reach
// commit(), the destructor runs the undos in reverse order (last change undone first), so a
// failure at any point leaves nothing behind. Undo actions must not throw; their own failures
// are ignored (the original error is what the caller reports).
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace cni {

class Rollback {
 public:
  Rollback() = default;
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
  }

  void add(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
  // The operation succeeded: keep every change.
  void commit() { undo_.clear(); }

 private:
  std::vector<std::function<void()>> undo_;
};

}  // namespace cni
