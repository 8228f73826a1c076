// bench/floor/report.cc — bench-floor's output.
//
// stdout is for the driver and carries nothing else: one line per op, `<op> <pod-index> <ns>`
// (op ADD or DEL, pod index 0-based, nanoseconds of CLOCK_MONOTONIC around the op), ADD lines
// then DEL lines, each in pod order. stderr gets the human summary: median / p90 / p99 / max per
// op (nearest-rank percentiles, as bench-pods), ADD medians per window of 50 pods (ADD
// cost grows with the number of pods on one bridge: compare at equal N), the median of every
// step, and the throughput.
#include <algorithm>
#include <cstdio>

#include "bench/floor/floor.h"

namespace cni::floorbench {
namespace {

constexpr int kWindow = 50;

std::string_view opName(Op op) { return op == Op::kAdd ? "ADD" : "DEL"; }

double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// Nearest-rank percentile of a sorted, non-empty vector.
uint64_t pct(const std::vector<uint64_t>& sorted, double p) {
  size_t k = static_cast<size_t>(p * static_cast<double>(sorted.size()) + 0.999);
  k = std::clamp<size_t>(k, 1, sorted.size());
  return sorted[k - 1];
}

std::vector<uint64_t> sortedTotals(const std::vector<OpTiming>& t, size_t from, size_t to) {
  std::vector<uint64_t> v;
  for (size_t i = from; i < std::min(to, t.size()); ++i) {
    if (t[i].done) v.push_back(t[i].total_ns);
  }
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

void printLines(Op op, const std::vector<OpTiming>& t) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].done) {
      std::printf("%s %zu %llu\n", opName(op).data(), i,
                  static_cast<unsigned long long>(t[i].total_ns));
    }
  }
  std::fflush(stdout);
}

void printSummary(const Options& o, Op op, const std::vector<OpTiming>& t, uint64_t wall_ns) {
  const std::vector<uint64_t> all = sortedTotals(t, 0, t.size());
  if (all.empty()) return;
  std::fprintf(stderr,
               "%-3s %s, %zu pods, parallel %d: median %.2f ms, p90 %.2f, p99 %.2f, max %.2f"
               " | %.0f pods/s\n",
               opName(op).data(), kindName(o.kind).data(), all.size(), o.parallel,
               ms(pct(all, 0.5)), ms(pct(all, 0.9)), ms(pct(all, 0.99)), ms(all.back()),
               static_cast<double>(all.size()) * 1e9 / static_cast<double>(wall_ns));
  if (op == Op::kAdd && t.size() > static_cast<size_t>(kWindow)) {
    std::fprintf(stderr, "    median per pod window:");
    for (size_t from = 0; from < t.size(); from += kWindow) {
      auto v = sortedTotals(t, from, from + kWindow);
      if (!v.empty())
        std::fprintf(stderr, " %zu-%zu %.2f", from + 1, from + v.size(), ms(pct(v, 0.5)));
    }
    std::fprintf(stderr, "\n");
  }
  std::vector<uint64_t> cpu;
  for (const OpTiming& x : t) {
    if (x.done) cpu.push_back(x.cpu_ns);
  }
  std::sort(cpu.begin(), cpu.end());
  std::fprintf(stderr, "    thread CPU: median %.2f ms, p90 %.2f\n", ms(pct(cpu, 0.5)),
               ms(pct(cpu, 0.9)));
  std::fprintf(stderr, "    step medians (ms):");
  const auto names = stepNames(o.kind, op);
  for (size_t s = 0; s < names.size(); ++s) {
    std::vector<uint64_t> v;
    for (const OpTiming& x : t) {
      if (x.done) v.push_back(x.step_ns[s]);
    }
    std::sort(v.begin(), v.end());
    std::fprintf(stderr, " %s %.3f", names[s].data(), ms(pct(v, 0.5)));
  }
  std::fprintf(stderr, "\n");
}

}  // namespace cni::floorbench
