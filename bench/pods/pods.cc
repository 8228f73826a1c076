// bench/pods/pods.cc — the pod ADD/DEL benchmark (see pods.h).
#include "bench/pods/pods.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "bench/pods/shim_exec.h"
#include "bench/pods/util.h"
#include "src/conf/load.h"
#include "src/invoke/raw_exec.h"
#include "src/libcni/api.h"
#include "src/netlink/link.h"
#include "src/netlink/socket.h"
#include "src/netns/netns.h"

namespace cni::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Extra pods per system whose ADD/DEL run through bench-exec-shim for the peak RSS figures.
constexpr int kRssPods = 2;

// Time spent inside plugin processes by the op running on this thread (RawExec calls on_exit
// synchronously on the thread that ran the plugin).
thread_local double t_plugin_ms = 0;

struct System {
  std::string label;  // "ours" / "ref"
  std::string dir;
  std::string conflist_path;
  std::unique_ptr<libcni::CniConfig> cni;
  std::unique_ptr<libcni::CniConfig> rss_cni;  // same, every plugin run through ShimExec
  SystemRun run;
  std::mutex mu;                   // guards run
  std::vector<std::string> netns;  // pod i's namespace path
  int host_port_base = 0;
};

std::string conflistJson(char scenario, const std::string& label, const std::string& subnet,
                         const std::string& data_dir) {
  const std::string name = "bench-" + label + "-" + scenario;
  const std::string ipam = R"({"type":"host-local","ranges":[[{"subnet":")" + subnet +
                           R"("}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":")" + data_dir + "\"}";
  std::string main;
  if (scenario == 'c') {
    main = R"({"type":"ptp","ipMasq":true,"ipam":)" + ipam + "}";
  } else {
    main = R"({"type":"bridge","bridge":"cb)" + label.substr(0, 1) + scenario +
           R"(0","isGateway":true,"ipMasq":true,"ipam":)" + ipam + "}";
  }
  std::string plugins = main;
  if (scenario == 'b') {
    plugins += R"(,{"type":"portmap","capabilities":{"portMappings":true},"snat":true})"
               R"(,{"type":"bandwidth","capabilities":{"bandwidth":true}})"
               R"(,{"type":"firewall"})"
               R"(,{"type":"tuning","sysctl":{"net.core.somaxconn":"1024"},"dataDir":")" +
               data_dir + R"(-tuning"})";  // its backups beside the leases, not in /run/cni
  }
  return R"({"cniVersion":"1.0.0","name":")" + name + R"(","plugins":[)" + plugins + "]}";
}

libcni::RuntimeConf runtimeConf(const System& s, char scenario, int i) {
  libcni::RuntimeConf rt;
  rt.container_id = "bench-" + s.label + "-" + std::to_string(i);
  rt.netns = s.netns[static_cast<size_t>(i)];
  rt.ifname = "eth0";
  if (scenario == 'b') {
    rt.capability_args = Json::parse(
        R"({"portMappings":[{"hostPort":)" + std::to_string(s.host_port_base + i) +
        R"(,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":100000000,)"
        R"("ingressBurst":10000000,"egressRate":100000000,"egressBurst":10000000}})");
  }
  return rt;
}

