// bench/floor/main.cc — `bench-floor`: the kernel floor of one pod's ADD and DEL (see floor.h).
//
//   bench-floor [--kind bridge|ptp] [--pods N] [--parallel P]
//
// Setup (untimed): a fresh node namespace and N pod namespaces. Then the ADD phase — P worker
// threads, each living in the node namespace, take pods from a shared counter until all N are
// added — the ADD checks, the DEL phase the same way, the DEL checks. stdout: `<op> <pod-index>
// <ns>` per op; stderr: the summary. Exit status: 0 all good; 1 an op failed or a check found a
// problem (each is printed); 2 bad usage or not root; 130 interrupted (SIGINT/SIGTERM/SIGHUP stop
// the run between pods). Whatever happens, the namespaces and the temporary directory go away.
// The IPAM files live in a mktemp directory under $TMPDIR (default /tmp).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "bench/floor/floor.h"

namespace cni::floorbench {
namespace {

constexpr int kMaxParallel = 64;
constexpr size_t kMaxProblemsShown = 20;

void usage(FILE* out) {
  std::fprintf(out,
               "usage: bench-floor [--kind bridge|ptp] [--pods N] [--parallel P]\n"
               "  The kernel work of N pods' ADD then DEL as our bridge (scenario a) or ptp\n"
               "  (scenario c) plugin does it, in one process. stdout: '<ADD|DEL> <pod-index>\n"
               "  <nanoseconds>' per op; stderr: summary. Defaults: bridge, 200 pods, 1 thread.\n");
}

bool parseInt(std::string_view s, int lo, int hi, int* out) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// 0 = parsed, 1 = --help shown, 2 = usage error.
int parseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string_view value;
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 1;
    }
    if (size_t eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    bool ok = false;
    if (a == "--kind") {
      ok = value == "bridge" || value == "ptp";
      o->kind = value == "ptp" ? Kind::kPtp : Kind::kBridge;
    } else if (a == "--pods") {
      ok = parseInt(value, 1, kMaxPods, &o->pods);
    } else if (a == "--parallel") {
      ok = parseInt(value, 1, kMaxParallel, &o->parallel);
    }
    if (!ok) {
      std::fprintf(stderr, "bench-floor: bad argument %.*s %.*s (pods 1..%d, parallel 1..%d)\n",
                   static_cast<int>(a.size()), a.data(), static_cast<int>(value.size()),
                   value.data(), kMaxPods, kMaxParallel);
      usage(stderr);
      return 2;
    }
  }
  return 0;
}

// Signals are blocked in every thread and taken here: the run stops between pods and cleans up.
void startSignalThread() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      g_stop.store(true);
      static const char kMsg[] = "bench-floor: interrupted, cleaning up\n";
      (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    }
  }).detach();
}

struct PhaseResult {
  std::vector<OpTiming> timings;
  uint64_t wall_ns = 0;
  std::vector<std::string> errors;
};

PhaseResult runPhase(const World& w, Op op) {
  const int n = w.options().pods;
  PhaseResult r;
  r.timings.resize(static_cast<size_t>(n));
  std::atomic<int> next{0};
  std::mutex mu;
  auto worker = [&] {
    if (Status s = joinNetns(w.node()); !s) {
      std::lock_guard lock(mu);
      r.errors.push_back(s.error().toString());
      g_stop.store(true);
      return;
    }
    while (!g_stop.load()) {
      const int i = next.fetch_add(1);
      if (i >= n) break;
      const Pod& p = w.pods()[static_cast<size_t>(i)];
      OpTiming& t = r.timings[static_cast<size_t>(i)];
      Status s = op == Op::kAdd ? podAdd(w, p, t) : podDel(w, p, t);
      if (!s) {
        std::lock_guard lock(mu);
        r.errors.push_back(s.error().toString());
        g_stop.store(true);
      }
    }
  };
  const uint64_t t0 = monotonicNs();
  std::vector<std::thread> threads;
  for (int i = 0; i < w.options().parallel; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  r.wall_ns = monotonicNs() - t0;
  return r;
}

// Prints the problems; returns whether there were none.
bool report(std::string_view what, const std::vector<std::string>& problems) {
  for (size_t i = 0; i < problems.size() && i < kMaxProblemsShown; ++i) {
    std::fprintf(stderr, "bench-floor: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 problems[i].c_str());
  }
  if (problems.size() > kMaxProblemsShown) {
    std::fprintf(stderr, "bench-floor: %.*s: ... and %zu more\n", static_cast<int>(what.size()),
                 what.data(), problems.size() - kMaxProblemsShown);
  }
  return problems.empty();
}

int run(const Options& o) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "bench-floor: needs root (network namespaces)\n");
    return 2;
  }
  auto world = World::create(o);
  if (!world) {
    std::fprintf(stderr, "bench-floor: setup: %s\n", world.error().toString().c_str());
    return g_stop.load() ? 130 : 1;
  }
  const World& w = **world;
  // The main thread lives in the node namespace too (the checks run from here).
  if (Status s = joinNetns(w.node()); !s) {
    std::fprintf(stderr, "bench-floor: %s\n", s.error().toString().c_str());
    return 1;
  }
  PhaseResult add = runPhase(w, Op::kAdd);
  if (!report("ADD failed", add.errors)) return 1;
  if (g_stop.load()) return 130;
  if (!report("check after ADD", verifyAfterAdd(w))) return 1;
  if (Status s = (*world)->learnRuleHandles(); !s) {
    std::fprintf(stderr, "bench-floor: %s\n", s.error().toString().c_str());
    return 1;
  }

  PhaseResult del = runPhase(w, Op::kDel);
  if (!report("DEL failed", del.errors)) return 1;
  if (g_stop.load()) return 130;
  if (!report("check after DEL", verifyAfterDel(w))) return 1;

  printLines(Op::kAdd, add.timings);
  printLines(Op::kDel, del.timings);
  printSummary(o, Op::kAdd, add.timings, add.wall_ns);
  printSummary(o, Op::kDel, del.timings, del.wall_ns);
  return 0;
}

}  // namespace
}  // namespace cni::floorbench

int main(int argc, char** argv) {
  using namespace cni::floorbench;
  Options o;
  if (int rc = parseArgs(argc, argv, &o); rc != 0) return rc == 1 ? 0 : 2;
  startSignalThread();
  return run(o);
}
