// src/ipam/file_lock.h — the host-local network lock (`<dataDir>/<network>/lock`, flock).
//
// The Go reference serialises every reservation and release on a network with flock(LOCK_EX) on
// this file; taking the very same lock is what lets our plugin and the reference work on one
// data directory at the same time. A FileLock can only be obtained locked (acquire()), and the
// lock is released when it is destroyed, so "holding the lock" is a value that code can demand
// (the store's mutating calls take a `const FileLock&`).
#pragma once

#include <string>

#include "src/common/error.h"
#include "src/common/unique_fd.h"

namespace cni::ipam {

// "<what>: <errno text>" the way Go prints syscall errors (lowercase first letter).
Error goErrnoError(std::string_view what, int err);

class FileLock {
 public:
  // Creates `<dir>/lock` if needed (mode 0750 like the installed reference) and blocks in
  // flock(LOCK_EX) until it is ours.
  static Expected<FileLock> acquire(const std::string& dir);

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  ~FileLock() = default;  // closing the descriptor releases the flock

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace cni::ipam
