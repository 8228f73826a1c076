// tools/cnikit/cmd_demo.cc — the main job: pods attached through libcnikit, traffic proven.
//
// Creates N pod network namespaces (no `ip` binary needed), attaches each to two networks the
// way containerd does — our `loopback` with its own config, then the embedded pod network — and
// then proves pod->gateway (ICMP echo) and pod->pod (TCP round trip) traffic, runs CHECK, detaches
// everything, removes the namespaces and what the network left on the host, and prints per-step
// timings. Before the teardown, `cnikit doctor` inspects the node the demo built: it must be
// healthy. All state (result cache, IPAM leases) lives in a private directory under /run.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "src/doctor/doctor.h"
#include "src/invoke/find.h"
#include "src/netlink/link_set.h"
#include "src/netlink/socket.h"
#include "src/nft/list.h"
#include "src/spec/result.h"
#include "tools/cnikit/cli.h"
#include "tools/cnikit/probe.h"

namespace cni::tools {
namespace {

using Clock = std::chrono::steady_clock;

// containerd attaches loopback with a config of its own before the pod network.
constexpr const char* kLoopbackConf =
    R"({"cniVersion":"1.1.0","name":"cni-loopback","plugins":[{"type":"loopback"}]})";

// The embedded default pod network: a bridge with host-local IPAM and masquerade on (what a
// node's default network looks like; the demo's traffic never leaves the subnet, so nothing is
// actually NATed). cniVersion 1.0.0 so that any bridge found in CNI_PATH (ours first by
// default, or the reference) can serve it.
constexpr const char* kPodConfTemplate = R"({
  "cniVersion": "1.0.0",
  "name": "cnikit-demo",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "@BRIDGE@",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "@SUBNET@"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "@DATADIR@"
      }
    }
  ]
})";

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The directory CNI_PATH should start with: build/cni-bin next to build/bin/cnikit.
std::string ourPluginDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path().parent_path() / "cni-bin").string();
}

constexpr std::string_view kMasqTable = "cni_plugins_masquerade";

// Whether the host already has the bridge plugin's masquerade table (then it is not ours to
// remove at the end).
bool masqTableExists() {
  auto sock = nft::NfSocket::open();
  if (!sock) return false;
  auto t = nft::findTable(*sock, nft::Family::kInet, kMasqTable);
  return t && t->has_value();
}

// Removes the masquerade table the demo's pods caused, if no rule of anyone else is in it.
Status removeMasqTableIfUnused() {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket sock, nft::NfSocket::open());
  CNI_ASSIGN_OR_RETURN(auto rules,
                       nft::listRules(sock, nft::Family::kInet, kMasqTable, "masq_checks"));
  if (!rules.empty()) return {};
  CNI_TRY(nft::deleteTableIfExists(sock, nft::Family::kInet, kMasqTable));
  return {};
}

// The bridge plugin (like the reference) leaves the shared bridge for the next pod; the demo
// removes it. Already gone is fine.
Status deleteHostLink(const std::string& name) {
  CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
  CNI_TRY(netlink::deleteLinkByName(sock, name));
  return {};
}

