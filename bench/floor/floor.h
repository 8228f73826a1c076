// bench/floor/floor.h — the kernel floor (`bench-floor`): shared types of its parts.
//
// bench-floor performs exactly the kernel work of one pod's ADD and DEL as our bridge / ptp
// plugins do it — no exec, no JSON, no config decoding, no plugin logic — and times each op. It
// is the physical limit our plugin sets are reported against ("the plugin set is N x the
// floor"). The kernel operations mirror an strace of build/cni-bin/{bridge,ptp} (the list is in
// pod_ops.cc and docs/performance.md); the plugins' read-only lookups that a process which
// already knows the node's state can skip (bridge lookup, rule dump before adding, ...) are left
// out, which is what makes it a floor.
//
//   world.cc    untimed setup/teardown: node netns (bridge, gateway address, nft table), pod
//               netns, the IPAM directory under a mktemp dir
//   pod_ops.cc  the timed per-pod ADD / DEL, step by step
//   verify.cc   the strict correctness checks after ADD and after DEL
//   report.cc   stdout lines (`<op> <pod-index> <ns>`) and the stderr summary
//   main.cc     CLI, worker threads, signals
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/common/unique_fd.h"
#include "src/netns/netns.h"

namespace cni::floorbench {

enum class Kind { kBridge, kPtp };
enum class Op { kAdd, kDel };

struct Options {
  Kind kind = Kind::kBridge;
  int pods = 200;
  int parallel = 1;
};

// Set by the signal thread (SIGINT/SIGTERM/SIGHUP) or by a failing worker: no new pod starts.
extern std::atomic<bool> g_stop;

// Names shared with the plugins' real configuration (bench/plugins.sh scenario a/c).
inline constexpr std::string_view kNetwork = "bench-floor";
inline constexpr std::string_view kBridgeName = "cnifloor0";
inline constexpr std::string_view kPodIfname = "eth0";
inline constexpr std::string_view kMasqTable = "cni_plugins_masquerade";
inline constexpr std::string_view kMasqChain = "masq_checks";
inline constexpr int kMaxPods = 4000;  // the /20 below, minus network, gateway and broadcast

// Everything about one pod that is decided before timing starts.
struct Pod {
  int index = 0;
  std::string container_id;  // "c<index>"
  IpPrefix address;          // pod IP with the subnet's prefix length
  std::string host_veth;     // host end name, "veth%08x" like the plugins' random names
  std::string ip_text;       // "10.88.0.2": the lease file's name, last_reserved_ip.0's content
  std::string lease_path;    // <ipam dir>/<ip>
  std::string lease_text;    // "<cid>\r\n<ifname>"
  std::string comment;       // the masquerade rule comment (instance hash first)
  std::string comment_key;   // the instance hash (what the plugin's DEL finds the rule by)
  uint64_t rule_handle = 0;  // the rule's handle, learnt after the ADD phase (see main.cc)
  std::optional<netns::NetNs> ns;
};

// The untimed world one run works in. Destroying it removes every trace: the namespaces are
// anonymous (kept alive by their fds only, so the kernel frees them — with the bridge, the veths
// and the nft table — even if this process dies), and the mktemp directory is removed.
class World {
 public:
  static Expected<std::unique_ptr<World>> create(const Options& o);
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World();

  const Options& options() const { return opts_; }
  const netns::NetNs& node() const { return *node_; }
  std::vector<Pod>& pods() { return pods_; }
  const std::vector<Pod>& pods() const { return pods_; }
  const IpPrefix& subnet() const { return subnet_; }
  const IpAddress& gateway() const { return gateway_; }
  int bridgeIndex() const { return bridge_index_; }
  const std::string& ipamDir() const { return ipam_dir_; }
  const std::string& lastReservedPath() const { return last_reserved_path_; }
  // Whether DEL may use NFT_MSG_DESTROYRULE (Linux >= 6.3), as the plugins do; asked once.
  bool hasDestroy() const { return has_destroy_; }

  // Untimed, after the ADD phase: every pod's rule handle from one dump of masq_checks. A
  // plugin can have the handle for free at ADD (NLM_F_ECHO on NEWRULE) and keep it with its
  // state; ours instead dumps the chain on DEL to find it by comment (reported separately).
  Status learnRuleHandles();

 private:
  World() = default;
  Status setupNode();
  Status setupPods();

  Options opts_;
  std::optional<netns::NetNs> node_;
  std::vector<Pod> pods_;
  IpPrefix subnet_;
  IpAddress gateway_;
  int bridge_index_ = 0;
  std::string tmp_dir_;  // empty once removed (or never made)
  std::string ipam_dir_;
  std::string last_reserved_path_;
  bool has_destroy_ = false;
};

// A fresh anonymous network namespace (unshare on a throwaway thread).
Expected<netns::NetNs> newAnonymousNetns();

// setns(2) of the calling thread into `target` for one scope, back into `home` at its end.
// Failing to go back would leave a worker in a pod namespace: that aborts the program.
class NsSwitch {
 public:
  static Expected<NsSwitch> enter(const netns::NetNs& target, const netns::NetNs& home);
  NsSwitch(NsSwitch&& o) noexcept : home_(std::exchange(o.home_, nullptr)) {}
  NsSwitch& operator=(NsSwitch&&) = delete;
  ~NsSwitch();

 private:
  explicit NsSwitch(const netns::NetNs* home) : home_(home) {}
  const netns::NetNs* home_;
};
// Moves the calling thread into `ns` for good (workers join the node namespace at start).
Status joinNetns(const netns::NetNs& ns);

// Per-op timing: the whole op and its steps (CLOCK_MONOTONIC), in nanoseconds.
inline constexpr size_t kMaxSteps = 8;
struct OpTiming {
  uint64_t total_ns = 0;
  uint64_t cpu_ns = 0;  // CPU time of the thread (CLOCK_THREAD_CPUTIME_ID) over the op
  std::array<uint64_t, kMaxSteps> step_ns{};
  bool done = false;
};
uint64_t monotonicNs();
uint64_t threadCpuNs();

// The step names of one op of one kind (index = OpTiming::step_ns index).
std::vector<std::string_view> stepNames(Kind kind, Op op);

// One pod's ADD / DEL (pod_ops.cc). Called on a thread that lives in the node namespace.
Status podAdd(const World& w, const Pod& p, OpTiming& t);
Status podDel(const World& w, const Pod& p, OpTiming& t);

// The correctness checks (verify.cc); each returns every problem found (empty = all good).
std::vector<std::string> verifyAfterAdd(const World& w);
std::vector<std::string> verifyAfterDel(const World& w);

// Output (report.cc): the machine lines on stdout, the human summary on stderr.
void printLines(Op op, const std::vector<OpTiming>& t);
void printSummary(const Options& o, Op op, const std::vector<OpTiming>& t, uint64_t wall_ns);

std::string_view kindName(Kind k);

}  // namespace cni::floorbench
