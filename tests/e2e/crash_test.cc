// tests/e2e/crash_test.cc — crash consistency (issue #7, item 4): the `cnikit` CLI running a
// chain that touches everything (bridge + host-local with a file-backed dataDir + portmap with a
// port mapping + bandwidth + tuning; libcni writes its result cache) is SIGKILLed at many
// instants of an ADD (and of a DEL). After every kill:
//   * the result cache entry of the attachment is absent or a complete cniCacheV1 document;
//   * every host-local lease file is complete ("<cid>\r\n<ifname>" of a known attachment);
//   * DEL (CLI) succeeds, GC (CLI, the live pod valid) succeeds, and then nothing is left: the
//     node namespace (links, addresses, routes, sysctls, nft incl. masquerade/portmap tables,
//     tc qdiscs), the pod namespace, the lease directory, the cache and the tuning dataDir are
//     exactly as before the ADD (the bridge stays, as the reference leaves it);
//   * a fresh ADD of the same container ID / ifname works and gets an address;
//   * a second, live pod on the same network keeps its address: it is never handed out again.
// The kill instants are a deterministic sweep: k * 1.2 * D / K for k = 0..K-1, D the duration of
// an uninterrupted ADD (the median of the last 7, re-measured as the sweep goes: other tests
// share the CPUs, and a stale D would bunch the kills at one end). Variants: SIGKILL of the whole
// process group (the CLI and the plugin it runs; the group is SIGSTOPped first so the test can see
// which process was running), SIGKILL of the plugin child only (libcni sees it die and must fail
// cleanly), and kills during DEL followed by a repeated DEL. Everything lives in throwaway
// namespaces: a "node" namespace plays the host (the CLI and the plugins run inside it), two pod
// namespaces. CNIKIT_LONG_TESTS=1 sweeps several hundred instants per variant.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "src/libcni/cache.h"
#include "src/spec/json.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/kernel_state.h"
#include "tests/e2e/reliability_util.h"
#include "tests/testutil/netns_fixture.h"

