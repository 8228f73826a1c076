// bench/micro/libcni_bench.cc — libcnikit's own cost per ADD and DEL, without the plugins.
//
// The runtime side of a pod operation is everything CniConfig does around the plugin execs:
// find each plugin in CNI_PATH, build its stdin (prevResult, runtimeConfig), decode and check
// each result, convert the final one, write the cniCacheV1 entry (ADD), read it back and remove
// it (DEL). Here the Exec is an in-memory stand-in that answers each plugin instantly with a
// realistic result, so what is timed is exactly libcnikit: scenario (a) (one plugin) and (b)
// (five), with the cache in a temp dir on the same file system as /var/lib/cni. bench-pods
// measures the same thing end to end as "libcnikit per ADD, besides plugins".
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "src/conf/conf.h"
#include "src/invoke/exec.h"
#include "src/libcni/api.h"

namespace {

using namespace cni;

const std::string kIpam = R"({"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}]],)"
                          R"("routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/var/lib/cni/networks"})";
const std::string kBridge =
    R"({"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"ipam":)" + kIpam + "}";
const std::string kListA = R"({"cniVersion":"1.0.0","name":"bench-a","plugins":[)" + kBridge + "]}";
const std::string kListB =
    R"({"cniVersion":"1.0.0","name":"bench-b","plugins":[)" + kBridge +
    R"(,{"type":"portmap","capabilities":{"portMappings":true},"snat":true})"
    R"(,{"type":"bandwidth","capabilities":{"bandwidth":true}})"
    R"(,{"type":"firewall"},{"type":"tuning","sysctl":{"net.core.somaxconn":"1024"}}]})";

const char kResult[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"2a:1b:9c:3d:4e:5f"},)"
    R"({"name":"veth1a2b3c4d","mac":"6e:7f:80:91:a2:b3"},{"name":"eth0",)"
    R"("mac":"c4:d5:e6:f7:08:19","sandbox":"/var/run/netns/bench-pod"}],)"
    R"("ips":[{"interface":2,"address":"10.88.0.7/16","gateway":"10.88.0.1"}],)"
    R"("routes":[{"dst":"0.0.0.0/0","gw":"10.88.0.1"}],"dns":{}})";

// Every plugin answers at once: ADD with the bridge's result (chained plugins pass it through,
// as the real ones do), everything else with nothing.
class InstantExec : public invoke::Exec {
 public:
  Expected<std::string> execPlugin(const std::string&, std::string_view,
                                   const std::vector<std::string>& env) override {
    for (const std::string& e : env) {
      if (e == "CNI_COMMAND=ADD") return std::string(kResult);
    }
    return std::string();
  }
  Expected<std::string> findInPath(std::string_view plugin,
                                   const std::vector<std::string>&) override {
    return "/opt/cni/bin/" + std::string(plugin);
  }
};

void addDel(benchmark::State& state, const std::string& list_json) {
  auto list = conf::confListFromBytes(list_json);
  if (!list) std::abort();
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp ? tmp : "/tmp") + "/cnikit-libcni-bench-" + std::to_string(::getpid());
  libcni::Options o;
  o.path = {"/opt/cni/bin"};
  o.cache_dir = dir;
  o.exec = std::make_shared<InstantExec>();
  libcni::CniConfig cni(std::move(o));
  libcni::RuntimeConf rt;
  rt.netns = "/var/run/netns/bench-pod";
  rt.ifname = "eth0";
  rt.capability_args =
      Json::parse(R"({"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],)"
                  R"("bandwidth":{"ingressRate":100000000,"ingressBurst":10000000,)"
                  R"("egressRate":100000000,"egressBurst":10000000}})");
  long n = 0;
  for (auto _ : state) {
    rt.container_id = "c" + std::to_string(n++);
    auto r = cni.addNetworkList(*list, rt);
    if (!r) std::abort();
    benchmark::DoNotOptimize(r);
    if (!cni.delNetworkList(*list, rt)) std::abort();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void BM_Libcni_AddDel_ScenarioA(benchmark::State& state) { addDel(state, kListA); }
void BM_Libcni_AddDel_ScenarioB(benchmark::State& state) { addDel(state, kListB); }
BENCHMARK(BM_Libcni_AddDel_ScenarioA)->UseRealTime();
BENCHMARK(BM_Libcni_AddDel_ScenarioB)->UseRealTime();

}  // namespace