std::string pluginName(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// One ADD or DEL of pod i; false (with a message on stderr) on failure.
bool podOp(System& s, char scenario, int i, bool add, bool rss_pass = false) {
  libcni::RuntimeConf rt = runtimeConf(s, scenario, i);
  double load_ms = 0;
  Expected<conf::NetworkConfigList> list;
  {
    auto t0 = Clock::now();
    list = conf::confListFromFile(s.conflist_path);
    load_ms = msSince(t0);
  }
  if (!list) {
    std::fprintf(stderr, "%s: %s\n", s.conflist_path.c_str(), list.error().toString().c_str());
    return false;
  }
  t_plugin_ms = 0;
  auto t0 = Clock::now();
  bool ok = true;
  int failures = 0;
  if (add) {
    libcni::CniConfig& cni = *(rss_pass ? s.rss_cni : s.cni);
    // The reference's portmap races with itself under parallel ADDs (two `iptables -N` of the
    // same chain: "CHAIN_USER_ADD failed (File exists)"). Kubelet would tear the sandbox down
    // and retry, so the reference gets that here too, twice at most, and the pod's time is the
    // whole sequence; the failures are counted in the report. Ours get no retry: any failure of
    // ours fails the run.
    const int tries = s.label == "ref" ? 3 : 1;
    for (int t = 0; t < tries; ++t) {
      auto r = cni.addNetworkList(*list, rt);
      if (r) {
        ok = true;
        break;
      }
      ok = false;
      ++failures;
      std::fprintf(stderr, "%s ADD pod %d%s: %s\n", s.label.c_str(), i,
                   t + 1 < tries ? " (tearing down and retrying)" : "",
                   r.error().toString().c_str());
      if (t + 1 < tries) (void)cni.delNetworkList(*list, rt);
    }
  } else {
    auto r = (rss_pass ? s.rss_cni : s.cni)->delNetworkList(*list, rt);
    if (!r) {
      std::fprintf(stderr, "%s DEL pod %d: %s\n", s.label.c_str(), i, r.error().toString().c_str());
      ok = false;
    }
  }
  double wall = msSince(t0);
  if (rss_pass) return ok;
  std::lock_guard lock(s.mu);
  s.run.add_failures += ok ? failures : 0;
  (add ? s.run.add : s.run.del).add(wall);
  (add ? s.run.add_plugins : s.run.del_plugins).add(t_plugin_ms);
  if (add) s.run.conf_load.add(load_ms);
  return ok;
}

// Runs op(i) for i in [begin, end) on `parallel` threads inside the node namespace.
bool runOps(int node_fd, int parallel, int begin, int end, const std::function<bool(int)>& op) {
  std::atomic<int> next{begin};
  std::atomic<bool> ok{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < parallel; ++t) {
    threads.emplace_back([&] {
      if (::setns(node_fd, CLONE_NEWNET) != 0) {
        std::perror("setns(node)");
        ok = false;
        return;
      }
      for (int i; ok && !stopRequested() && (i = next++) < end;) {
        if (!op(i)) ok = false;
      }
    });
  }
  for (auto& t : threads) t.join();
  return ok && !stopRequested();
}

// Lease files still on disk in a host-local dataDir (everything but the lock and cursors).
int leftoverLeases(const std::string& data_dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string f = it->path().filename();
    if (f.starts_with(".")) {  // our lease index (.cnikit-index) is not a lease
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (f != "lock" && !f.starts_with("last_reserved_ip")) ++n;
  }
  return n;
}

void printRows(char scenario, int parallel, System& ours, System& ref, const Samples* floor_add,
               const Samples* floor_del) {
  const std::string label =
      scenarioLabel(scenario) +
      (parallel > 1 ? ", " + std::to_string(parallel) + " in parallel" : ", sequential");
  struct Pct {
    const char* name;
    double p;
  };
  for (auto [op, fa, oa, ra] : {std::tuple{"ADD", floor_add, &ours.run.add, &ref.run.add},
                                std::tuple{"DEL", floor_del, &ours.run.del, &ref.run.del}}) {
    for (Pct p : {Pct{"median", 0.5}, Pct{"p90", 0.9}, Pct{"p99", 0.99}}) {
      Row r{"pods", label, std::string(op) + " " + p.name, "ms"};
      r.cnikit = oa->pct(p.p);
      r.reference = ra->pct(p.p);
      if (fa && !fa->empty()) r.floor = fa->pct(p.p);
      printRow(r);
    }
  }
  printRow({"pods", label, "ADD failures retried (torn down and retried as kubelet does)", "count",
            static_cast<double>(ours.run.add_failures), static_cast<double>(ref.run.add_failures),
            NAN, false});
  // The runtime side: what libcnikit itself costs per op, with either plugin set under it.
  auto overhead = [](const Samples& total, const Samples& plugins) {
    Samples s;
    for (size_t i = 0; i < total.ms.size(); ++i) s.add((total.ms[i] - plugins.ms[i]) * 1000);
    return s;
  };
  Samples oo = overhead(ours.run.add, ours.run.add_plugins);
  Samples ro = overhead(ref.run.add, ref.run.add_plugins);
  printRow({"runtime", label, "libcnikit per ADD, besides plugins (median)", "us", oo.median(),
            ro.median(), NAN, false});
  printRow({"runtime", label, "time in plugin processes per ADD (median)", "ms",
            ours.run.add_plugins.median(), ref.run.add_plugins.median()});
  Samples od = overhead(ours.run.del, ours.run.del_plugins);
  Samples rd = overhead(ref.run.del, ref.run.del_plugins);
  printRow({"runtime", label, "libcnikit per DEL, besides plugins (median)", "us", od.median(),
            rd.median(), NAN, false});
  Samples ol, rl;
  for (double v : ours.run.conf_load.ms) ol.add(v * 1000);
  for (double v : ref.run.conf_load.ms) rl.add(v * 1000);
  printRow({"runtime", label, "config load (read + parse the conflist, median)", "us", ol.median(),
            rl.median(), NAN, false});
  // Per plugin process: latency and footprint of each exec the chain made. A key only one side
  // has stays with an empty cell (our bridge/ptp run host-local in-process: no exec).
  std::set<std::string> keys;
  for (auto& [key, unused] : ours.run.exec_ms) keys.insert(key);
  for (auto& [key, unused] : ref.run.exec_ms) keys.insert(key);
  for (const std::string& key : keys) {
    auto o = ours.run.exec_ms.find(key);
    auto r = ref.run.exec_ms.find(key);
    printRow({"plugins", label, key + " exec (median)", "ms",
              o == ours.run.exec_ms.end() ? NAN : o->second.median(),
              r == ref.run.exec_ms.end() ? NAN : r->second.median()});
  }
  for (const std::string& key : keys) {
    auto o = ours.run.peak_rss_kib.find(key);
    auto r = ref.run.peak_rss_kib.find(key);
    printRow({"rss", label, key + " peak RSS", "MiB",
              o == ours.run.peak_rss_kib.end() ? NAN : o->second / 1024.0,
              r == ref.run.peak_rss_kib.end() ? NAN : r->second / 1024.0});
    auto oa = ours.run.anon_kib.find(key);
    auto ra = ref.run.anon_kib.find(key);
    auto mib = [](long kib) { return kib < 0 ? NAN : kib / 1024.0; };
    printRow({"rss", label, key + " private (anon) RSS at exit", "MiB",
              oa == ours.run.anon_kib.end() ? NAN : mib(oa->second),
              ra == ref.run.anon_kib.end() ? NAN : mib(ra->second)});
  }
}

}  // namespace