namespace cni::e2e {
namespace {

using namespace std::chrono_literals;
using reliability::CliProcess;
using reliability::CliResult;
using Clock = std::chrono::steady_clock;

constexpr const char* kNet = "crashnet";
constexpr const char* kLive = "live";
constexpr const char* kVictim = "victim";
constexpr const char* kIfname = "eth0";
const std::set<std::string> kPlugins = {"bridge", "host-local", "portmap", "bandwidth", "tuning"};

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

void sleepUntil(Clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  timespec ts{.tv_sec = static_cast<time_t>(ns / 1000000000), .tv_nsec = ns % 1000000000};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// "a=1, b=2" of a histogram.
std::string histogram(const std::map<std::string, int>& h) {
  std::string out;
  for (const auto& [k, v] : h) out += (out.empty() ? "" : ", ") + k + " " + std::to_string(v);
  return out.empty() ? "none" : out;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    if (!std::filesystem::exists(ourPluginDir() + "/bridge") ||
        !std::filesystem::exists(cnikitBin())) {
      GTEST_SKIP() << "build/cni-bin or build/bin/cnikit not built";
    }
    node_ = std::make_unique<testutil::TestNetNs>("crnode");
    victim_ = std::make_unique<testutil::TestNetNs>("crpod");
    live_ = std::make_unique<testutil::TestNetNs>("crlive");
    ASSERT_TRUE(node_->ok() && victim_->ok() && live_->ok()) << node_->error().toString();
    // A /27: 29 pod addresses, so the allocator wraps around (past the live pod's address)
    // every few dozen ADDs.
    const std::string conflist = std::string(R"({"cniVersion":"1.1.0","name":")") + kNet +
                                 R"(","plugins":[)"
                                 R"({"type":"bridge","bridge":"ckcrash0","isGateway":true,)"
                                 R"("ipMasq":true,"ipam":{"type":"host-local","ranges":[[)"
                                 R"({"subnet":"10.77.0.0/27"}]],"routes":[{"dst":"0.0.0.0/0"}],)"
                                 R"("dataDir":")" +
                                 ipamDir() +
                                 R"("}},)"
                                 R"({"type":"portmap","capabilities":{"portMappings":true},)"
                                 R"("snat":true},)"
                                 R"({"type":"bandwidth","ingressRate":8000000,)"
                                 R"("ingressBurst":800000,"egressRate":8000000,)"
                                 R"("egressBurst":800000},)"
                                 R"({"type":"tuning","mtu":1400,"dataDir":")" +
                                 tuningDir() + R"("}]})";
    state_.write("net.d/10-crash.conflist", conflist);
  }

  std::string ipamDir() const { return (state_.path() / "ipam").string(); }
  std::string leaseDir() const { return ipamDir() + "/" + kNet; }
  std::string cacheDir() const { return (state_.path() / "cache").string(); }
  std::string resultsDir() const { return cacheDir() + "/results"; }
  std::string tuningDir() const { return (state_.path() / "tuning").string(); }

  std::map<std::string, std::string> env(const std::string& cid) const {
    const int host_port = cid == kLive ? 38081 : 38080;
    return {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
            {"NETCONFPATH", (state_.path() / "net.d").string()},
            {"CNI_PATH", ourPluginDir()},
            {"CAP_ARGS", R"({"portMappings":[{"hostPort":)" + std::to_string(host_port) +
                             R"(,"containerPort":80,"protocol":"tcp"}]})"}};
  }
  std::vector<std::string> args(const std::string& verb, const std::string& cid) const {
    const testutil::TestNetNs& pod = cid == kLive ? *live_ : *victim_;
    return {"--cache-dir", cacheDir(), "--container-id", cid, verb, kNet, pod.path()};
  }
  CliResult cli(const std::string& verb, const std::string& cid) const {
    return reliability::runCli(node_->path(), args(verb, cid), env(cid));
  }
  CliResult gc() const {
    return reliability::runCli(
        node_->path(),
        {"--cache-dir", cacheDir(), "gc", kNet, "--valid", std::string(kLive) + "/" + kIfname},
        env(kLive));
  }

  // The first address of an ADD result ("a.b.c.d"), "" when there is none.
  static std::string resultIp(const std::string& out) {
    auto j = spec::parseJson(out, "result");
    if (!j || !j->is_object() || !(*j)["ips"].is_array() || (*j)["ips"].empty()) return "";
    std::string a = (*j)["ips"][0].value("address", "");
    return a.substr(0, a.find('/'));
  }

  // A namespace's whole networking state as text: kernel_state's snapshot plus tc qdiscs.
  std::string fingerprint(const testutil::TestNetNs& ns) const {
    Normaliser norm;
    auto snap = snapshotNetns(ns.name(), norm);
    if (!snap) return "snapshot failed: " + snap.error().toString();
    auto tc = testutil::run("ip netns exec " + ns.name() + " tc qdisc show");
    return snap->text() + "[tc]\n" + norm.apply(tc.out);
  }

  // Everything on disk: names in the lease dir, its index, the cache, the tuning dataDir.
  std::string filesFingerprint() const {
    std::string out;
    for (const auto& [what, dir] :
         std::vector<std::pair<std::string, std::string>>{{"lease", leaseDir()},
                                                          {"index", leaseDir() + "/.cnikit-index"},
                                                          {"cache", resultsDir()},
                                                          {"tuning", tuningDir()}}) {
      for (const auto& n : reliability::listDir(dir)) out += what + " " + n + "\n";
    }
    return out;
  }

  // Line diff of two texts, for failure messages.
  static std::string textDiff(const std::string& a, const std::string& b) {
    auto lines = [](const std::string& t) {
      std::multiset<std::string> out;
      size_t s = 0;
      for (size_t e; (e = t.find('\n', s)) != std::string::npos; s = e + 1) {
        out.insert(t.substr(s, e - s));
      }
      if (s < t.size()) out.insert(t.substr(s));
      return out;
    };
    auto la = lines(a), lb = lines(b);
    std::string out;
    for (const auto& l : la) {
      if (!lb.contains(l)) out += "  - " + l + "\n";
    }
    for (const auto& l : lb) {
      if (!la.contains(l)) out += "  + " + l + "\n";
    }
    return out.empty() ? "  (same lines, different order)\n" : out;
  }

  // Attaches the live pod, runs a warm-up ADD/DEL of the victim (so the nft tables and chains
  // that stay exist), measures ADD and DEL durations, and records the clean baseline.
  void prepare(int warmups = 5) {
    CliResult add = cli("add", kLive);
    ASSERT_EQ(add.status, 0) << add.err;
    live_ip_ = resultIp(add.out);
    ASSERT_FALSE(live_ip_.empty()) << add.out;
    std::vector<double> adds, dels;
    for (int i = 0; i < warmups; ++i) {
      CliResult a = cli("add", kVictim);
      ASSERT_EQ(a.status, 0) << a.err;
      CliResult d = cli("del", kVictim);
      ASSERT_EQ(d.status, 0) << d.err;
      adds.push_back(a.took.count() / 1000.0);
      dels.push_back(d.took.count() / 1000.0);
    }
    add_ms_ = reliability::quantile(adds, 0.5);
    del_ms_ = reliability::quantile(dels, 0.5);
    CliResult g = gc();
    ASSERT_EQ(g.status, 0) << g.err;
    base_node_ = fingerprint(*node_);
    base_pod_ = fingerprint(*victim_);
    base_files_ = filesFingerprint();
    ASSERT_NE(base_node_.find("ckcrash0"), std::string::npos) << base_node_;
  }

  // Right after a kill: no torn cache entry, no torn lease, the live pod's lease intact and its
  // address not on the victim. Returns "" or what is wrong.
  std::string checkNothingTorn() {
    std::string bad;
    for (const auto& n : reliability::listDir(resultsDir())) {
      const std::string expect_live = std::string(kNet) + "-" + kLive + "-" + kIfname;
      const std::string expect_victim = std::string(kNet) + "-" + kVictim + "-" + kIfname;
      if (n != expect_live && n != expect_victim) {
        ++stray_cache_files_;  // a temp file of an interrupted write: DEL + GC must not keep it
        continue;
      }
      auto text = reliability::readText(resultsDir() + "/" + n).value_or("");
      auto j = spec::parseJson(text, "cache");
      std::optional<libcni::CacheEntry> e;
      if (j) e = libcni::decodeEntry(*j);
      if (!e || !e->result || e->container_id.empty() || e->config.empty()) {
        ++torn_cache_;
        bad += "cache file " + n + " is not a complete cniCacheV1 document: " + text + "\n";
      }
    }
    bool live_seen = false;
    for (const auto& n : reliability::listDir(leaseDir())) {
      if (n.empty() || !std::isdigit(static_cast<unsigned char>(n[0]))) continue;  // lock, ...
      if (n.find('.') == std::string::npos || n.starts_with("last_")) continue;
      auto text = reliability::readText(leaseDir() + "/" + n).value_or("<unreadable>");
      const std::string live_key = std::string(kLive) + "\r\n" + kIfname;
      const std::string victim_key = std::string(kVictim) + "\r\n" + kIfname;
      if (n == live_ip_) {
        live_seen = true;
        if (text != live_key) bad += "the live pod's lease " + n + " now holds \"" + text + "\"\n";
      } else if (text != victim_key) {
        ++torn_leases_;
        bad += "lease file " + n + " is incomplete: \"" + text + "\"\n";
      }
    }
    if (!live_seen) bad += "the live pod's lease " + live_ip_ + " is gone\n";
    for (const auto& ip : reliability::ipv4On(victim_->ns(), kIfname)) {
      if (ip == live_ip_) bad += "the victim carries the live pod's address " + ip + "\n";
    }
    return bad;
  }

  // DEL, GC, then everything back to the baseline; then a fresh ADD (+ DEL) of the victim.
  // Returns "" or what is wrong. `del_already_done`: skip the first DEL's "alone clean" count.
  std::string cleanupAndReAdd(const std::string& label) {
    CliResult del = cli("del", kVictim);
    if (del.status != 0) return label + ": DEL failed: " + del.err;
    // After DEL alone (before GC): the attachment's own state should already be gone.
    bool del_clean = filesFingerprint() == base_files_ &&
                     reliability::interfacesIn(victim_->ns()) == std::vector<std::string>{"lo"};
    del_alone_clean_ += del_clean ? 1 : 0;
    CliResult g = gc();
    if (g.status != 0) return label + ": GC failed: " + g.err;
    std::string node = fingerprint(*node_), pod = fingerprint(*victim_), files = filesFingerprint();
    if (node != base_node_)
      return label + ": node namespace differs:\n" + textDiff(base_node_, node);
    if (pod != base_pod_) return label + ": pod namespace differs:\n" + textDiff(base_pod_, pod);
    if (files != base_files_) return label + ": files differ:\n" + textDiff(base_files_, files);
    CliResult add = cli("add", kVictim);
    if (add.status != 0) return label + ": fresh ADD failed: " + add.err;
    const std::string ip = resultIp(add.out);
    if (ip.empty()) return label + ": fresh ADD has no address: " + add.out;
    if (ip == live_ip_) return label + ": fresh ADD got the live pod's address " + ip;
    auto held = reliability::ipv4On(victim_->ns(), kIfname);
    if (held != std::vector<std::string>{ip}) {
      return label + ": fresh ADD's " + ip + " is not on the pod's " + kIfname;
    }
    ++readds_ok_;
    CliResult del2 = cli("del", kVictim);
    if (del2.status != 0) return label + ": DEL after the fresh ADD failed: " + del2.err;
    remember(recent_adds_, add.took.count() / 1000.0);
    remember(recent_dels_, del2.took.count() / 1000.0);
    return "";
  }

  // The kill instants follow the machine's current speed (other tests share the CPUs): D is the
  // median of the last few uninterrupted runs, starting from the warm-up measurement.
  static void remember(std::vector<double>& recent, double v) {
    recent.push_back(v);
    if (recent.size() > 7) recent.erase(recent.begin());
  }
  double currentAddMs() const {
    return recent_adds_.empty() ? add_ms_ : reliability::quantile(recent_adds_, 0.5);
  }
  // "D=<median> ms (<min>..<max>)" of the D each kill was placed with.
  std::string dText() const {
    if (used_d_.empty()) return "D=?";
    auto [lo, hi] = std::minmax_element(used_d_.begin(), used_d_.end());
    return "D=" + ms(reliability::quantile(used_d_, 0.5)) + " ms (" + ms(*lo) + ".." + ms(*hi) +
           ", median of the last 7 uninterrupted runs)";
  }
  double currentDelMs() const {
    return recent_dels_.empty() ? del_ms_ : reliability::quantile(recent_dels_, 0.5);
  }

  // Classifies the group frozen by SIGSTOP: which plugin was running ("cnikit" between plugins,
  // "spawn" before the CLI was even exec'd).
  static std::string phaseOf(const std::vector<reliability::GroupMember>& members) {
    std::string phase = members.empty() ? "gone" : "spawn";
    for (const auto& m : members) {
      if (kPlugins.contains(m.comm)) return m.comm;
      if (m.comm == "cnikit") phase = "cnikit";
    }
    return phase;
  }

  // Starts `cnikit <verb>` for the victim and, `delay` after its start, freezes its whole
  // process group (to record which process was running: phaseOf) and SIGKILLs it.
  struct GroupKill {
    int status = -1;  // waitpid's
    std::string phase, err;
  };
  GroupKill killGroupAfter(const std::string& verb,
                           std::chrono::duration<double, std::milli> delay) {
    CliProcess p(node_->path(), args(verb, kVictim), env(kVictim));
    if (!p.ok()) {
      ADD_FAILURE() << "cannot start cnikit " << verb;
      return {};
    }
    sleepUntil(p.started() + std::chrono::duration_cast<Clock::duration>(delay));
    ::kill(-p.pid(), SIGSTOP);
    GroupKill k{.phase = phaseOf(reliability::groupMembers(p.pid()))};
    ::kill(-p.pid(), SIGKILL);
    k.status = p.wait();
    k.err = p.err();
    return k;
  }

  std::unique_ptr<testutil::TestNetNs> node_, victim_, live_;
  testutil::TempDir state_;
  std::string live_ip_, base_node_, base_pod_, base_files_;
  double add_ms_ = 0, del_ms_ = 0;
  std::vector<double> recent_adds_, recent_dels_, used_d_;
  int torn_cache_ = 0, torn_leases_ = 0, stray_cache_files_ = 0, del_alone_clean_ = 0,
      readds_ok_ = 0;
};

