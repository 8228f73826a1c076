// src/common/unique_fd.h — move-only owner of a file descriptor (closed on destruction).
//
// Every fd in cnikit is opened with O_CLOEXEC / SOCK_CLOEXEC and owned by a UniqueFd, so no
// descriptor leaks into the plugins we exec or survives an error path.
#pragma once

#include <unistd.h>

#include <utility>

namespace cni {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) (void)::close(fd_);  // close errors on a descriptor we own are not actionable
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace cni
