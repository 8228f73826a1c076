// tests/e2e/soak_test.cc — the concurrency soak (issue #7, item 5): 8 workers x 500 ADD/DEL
// cycles (CNIKIT_LONG_TESTS=1: 8 x 5000) through libcnikit in-process (src/libcni/api.h, which
// execs our static plugin binary), alternating between two networks — different bridges, /27
// subnets so addresses are reused all the time, file-backed host-local in temp dirs, masquerade
// and a portmap host port per pod (per-pod nft rules) — while a GC thread runs gcNetworkList on
// both networks in a loop.
//
// GC's valid attachments are what a runtime would pass: every attachment that is live or in
// flight. Workers register an attachment before its ADD and unregister it after its DEL. A GC
// round holds a gate that new registrations wait for: without it an attachment registered just
// after GC read the registry could ADD (and be collected) while that GC runs — a runtime bug,
// not a plugin one. ADDs and DELs of registered attachments do run during GC.
//
// Checked: after every ADD the address is held by no other live attachment of that network
// (duplicate = failure) and is really on the pod's interface; every ADD, DEL and GC succeeds
// (any error fails the test with its message); at the end nothing is left (no lease, no index
// entry, no cache entry, no veth on the bridges, no per-pod nft rule, nothing in the pods);
// the whole run stays under a generous time bound.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "src/conf/conf.h"
#include "src/libcni/api.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/reliability_util.h"
#include "tests/testutil/netns_fixture.h"

namespace cni::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kWorkers = 8;
constexpr int kNetworks = 2;
constexpr const char* kIfname = "eth0";

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
    if (!std::filesystem::exists(ourPluginDir() + "/bridge")) {
      GTEST_SKIP() << "build/cni-bin not built";
    }
    node_ = std::make_unique<testutil::TestNetNs>("sknode");
    ASSERT_TRUE(node_->ok()) << node_->error().toString();
    for (int w = 0; w < kWorkers; ++w) {
      pods_.push_back(std::make_unique<testutil::TestNetNs>("skpod"));
      ASSERT_TRUE(pods_.back()->ok()) << pods_.back()->error().toString();
    }
  }

  std::string netName(int n) const { return "soak" + std::to_string(n); }
  std::string ipamDir(int n) const {
    return (state_.path() / ("ipam" + std::to_string(n))).string();
  }
  std::string cacheDir() const { return (state_.path() / "cache").string(); }

  std::string conflist(int n) const {
    return R"({"cniVersion":"1.1.0","name":")" + netName(n) +
           R"(","plugins":[{"type":"bridge","bridge":"cksoak)" + std::to_string(n) +
           R"(","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[)"
           R"({"subnet":"10.7)" +
           std::to_string(8 + n) + R"(.0.0/27"}]],"dataDir":")" + ipamDir(n) +
           R"("}},{"type":"portmap","capabilities":{"portMappings":true}}]})";
  }

  std::unique_ptr<testutil::TestNetNs> node_;
  std::vector<std::unique_ptr<testutil::TestNetNs>> pods_;
  testutil::TempDir state_;
};

