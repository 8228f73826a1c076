// tests/netns/bridge_stress_test.cc — many runtimes at once: 8 workers x 100 ADD/DEL cycles of
// the bridge plugin (masquerade on, host-local IPAM, real binaries, one shared bridge and lease
// store) in a node namespace. No address may ever be held by two live pods, every ADD and DEL
// must succeed, and afterwards nothing is left: no veth, no lease, no masquerade rule.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

constexpr int kWorkers = 8;
constexpr int kCycles = 100;

class BridgeStress : public NodeWorld {};

TEST_F(BridgeStress, ParallelAddDelNeverDuplicatesAndLeavesNothing) {
  std::vector<testutil::TestNetNs*> pods;
  for (int w = 0; w < kWorkers; ++w) pods.push_back(&addPod());
  const std::string conf =
      R"({"cniVersion":"1.0.0","name":"stress","type":"bridge","bridge":"cnistress0",)"
      R"("isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":)"
      R"("10.93.0.0/27"}]],"dataDir":")" +
      dataDir() + R"("}})";
  std::mutex mu;
  std::set<std::string> live;
  std::atomic<int> duplicates{0}, failures{0};
  std::vector<std::string> errors;
  auto worker = [&](int w) {
    for (int i = 0; i < kCycles && failures < 5; ++i) {
      const std::string cid = "w" + std::to_string(w) + "-" + std::to_string(i);
      Outcome add = call("bridge", "ADD", pods[w]->path(), cid, conf);
      auto r = spec::parseJson(add.out, "result");
      if (add.exit_code != 0 || !r || !(*r)["ips"].is_array()) {
        ++failures;
        std::lock_guard lock(mu);
        errors.push_back("ADD " + cid + ": " + add.out + add.err);
        continue;
      }
      const std::string ip = (*r)["ips"][0]["address"];
      {
        std::lock_guard lock(mu);
        if (!live.insert(ip).second) ++duplicates;
      }
      // While held, the address really is on the pod's interface.
      auto held = addrs(*pods[w], "eth0");
      if (held.size() != 1 || held[0] != ip) {
        ++failures;
        std::lock_guard lock(mu);
        errors.push_back("pod " + cid + " does not carry " + ip);
      }
      {
        // Out of the live set before DEL releases it: another worker may get it right after.
        std::lock_guard lock(mu);
        live.erase(ip);
      }
      Outcome del = call("bridge", "DEL", pods[w]->path(), cid, conf);
      if (del.exit_code != 0) {
        ++failures;
        std::lock_guard lock(mu);
        errors.push_back("DEL " + cid + ": " + del.out + del.err);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) threads.emplace_back(worker, w);
  for (auto& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(duplicates.load(), 0);
  for (const auto& l : links(node())) EXPECT_NE(l.kind, "veth") << "leaked " << l.name;
  EXPECT_TRUE(leasedIps("stress").empty());
  EXPECT_EQ(nftRuleset().find("masquerade comment"), std::string::npos) << nftRuleset();
}

}  // namespace
}  // namespace cni::plugintest
