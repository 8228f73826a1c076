// bench/micro/result_bench.cc — result decoding, version conversion and encoding micro-benchmarks
// (src/spec/result.h).
//
// libcnikit decodes every plugin's stdout and converts it to the list's version; plugins convert
// their own result to the config's cniVersion and encode it (host-local does both per ADD).
// The input is a realistic 1.0.0 result: a host bridge, a host veth and the pod's eth0, one IPv4
// and one IPv6 address, three routes and a full DNS block. Decoding starts from bytes in every
// iteration; conversion and encoding start from an already decoded Result, as they do in the
// real path (the Result is the output of the decode step, not something re-done by them).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "src/spec/result.h"

namespace {

using namespace cni;

const std::string kResult100 = R"({
    "cniVersion": "1.0.0",
    "interfaces": [
        {"name": "cni0", "mac": "2a:1b:9c:3d:4e:5f"},
        {"name": "veth1a2b3c4d", "mac": "6e:7f:80:91:a2:b3"},
        {"name": "eth0", "mac": "c4:d5:e6:f7:08:19", "sandbox": "/var/run/netns/bench-pod-1"}
    ],
    "ips": [
        {"interface": 2, "address": "10.88.0.7/16", "gateway": "10.88.0.1"},
        {"interface": 2, "address": "fd00:88::7/64", "gateway": "fd00:88::1"}
    ],
    "routes": [
        {"dst": "0.0.0.0/0", "gw": "10.88.0.1"},
        {"dst": "::/0", "gw": "fd00:88::1"},
        {"dst": "192.168.0.0/16"}
    ],
    "dns": {
        "nameservers": ["10.96.0.10", "fd00:96::a"],
        "domain": "cluster.local",
        "search": ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
        "options": ["ndots:5", "edns0"]
    }
})";

const std::string kResult020 = R"({
    "cniVersion": "0.2.0",
    "ip4": {
        "ip": "10.88.0.7/16",
        "gateway": "10.88.0.1",
        "routes": [{"dst": "0.0.0.0/0", "gw": "10.88.0.1"}, {"dst": "192.168.0.0/16"}]
    },
    "ip6": {"ip": "fd00:88::7/64", "gateway": "fd00:88::1", "routes": [{"dst": "::/0"}]},
    "dns": {"nameservers": ["10.96.0.10"], "domain": "cluster.local", "search": ["svc.local"]}
})";

[[noreturn]] void die(const char* what, const Error& e) {
  std::fprintf(stderr, "result_bench: %s: %s\n", what, e.toString().c_str());
  std::abort();
}

spec::Result parsed(const std::string& bytes) {
  auto r = spec::parseResult(bytes);
  if (!r) die("parseResult", r.error());
  return *r;
}

// Plugin stdout -> Result (Go create.CreateFromBytes).
void BM_ParseResult_100(benchmark::State& state) {
  for (auto _ : state) {
    auto r = spec::parseResult(kResult100);
    if (!r) die("parseResult", r.error());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResult100.size()));
}
BENCHMARK(BM_ParseResult_100);

// 1.0.0 -> older versions (libcnikit converting to a list's cniVersion, or a plugin answering an
// older config). 0.4.0/0.3.1 synthesise ips[].version; 0.2.0 keeps the first v4/v6 address.
void BM_ConvertResult_100To(benchmark::State& state, std::string_view to) {
  const spec::Result r = parsed(kResult100);
  for (auto _ : state) {
    auto out = spec::convertResult(r, to);
    if (!out) die("convertResult", out.error());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK_CAPTURE(BM_ConvertResult_100To, v040, std::string_view("0.4.0"));
BENCHMARK_CAPTURE(BM_ConvertResult_100To, v031, std::string_view("0.3.1"));
BENCHMARK_CAPTURE(BM_ConvertResult_100To, v020, std::string_view("0.2.0"));

// 0.2.0 -> 1.0.0 (an old plugin's result in a 1.0.0 chain).
void BM_ConvertResult_020To100(benchmark::State& state) {
  const spec::Result r = parsed(kResult020);
  for (auto _ : state) {
    auto out = spec::convertResult(r, "1.0.0");
    if (!out) die("convertResult", out.error());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ConvertResult_020To100);

// Result -> JSON text, Go PrintResult formatting (what a plugin writes on stdout), and the
// compact form libcnikit splices into the next plugin's prevResult.
void BM_EncodeResult_100(benchmark::State& state, bool indent) {
  const spec::Result r = parsed(kResult100);
  for (auto _ : state) {
    std::string out = spec::encodeResult(r, indent);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK_CAPTURE(BM_EncodeResult_100, indented, true);
BENCHMARK_CAPTURE(BM_EncodeResult_100, compact, false);

// The whole per-plugin hop libcnikit does on a result: decode stdout, convert to the list's
// version (0.4.0 here, the oldest version still common in deployed conflists), re-encode.
void BM_DecodeConvertEncode_100To040(benchmark::State& state) {
  for (auto _ : state) {
    auto r = spec::parseResult(kResult100);
    if (!r) die("parseResult", r.error());
    auto out = spec::convertResult(*r, "0.4.0");
    if (!out) die("convertResult", out.error());
    std::string text = spec::encodeResult(*out, false);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_DecodeConvertEncode_100To040);

}  // namespace
