// src/netlink/dump_retry.cc — see dump_retry.h.
#include "src/netlink/dump_retry.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace cni::netlink {

void pauseBeforeDumpRetry(int attempt) {
  const int shift = std::clamp(attempt, 1, 6);
  const uint64_t max_us = std::min<uint64_t>(2000, uint64_t{50} << shift);
  // Jitter from the clock and the thread id: cheap, and different in every racing process.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t x = static_cast<uint64_t>(now.tv_nsec) ^ (static_cast<uint64_t>(::gettid()) << 20);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  const long us = static_cast<long>(x % (max_us + 1));
  timespec pause{.tv_sec = 0, .tv_nsec = us * 1000};
  while (::nanosleep(&pause, &pause) != 0) {
  }
}

}  // namespace cni::netlink
