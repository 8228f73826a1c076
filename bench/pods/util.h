// bench/pods/util.h — small pieces the benchmark modes share: timing, throwaway namespaces that
// are removed on every exit path (also after Ctrl-C), and reading bench-floor's samples.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bench/pods/stats.h"
#include "src/netns/netns.h"

namespace cni::bench {

inline double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// SIGINT/SIGTERM set a flag the op loops check, so they stop between ops and unwind through the
// destructors that clean up (installed by installStopHandler()).
void installStopHandler();
bool stopRequested();

// Named network namespaces (/run/netns/<name>) created for one run and removed with it.
class NamespaceSet {
 public:
  NamespaceSet() = default;
  NamespaceSet(const NamespaceSet&) = delete;
  NamespaceSet& operator=(const NamespaceSet&) = delete;
  ~NamespaceSet();
  // Creates the namespace; prints the error and returns nullopt on failure.
  std::optional<netns::NetNs> create(const std::string& name);

 private:
  std::vector<std::string> names_;
};

// Sets `lo` up inside `ns`.
bool bringLoUp(const netns::NetNs& ns);

// bench-floor's output ("ADD <i> <ns>" / "DEL <i> <ns>" per line) into per-op samples in ms.
bool readFloor(const std::string& path, Samples& add, Samples& del);

}  // namespace cni::bench