// SIGKILL of the whole process group (CLI + plugin) at K instants spread over 1.2 x one ADD.
TEST_F(CrashTest, KillWholeGroupDuringAddLeavesNothingAfterDelAndGc) {
  ASSERT_NO_FATAL_FAILURE(prepare());
  const int kills = reliability::scaled(120, 500);
  std::map<std::string, int> phases;
  int mid = 0, after = 0, done = 0;
  const auto t0 = Clock::now();
  for (int k = 0; k < kills; ++k) {
    const double d = currentAddMs();
    used_d_.push_back(d);
    const auto delay = std::chrono::duration<double, std::milli>(k * d * 1.2 / kills);
    const GroupKill g = killGroupAfter("add", delay);
    const std::string& phase = g.phase;
    const std::string label = "kill #" + std::to_string(k) + " at " + ms(delay.count()) + " ms";
    if (WIFSIGNALED(g.status)) {
      ++mid;
      ++phases[phase];
    } else {
      ++after;
      ASSERT_TRUE(WIFEXITED(g.status) && WEXITSTATUS(g.status) == 0)
          << label << ": ADD failed: " << g.err;
    }
    std::string torn = checkNothingTorn();
    ASSERT_EQ(torn, "") << label << " (" << phase << ")";
    std::string left = cleanupAndReAdd(label + " (" + phase + ")");
    ASSERT_EQ(left, "");
    ++done;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  reliability::summary(
      "crash: ADD (bridge+host-local+portmap+bandwidth+tuning via cnikit, " + dText() +
      ") whole group SIGKILLed at " + std::to_string(kills) + " instants k/K x 1.2 D: " +
      std::to_string(mid) + " mid-ADD (" + histogram(phases) + "), " + std::to_string(after) +
      " after it ended; " + std::to_string(torn_cache_) + " torn cache files, " +
      std::to_string(torn_leases_) + " torn leases, " + std::to_string(stray_cache_files_) +
      " stray cache temp files; " + std::to_string(done) + "/" + std::to_string(kills) +
      " clean after DEL+GC (DEL alone: " + std::to_string(del_alone_clean_) + "), " +
      std::to_string(readds_ok_) + " re-ADDs ok, live pod's IP never reused; " + ms(secs) + " s");
}

// SIGKILL of the plugin child only, while libcni waits for it: the CLI must fail the ADD with an
// error (not hang, not write a cache entry), and DEL + GC must clean up as above.
TEST_F(CrashTest, KillPluginChildDuringAddFailsCleanly) {
  ASSERT_NO_FATAL_FAILURE(prepare());
  const int kills = reliability::scaled(60, 300);
  std::map<std::string, int> killed;
  int finished_first = 0, done = 0;
  const auto t0 = Clock::now();
  for (int k = 0; k < kills; ++k) {
    const double d = currentAddMs();
    used_d_.push_back(d);
    const auto delay = std::chrono::duration<double, std::milli>(k * d * 1.2 / kills);
    CliProcess p(node_->path(), args("add", kVictim), env(kVictim));
    ASSERT_TRUE(p.ok());
    sleepUntil(p.started() + std::chrono::duration_cast<Clock::duration>(delay));
    // The first plugin process seen from that instant on (the CLI may be between plugins).
    std::string victim_plugin;
    const auto give_up = Clock::now() + 10s;
    while (victim_plugin.empty() && Clock::now() < give_up) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(p.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == p.pid()) {
        break;  // the CLI is done
      }
      for (const auto& m : reliability::groupMembers(p.pid())) {
        if (m.ppid == p.pid() && kPlugins.contains(m.comm) && ::kill(m.pid, SIGKILL) == 0) {
          victim_plugin = m.comm;
          break;
        }
      }
      if (victim_plugin.empty()) std::this_thread::sleep_for(100us);
    }
    const int st = p.wait();
    const std::string label = "plugin kill #" + std::to_string(k) + " at " + ms(delay.count()) +
                              " ms (" + (victim_plugin.empty() ? "none" : victim_plugin) + ")";
    ASSERT_TRUE(WIFEXITED(st)) << label << ": the CLI itself died";
    if (WEXITSTATUS(st) == 0) {
      ++finished_first;  // no plugin left to kill, or it exited between the look and the kill
    } else {
      ++killed[victim_plugin];
      EXPECT_NE(p.err().find("signal: killed"), std::string::npos) << label << ": " << p.err();
      EXPECT_FALSE(
          std::filesystem::exists(resultsDir() + "/" + kNet + "-" + kVictim + "-" + kIfname))
          << label << ": a failed ADD left a cache entry";
    }
    std::string torn = checkNothingTorn();
    ASSERT_EQ(torn, "") << label;
    std::string left = cleanupAndReAdd(label);
    ASSERT_EQ(left, "");
    ++done;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  reliability::summary(
      "crash: plugin child alone SIGKILLed during ADD at " + std::to_string(kills) +
      " instants k/K x 1.2 D (" + dText() + "): " + histogram(killed) +
      " killed (ADD failed with the signal, no cache entry), " + std::to_string(finished_first) +
      " finished first; " + std::to_string(torn_leases_) + " torn leases; " + std::to_string(done) +
      "/" + std::to_string(kills) +
      " clean after DEL+GC (DEL alone: " + std::to_string(del_alone_clean_) + "), " +
      std::to_string(readds_ok_) + " re-ADDs ok; " + ms(secs) + " s");
}

// Kills during DEL: a repeated DEL (then GC) must still clean up everything.
TEST_F(CrashTest, KillDuringDelThenRepeatedDelCleansUp) {
  ASSERT_NO_FATAL_FAILURE(prepare());
  const int kills = reliability::scaled(12, 80);
  std::map<std::string, int> phases;
  int mid = 0, after = 0, done = 0;
  for (int k = 0; k < kills; ++k) {
    CliResult add = cli("add", kVictim);
    ASSERT_EQ(add.status, 0) << add.err;
    const double d = currentDelMs();
    used_d_.push_back(d);
    const auto delay = std::chrono::duration<double, std::milli>(k * d * 1.2 / kills);
    const GroupKill g = killGroupAfter("del", delay);
    const std::string label =
        "DEL kill #" + std::to_string(k) + " at " + ms(delay.count()) + " ms (" + g.phase + ")";
    if (WIFSIGNALED(g.status)) {
      ++mid;
      ++phases[g.phase];
    } else {
      ++after;
      ASSERT_TRUE(WIFEXITED(g.status) && WEXITSTATUS(g.status) == 0)
          << label << ": DEL failed: " << g.err;
    }
    std::string torn = checkNothingTorn();
    ASSERT_EQ(torn, "") << label;
    std::string left = cleanupAndReAdd(label);  // the repeated DEL, GC, checks, fresh ADD + DEL
    ASSERT_EQ(left, "");
    ++done;
  }
  reliability::summary("crash: DEL (" + dText() + ") whole group SIGKILLed at " +
                       std::to_string(kills) + " instants: " + std::to_string(mid) + " mid-DEL (" +
                       histogram(phases) + "), " + std::to_string(after) +
                       " after it ended; repeated DEL + GC clean " + std::to_string(done) + "/" +
                       std::to_string(kills) + ", " + std::to_string(readds_ok_) + " re-ADDs ok");
}

// The temp files a kill leaves between create and rename — libcni's result cache entry
// ("<net>-<cid>-<ifname>.tmp.XXXXXX") and tuning's backup ("<cid>_<ifname>.json.tmp") — are the
// windows the sweeps above only hit by chance (microseconds wide): DEL must remove them.
TEST_F(CrashTest, TempFilesOfInterruptedWritesGoWithDel) {
  ASSERT_NO_FATAL_FAILURE(prepare(1));
  CliResult add = cli("add", kVictim);
  ASSERT_EQ(add.status, 0) << add.err;
  const std::string cache_tmp =
      resultsDir() + "/" + kNet + "-" + kVictim + "-" + kIfname + ".tmp.Ab3dE9";
  const std::string tuning_tmp = tuningDir() + "/" + kVictim + "_" + kIfname + ".json.tmp";
  state_.write(std::filesystem::relative(cache_tmp, state_.path()).string(), "{\"kind\":\"cniCa");
  state_.write(std::filesystem::relative(tuning_tmp, state_.path()).string(), "{\"mtu\":");
  CliResult del = cli("del", kVictim);
  ASSERT_EQ(del.status, 0) << del.err;
  EXPECT_FALSE(std::filesystem::exists(cache_tmp));
  EXPECT_FALSE(std::filesystem::exists(tuning_tmp));
  EXPECT_EQ(filesFingerprint(), base_files_) << textDiff(base_files_, filesFingerprint());
  EXPECT_EQ(fingerprint(*node_), base_node_);
  reliability::summary(
      "crash: temp files of interrupted cache/backup writes removed by DEL: " +
      std::string(std::filesystem::exists(cache_tmp) || std::filesystem::exists(tuning_tmp)
                      ? "no"
                      : "yes"));
}

}  // namespace
}  // namespace cni::e2e
