// tests/testutil/wait.h — polling for a consequence that another process or thread produces.
//
// Tests run in parallel, and in the sanitizer tree several times slower: what a daemon logs,
// a child writes or the kernel tears down is awaited, never read at the instant its cause was
// observed.
#pragma once

#include <chrono>
#include <thread>

namespace cni::testutil {

// Polls `cond` every `every` until it holds or `limit` has passed; its final value.
template <class Cond>
bool waitUntil(Cond&& cond, std::chrono::milliseconds limit,
               std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(every);
  }
  return cond();
}

}  // namespace cni::testutil