TEST_F(SoakTest, EightWorkersAddDelOnTwoNetworksWithConcurrentGc) {
  const int cycles = reliability::scaled(500, 5000);
  // Generous: the default run measures well under half of this on an idle 2-core machine.
  const auto bound = reliability::longTests() ? 3000s : 280s;
  std::vector<conf::NetworkConfigList> lists;
  for (int n = 0; n < kNetworks; ++n) {
    auto l = conf::confListFromBytes(conflist(n));
    ASSERT_TRUE(l) << l.error().toString();
    lists.push_back(std::move(*l));
  }
  libcni::Options opts;
  opts.path = {ourPluginDir()};
  opts.cache_dir = cacheDir();
  libcni::CniConfig cni(opts);

  std::mutex mu;  // guards everything below up to `errors`
  std::map<int, std::set<std::pair<std::string, std::string>>> registered;  // net -> attachments
  std::map<int, std::map<std::string, std::string>> live_ips;               // net -> ip -> cid
  std::vector<std::string> errors;
  std::vector<double> add_ms, del_ms, gc_ms;
  int duplicates = 0, adds_ok = 0, dels_ok = 0, gc_rounds = 0, max_in_flight = 0;
  std::shared_mutex gc_gate;
  std::atomic<bool> stop{false};
  auto error = [&](std::string e) {
    std::lock_guard l(mu);
    if (errors.size() < 20) errors.push_back(std::move(e));
  };
  auto failures = [&] {
    std::lock_guard l(mu);
    return errors.size();
  };

  auto worker = [&](int w) {
    for (int i = 0; i < cycles && failures() == 0; ++i) {
      const int n = (w + i) % kNetworks;
      const std::string cid = "soak-w" + std::to_string(w) + "-" + std::to_string(i);
      libcni::RuntimeConf rt{.container_id = cid,
                             .netns = pods_[w]->path(),
                             .ifname = kIfname,
                             .capability_args = Json::parse(
                                 R"({"portMappings":[{"hostPort":)" + std::to_string(40000 + w) +
                                 R"(,"containerPort":80,"protocol":"tcp"}]})")};
      {
        std::shared_lock gate(gc_gate);  // not while a GC round is running (see the top)
        std::lock_guard l(mu);
        registered[n].emplace(cid, kIfname);
        int in_flight = 0;
        for (const auto& [_, set] : registered) in_flight += static_cast<int>(set.size());
        max_in_flight = std::max(max_in_flight, in_flight);
      }
      auto t = Clock::now();
      auto r = cni.addNetworkList(lists[n], rt);
      const double a_ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
      std::string ip;
      if (!r) {
        error("ADD " + cid + " on " + netName(n) + ": " + r.error().toString());
      } else if (r->ips.empty()) {
        error("ADD " + cid + " returned no address");
      } else {
        ip = r->ips[0].address.substr(0, r->ips[0].address.find('/'));
        std::lock_guard l(mu);
        add_ms.push_back(a_ms);
        ++adds_ok;
        auto [it, fresh] = live_ips[n].emplace(ip, cid);
        if (!fresh) {
          ++duplicates;
          errors.push_back("duplicate IP " + ip + " on " + netName(n) + ": " + cid +
                           " got it while " + it->second + " holds it");
        }
      }
      if (!ip.empty()) {
        auto held = reliability::ipv4On(pods_[w]->ns(), kIfname);
        if (held != std::vector<std::string>{ip}) {
          std::string got;
          for (const auto& h : held) got += h + " ";
          error(cid + ": the pod's " + kIfname + " carries [" + got + "], not " + ip);
        }
        // Out of the live map before DEL releases it: another worker may get it right after.
        std::lock_guard l(mu);
        if (auto it = live_ips[n].find(ip); it != live_ips[n].end() && it->second == cid) {
          live_ips[n].erase(it);
        }
      }
      t = Clock::now();
      auto d = cni.delNetworkList(lists[n], rt);
      const double d_ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
      if (!d) error("DEL " + cid + " on " + netName(n) + ": " + d.error().toString());
      std::lock_guard l(mu);
      if (d) {
        del_ms.push_back(d_ms);
        ++dels_ok;
      }
      registered[n].erase({cid, kIfname});
    }
  };
  auto collector = [&] {
    while (!stop) {
      for (int n = 0; n < kNetworks && !stop; ++n) {
        std::unique_lock gate(gc_gate);
        std::vector<libcni::GcAttachment> valid;
        {
          std::lock_guard l(mu);
          for (const auto& [cid, ifname] : registered[n]) valid.push_back({cid, ifname});
        }
        auto t = Clock::now();
        auto s = cni.gcNetworkList(lists[n], valid);
        const double g_ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
        gate.unlock();
        if (!s) error("GC " + netName(n) + ": " + s.error().toString());
        std::lock_guard l(mu);
        gc_ms.push_back(g_ms);
        ++gc_rounds;
      }
      std::this_thread::sleep_for(10ms);  // let registrations through between rounds
    }
  };

  // Every thread works inside the node namespace: the plugins it execs start there.
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto s = node_->run([&] { worker(w); });
      if (!s) error("worker " + std::to_string(w) + ": " + s.error().toString());
    });
  }
  std::thread gc_thread([&] {
    auto s = node_->run([&] { collector(); });
    if (!s) error("GC thread: " + s.error().toString());
  });
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  gc_thread.join();

  EXPECT_EQ(errors.size(), 0u) << [&] {
    std::string all;
    for (const auto& e : errors) all += e + "\n";
    return all;
  }();
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(adds_ok, kWorkers * cycles);
  EXPECT_EQ(dels_ok, kWorkers * cycles);

  // Leftovers: files, kernel objects in the node and in every pod.
  int leftovers = 0;
  std::string what;
  auto leftover = [&](const std::string& w) {
    ++leftovers;
    if (what.size() < 4000) what += w + "\n";
  };
  for (int n = 0; n < kNetworks; ++n) {
    const std::string dir = ipamDir(n) + "/" + netName(n);
    for (const auto& f : reliability::listDir(dir)) {
      if (f != "lock" && f != ".cnikit-index" && !f.starts_with("last_reserved_ip.")) {
        leftover("lease file " + dir + "/" + f);
      }
    }
    for (const auto& f : reliability::listDir(dir + "/.cnikit-index")) {
      if (f != "stamp") leftover("index entry " + f);
    }
  }
  for (const auto& f : reliability::listDir(cacheDir() + "/results")) leftover("cache file " + f);
  for (const auto& l : reliability::interfacesIn(node_->ns())) {
    if (l != "lo" && l != "cksoak0" && l != "cksoak1") leftover("node link " + l);
  }
  for (const auto& p : pods_) {
    for (const auto& l : reliability::interfacesIn(p->ns())) {
      if (l != "lo") leftover("pod link " + l + " in " + p->name());
    }
  }
  auto nft = testutil::run("ip netns exec " + node_->name() + " nft list ruleset");
  EXPECT_EQ(nft.status, 0) << nft.err;
  for (size_t pos = nft.out.find("soak-w"); pos != std::string::npos;
       pos = nft.out.find("soak-w", pos + 1)) {
    size_t bol = nft.out.rfind('\n', pos);
    size_t eol = nft.out.find('\n', pos);
    bol = bol == std::string::npos ? 0 : bol + 1;
    leftover("nft rule: " + nft.out.substr(bol, eol - bol));
  }
  EXPECT_EQ(leftovers, 0) << what;
  EXPECT_LT(secs, std::chrono::duration<double>(bound).count()) << "the soak took too long";

  const int total = kWorkers * cycles;
  reliability::summary(
      "soak: " + std::to_string(kWorkers) + " workers x " + std::to_string(cycles) +
      " ADD/DEL cycles (bridge+host-local+masquerade+portmap via libcnikit, 2 networks, /27 "
      "each, max " +
      std::to_string(max_in_flight) + " in flight) with " + std::to_string(gc_rounds) +
      " concurrent GC rounds: " + std::to_string(adds_ok) + "/" + std::to_string(total) +
      " ADD ok, " + std::to_string(dels_ok) + "/" + std::to_string(total) + " DEL ok, " +
      std::to_string(duplicates) + " duplicate IPs, " + std::to_string(leftovers) + " leftovers, " +
      std::to_string(errors.size()) + " errors; " + fmt(secs) + " s (" + fmt(total / secs) +
      " cycles/s); ADD p50/p99 " + fmt(reliability::quantile(add_ms, 0.5)) + "/" +
      fmt(reliability::quantile(add_ms, 0.99)) + " ms, DEL p50/p99 " +
      fmt(reliability::quantile(del_ms, 0.5)) + "/" + fmt(reliability::quantile(del_ms, 0.99)) +
      " ms, GC p50 " + fmt(reliability::quantile(gc_ms, 0.5)) + " ms");
}

}  // namespace
}  // namespace cni::e2e