std::string scenarioLabel(char scenario) {
  switch (scenario) {
    case 'a':
      return "(a) bridge+host-local+masq";
    case 'b':
      return "(b) (a)+portmap+bandwidth+firewall+tuning";
    default:
      return "(c) ptp+host-local+masq";
  }
}

bool runPodBench(const PodBenchConfig& cfg) {
  const std::string tag = "ckb" + std::to_string(::getpid()) + cfg.scenario;
  NamespaceSet spaces;  // removed on every exit path
  auto node = spaces.create(tag + "-node");
  if (!node) return false;
  if (!bringLoUp(*node)) return false;

  System ours, ref;
  ours.label = "ours", ours.dir = cfg.ours_dir, ours.host_port_base = 20000;
  ref.label = "ref", ref.dir = cfg.ref_dir, ref.host_port_base = 30000;
  int subnet = 100 + (cfg.scenario - 'a') * 2;
  for (System* s : {&ours, &ref}) {
    const std::string base = cfg.work_dir + "/" + s->label + "-" + cfg.scenario;
    fs::create_directories(base);
    s->conflist_path = base + "/net.conflist";
    std::ofstream(s->conflist_path) << conflistJson(
        cfg.scenario, s->label, "10." + std::to_string(subnet++) + ".0.0/16", base + "/ipam");
    invoke::RawExecOptions eo;
    eo.on_exit = [s](const invoke::ExecStats& st) {
      double ms = std::chrono::duration<double, std::milli>(st.wall).count();
      t_plugin_ms += ms;
      std::string key = pluginName(st.plugin_path) + " " + std::string(st.command);
      std::lock_guard lock(s->mu);
      s->run.exec_ms[key].add(ms);
    };
    libcni::Options o;
    o.path = {s->dir};
    o.cache_dir = base + "/cache";
    o.exec = std::make_shared<invoke::RawExec>(std::move(eo));
    s->cni = std::make_unique<libcni::CniConfig>(std::move(o));
    // The RSS pass (below) uses kRssPods more, through ShimExec.
    auto sink = [s](const std::string& plugin, const std::string& cmd, long kib, long anon) {
      std::lock_guard lock(s->mu);
      long& peak = s->run.peak_rss_kib[plugin + " " + cmd];
      peak = std::max(peak, kib);
      auto [it, fresh] = s->run.anon_kib.try_emplace(plugin + " " + cmd, anon);
      if (!fresh) it->second = std::max(it->second, anon);
    };
    libcni::Options so;
    so.path = {s->dir};
    so.cache_dir = base + "/cache";
    so.exec = std::make_shared<ShimExec>(shimPath(), sink);
    s->rss_cni = std::make_unique<libcni::CniConfig>(std::move(so));
    for (int i = 0; i < cfg.pods + kRssPods; ++i) {
      auto ns = spaces.create(tag + "-" + s->label.substr(0, 1) + std::to_string(i));
      if (!ns) return false;
      s->netns.push_back(ns->path());
    }
  }

  // Sequential: pod by pod, alternating which system goes first. Parallel: blocks of 5 pods
  // per worker, one system at a time (both systems at once would let one's load slow the other).
  const int block = cfg.parallel > 1 ? cfg.parallel * 5 : 1;
  const int fd = node->fd();
  for (bool add : {true, false}) {
    for (int b = 0, k = 0; b < cfg.pods; b += block, ++k) {
      int end = std::min(cfg.pods, b + block);
      System* order[2] = {&ours, &ref};
      if (k % 2) std::swap(order[0], order[1]);
      for (System* s : order) {
        if (!runOps(fd, cfg.parallel, b, end,
                    [&](int i) { return podOp(*s, cfg.scenario, i, add); })) {
          return false;
        }
      }
    }
  }
  for (bool add : {true, false}) {
    for (System* s : {&ours, &ref}) {
      if (!runOps(fd, 1, cfg.pods, cfg.pods + kRssPods,
                  [&](int i) { return podOp(*s, cfg.scenario, i, add, true); })) {
        return false;
      }
    }
  }
  for (System* s : {&ours, &ref}) {
    int left = leftoverLeases(cfg.work_dir + "/" + s->label + "-" + cfg.scenario + "/ipam");
    if (left != 0) {
      std::fprintf(stderr, "%s: %d leases left after DEL\n", s->label.c_str(), left);
      return false;
    }
  }
  Samples floor_add, floor_del;
  if (!cfg.floor_file.empty() && !readFloor(cfg.floor_file, floor_add, floor_del)) return false;
  printRows(cfg.scenario, cfg.parallel, ours, ref, cfg.floor_file.empty() ? nullptr : &floor_add,
            cfg.floor_file.empty() ? nullptr : &floor_del);
  return true;
}

}  // namespace cni::bench
