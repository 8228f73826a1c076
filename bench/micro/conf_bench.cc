// bench/micro/conf_bench.cc — configuration parsing micro-benchmarks (src/conf, src/libcni).
//
// What libcnikit pays per pod operation before any plugin runs: the network configuration is
// parsed from its bytes (cnitool and bench-pods re-read the file per ADD/DEL), then one stdin is
// built per plugin of the chain. Inputs are the benchmark harness's own: a legacy single-plugin
// .conf (bridge + host-local) and scenario (b)'s conflist (bridge + host-local with ipMasq,
// portmap with capabilities, bandwidth, firewall, tuning).
// Every timed iteration starts from the bytes; nothing parsed is carried across iterations.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "src/conf/conf.h"
#include "src/libcni/api.h"
#include "src/spec/result.h"

namespace {

using namespace cni;

const std::string kIpam = R"({"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}]],)"
                          R"("routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/var/lib/cni/networks"})";

// A legacy .conf: one plugin object with name/cniVersion at its top level.
const std::string kSingleConf =
    R"({"cniVersion":"1.0.0","name":"bench-single","type":"bridge","bridge":"cni0",)"
    R"("isGateway":true,"ipMasq":true,"mtu":1500,"ipam":)" +
    kIpam + "}";

// Scenario (b), as bench/pods writes it.
const std::string kConflistB =
    R"({"cniVersion":"1.0.0","name":"bench-b","plugins":[)"
    R"({"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"ipam":)" +
    kIpam +
    R"(},{"type":"portmap","capabilities":{"portMappings":true},"snat":true})"
    R"(,{"type":"bandwidth","capabilities":{"bandwidth":true}})"
    R"(,{"type":"firewall"})"
    R"(,{"type":"tuning","sysctl":{"net.core.somaxconn":"1024"}}]})";

// The result bridge hands to portmap: host bridge, host veth, pod eth0, one IP, one route.
const char kBridgeResult[] = R"({
    "cniVersion": "1.0.0",
    "interfaces": [
        {"name": "cni0", "mac": "2a:1b:9c:3d:4e:5f"},
        {"name": "veth1a2b3c4d", "mac": "6e:7f:80:91:a2:b3"},
        {"name": "eth0", "mac": "c4:d5:e6:f7:08:19", "sandbox": "/var/run/netns/bench-pod-1"}
    ],
    "ips": [{"interface": 2, "address": "10.88.0.7/16", "gateway": "10.88.0.1"}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.88.0.1"}],
    "dns": {}
})";

[[noreturn]] void die(const char* what, const Error& e) {
  std::fprintf(stderr, "conf_bench: %s: %s\n", what, e.toString().c_str());
  std::abort();
}

// .conf bytes -> NetworkConfig (Go ConfFromBytes).
void BM_ConfFromBytes_Single(benchmark::State& state) {
  for (auto _ : state) {
    auto c = conf::confFromBytes(kSingleConf);
    if (!c) die("confFromBytes", c.error());
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSingleConf.size()));
}
BENCHMARK(BM_ConfFromBytes_Single);

// .conf bytes -> NetworkConfigList, what a runtime loading a .conf actually gets (Go
// ConfFromBytes + ConfListFromConf: the object is re-marshalled and parsed again as a list).
void BM_ConfToList_Single(benchmark::State& state) {
  for (auto _ : state) {
    auto c = conf::confFromBytes(kSingleConf);
    if (!c) die("confFromBytes", c.error());
    auto list = conf::confListFromConf(*c);
    if (!list) die("confListFromConf", list.error());
    benchmark::DoNotOptimize(list);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSingleConf.size()));
}
BENCHMARK(BM_ConfToList_Single);

// Scenario (b) conflist bytes -> NetworkConfigList (5 plugins, each re-marshalled as Go does).
void BM_ConfListFromBytes_ScenarioB(benchmark::State& state) {
  for (auto _ : state) {
    auto list = conf::confListFromBytes(kConflistB);
    if (!list) die("confListFromBytes", list.error());
    if (list->plugins.size() != 5) std::abort();
    benchmark::DoNotOptimize(list);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kConflistB.size()));
}
BENCHMARK(BM_ConfListFromBytes_ScenarioB);

// The stdin libcnikit builds for portmap in scenario (b): the plugin object with name and
// cniVersion injected, runtimeConfig.portMappings from the capability args, and bridge's result
// as prevResult. The list and the previous result are inputs of this step in the real path
// (parsed once per operation, prevResult handed over from the previous plugin), so they are
// prepared untimed.
void BM_BuildPluginConfig_PortmapWithPrevResult(benchmark::State& state) {
  auto list = conf::confListFromBytes(kConflistB);
  if (!list) die("confListFromBytes", list.error());
  auto prev = spec::parseResult(kBridgeResult);
  if (!prev) die("parseResult", prev.error());
  libcni::RuntimeConf rt;
  rt.container_id = "bench-pod-1";
  rt.netns = "/var/run/netns/bench-pod-1";
  rt.ifname = "eth0";
  rt.capability_args =
      Json::parse(R"({"portMappings":[{"hostPort":30001,"containerPort":80,"protocol":"tcp"}],)"
                  R"("bandwidth":{"ingressRate":100000000,"ingressBurst":10000000,)"
                  R"("egressRate":100000000,"egressBurst":10000000}})");
  const conf::PluginConf& portmap = list->plugins.at(1);
  size_t out_bytes = 0;
  for (auto _ : state) {
    auto stdin_data =
        libcni::CniConfig::buildPluginConfig(portmap, list->name, list->cni_version, &*prev, rt);
    if (!stdin_data) die("buildPluginConfig", stdin_data.error());
    out_bytes = stdin_data->size();
    benchmark::DoNotOptimize(stdin_data);
  }
  // A label, not a user counter: Google Benchmark 1.7's CSV reporter aborts on rows whose
  // counter sets differ.
  state.SetLabel("stdin_bytes=" + std::to_string(out_bytes));
}
BENCHMARK(BM_BuildPluginConfig_PortmapWithPrevResult);

}  // namespace