struct Pod {
  std::string name;
  std::optional<netns::NetNs> ns;
  std::string ip, gateway;
  double add_ms = 0, del_ms = 0;
  bool attached_lo = false, attached = false;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int cmdDemo(const GlobalOptions& g_in, const DemoOptions& d) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "cnikit demo: must run as root (it creates network namespaces)\n");
    return kExitFailed;
  }
  if (d.pods < 1 || d.pods > 200) {
    std::fprintf(stderr, "cnikit demo: --pods must be 1..200\n");
    return kExitUsage;
  }
  GlobalOptions g = g_in;
  if (g.cni_path.empty()) {  // neither --cni-path nor CNI_PATH: ours first, then the reference
    g.cni_path = ourPluginDir() + ":/usr/lib/cni:/opt/cni/bin";
  }
  const std::string tag = std::to_string(::getpid());
  const std::string state = "/run/cnikit-demo-" + tag;
  const std::string bridge = "cnikit" + tag.substr(0, 8);
  g.cache_dir = state + "/cache";
  auto opts = libcniOptions(g);
  libcni::CniConfig cni(opts);

  auto lo_list = conf::confListFromBytes(kLoopbackConf);
  std::string pod_text = replaceAll(kPodConfTemplate, "@BRIDGE@", bridge);
  pod_text = replaceAll(pod_text, "@SUBNET@", d.subnet);
  pod_text = replaceAll(pod_text, "@DATADIR@", state + "/ipam");
  auto pod_list = conf::confListFromBytes(pod_text);
  if (!lo_list || !pod_list) {
    return reportError(g, "demo", !lo_list ? lo_list.error() : pod_list.error());
  }
  std::printf("cnikit demo: %d pods on network \"%s\" (bridge %s, subnet %s)\n", d.pods,
              pod_list->name.c_str(), bridge.c_str(), d.subnet.c_str());
  std::printf("CNI_PATH=%s\nstate: %s\n", g.cni_path.c_str(), state.c_str());
  for (const char* plugin : {"loopback", "bridge", "host-local"}) {
    auto path = invoke::findInPath(plugin, invoke::splitPath(g.cni_path));
    std::printf("  %-10s %s\n", plugin, path ? path->c_str() : path.error().msg.c_str());
  }
  std::printf("\n");
  const bool masq_table_before = masqTableExists();

  std::vector<Pod> pods(static_cast<size_t>(d.pods));
  int failures = 0;
  auto report = [&](std::string_view step, const Error& e) {
    ++failures;
    std::fprintf(stderr, "  FAILED %.*s: %s\n", static_cast<int>(step.size()), step.data(),
                 e.toString().c_str());
  };

  // 1. Namespaces and attachment.
  auto t0 = Clock::now();
  for (size_t i = 0; i < pods.size(); ++i) {
    Pod& p = pods[i];
    p.name = "cnikit-demo-" + tag + "-" + std::to_string(i);
    auto ns = netns::NetNs::createNamed(p.name);
    if (!ns) {
      report("create netns", ns.error());
      break;
    }
    p.ns = std::move(*ns);
    libcni::RuntimeConf rt{
        .container_id = p.name, .netns = netns::NetNs::namedPath(p.name), .ifname = "lo"};
    auto start = Clock::now();
    auto lo = cni.addNetworkList(*lo_list, rt);
    if (!lo) {
      report("ADD loopback", lo.error());
      continue;
    }
    p.attached_lo = true;
    rt.ifname = "eth0";
    auto r = cni.addNetworkList(*pod_list, rt);
    p.add_ms = ms(Clock::now() - start);
    if (!r) {
      report("ADD pod network", r.error());
      continue;
    }
    p.attached = true;
    if (!r->ips.empty()) {
      p.ip = r->ips[0].address.substr(0, r->ips[0].address.find('/'));
      p.gateway = r->ips[0].gateway;
    }
    std::printf("  pod %-28s eth0 %-16s gw %-14s ADD %6.2f ms\n", p.name.c_str(),
                r->ips.empty() ? "-" : r->ips[0].address.c_str(), p.gateway.c_str(), p.add_ms);
  }
  auto t_attach = Clock::now() - t0;

  // 2. Traffic: every pod pings its gateway; each pod opens a TCP connection to the next one.
  std::printf("\ntraffic:\n");
  for (auto& p : pods) {
    if (!p.attached || p.gateway.empty()) continue;
    auto rtt = ping4(*p.ns, p.gateway, std::chrono::milliseconds(2000));
    if (!rtt) {
      report("ping gateway", rtt.error());
    } else {
      std::printf("  %s -> gateway %s: ICMP echo reply in %.3f ms\n", p.ip.c_str(),
                  p.gateway.c_str(), rtt->count() / 1000.0);
    }
  }
  for (size_t i = 0; i + 1 < pods.size(); ++i) {
    Pod& a = pods[i];
    Pod& b = pods[i + 1];
    if (!a.attached || !b.attached) continue;
    auto rtt = tcpEcho(*a.ns, *b.ns, b.ip, 7000, std::chrono::milliseconds(2000));
    if (!rtt) {
      report("TCP pod->pod", rtt.error());
    } else {
      std::printf("  %s -> %s: TCP echo in %.3f ms\n", a.ip.c_str(), b.ip.c_str(),
                  rtt->count() / 1000.0);
    }
  }

  // 3. CHECK.
  for (auto& p : pods) {
    if (!p.attached) continue;
    libcni::RuntimeConf rt{
        .container_id = p.name, .netns = netns::NetNs::namedPath(p.name), .ifname = "eth0"};
    if (auto s = cni.checkNetworkList(*pod_list, rt); !s) report("CHECK", s.error());
  }
  std::printf("  CHECK: %s\n", failures == 0 ? "every attachment verified" : "see errors above");

  // 4. The doctor on the node the demo built: the network's config as a runtime would find it,
  // the plugins, the cache, the leases, the bridge and the masquerade rules must all be healthy.
  {
    std::error_code ec;
    std::filesystem::create_directories(state + "/net.d", ec);
    FILE* f = std::fopen((state + "/net.d/10-cnikit-demo.conflist").c_str(), "we");
    if (f != nullptr) {
      std::fputs(pod_text.c_str(), f);
      std::fclose(f);
    }
    doctor::Options o;
    o.bin_dirs.clear();
    o.conf_dir = state + "/net.d";
    // The directories of CNI_PATH that exist (the default path lists /opt/cni/bin, which a
    // build machine may not have: not the demo node's problem).
    for (const auto& dir : invoke::splitPath(g.cni_path)) {
      if (std::filesystem::is_directory(dir, ec)) o.bin_dirs.push_back(dir);
    }
    o.cache_dir = g.cache_dir;
    o.runtime_checks = false;  // the host's kubelet/containerd logs are not the demo's business
    auto start = Clock::now();
    doctor::Report r = doctor::diagnose(doctor::gather(o));
    double took = ms(Clock::now() - start);
    if (r.exitCode() == 0) {
      std::printf(
          "  doctor: healthy, %zu findings, %.1f ms (cnikit doctor --conf-dir %s/net.d "
          "--cache-dir %s --bin-dir %s)\n",
          r.findings().size(), took, state.c_str(), g.cache_dir.c_str(),
          invoke::joinPath(o.bin_dirs).c_str());
    } else {
      ++failures;
      std::printf("  doctor: %s\n", r.verdict().c_str());
      for (const auto& fd : r.findings()) {
        std::printf("    %s %s %s: %s\n", std::string(doctor::severityName(fd.severity)).c_str(),
                    fd.check.c_str(), fd.subject.c_str(), fd.message.c_str());
      }
    }
  }

  if (d.keep) {
    std::printf("\n--keep: leaving pods attached; state in %s\n", state.c_str());
    return failures == 0 ? kExitOk : kExitFailed;
  }

  // 5. Teardown: DEL in reverse (pod network, then loopback), namespaces, bridge, state.
  auto t1 = Clock::now();
  for (auto& p : pods) {
    libcni::RuntimeConf rt{
        .container_id = p.name, .netns = netns::NetNs::namedPath(p.name), .ifname = "eth0"};
    auto start = Clock::now();
    if (p.attached) {
      if (auto s = cni.delNetworkList(*pod_list, rt); !s) report("DEL pod network", s.error());
    }
    if (p.attached_lo) {
      rt.ifname = "lo";
      if (auto s = cni.delNetworkList(*lo_list, rt); !s) report("DEL loopback", s.error());
    }
    p.del_ms = ms(Clock::now() - start);
    p.ns.reset();
    if (!p.name.empty()) (void)netns::NetNs::removeNamed(p.name);
  }
  auto t_teardown = Clock::now() - t1;
  if (auto s = deleteHostLink(bridge); !s) report("delete bridge " + bridge, s.error());
  if (!masq_table_before) {
    if (auto s = removeMasqTableIfUnused(); !s) report("remove masquerade table", s.error());
  }
  std::error_code ec;
  std::filesystem::remove_all(state, ec);

  std::vector<double> adds, dels;
  for (const auto& p : pods) {
    if (p.attached) adds.push_back(p.add_ms);
    dels.push_back(p.del_ms);
  }
  std::printf(
      "\ntimings: attach %d pods %.1f ms (median ADD %.2f ms), teardown %.1f ms "
      "(median DEL %.2f ms)\n",
      d.pods, ms(t_attach), median(adds), ms(t_teardown), median(dels));
  std::printf("%s\n", failures == 0 ? "OK: every step succeeded, nothing left behind"
                                    : "FAILED: see errors above");
  return failures == 0 ? kExitOk : kExitFailed;
}

}  // namespace cni::tools
