// tests/unit/ipam/ipam_test.cc — the IPAM engine in-process: range validation texts, Go's
// allocation order, the lease files, the index (and its staleness detection), requested IPs,
// per-version results, GC and STATUS of host-local, and static's source precedence.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "plugins/multicall/registry.h"
#include "src/common/sha512.h"
#include "src/ipam/allocator.h"
#include "src/ipam/config.h"
#include "src/ipam/disk_store.h"
#include "src/skel/skel.h"
#include "tests/testutil/temp_dir.h"

namespace cni::ipam {
namespace {

namespace fs = std::filesystem;

std::string conf(const fs::path& dir, const std::string& version, const std::string& extra,
                 const std::string& top = "") {
  return R"({"cniVersion":")" + version + R"(","name":"unet","type":"x",)" + top +
         R"("ipam":{"type":"host-local","dataDir":")" + dir.string() + "\"," + extra + "}}";
}

struct Outcome {
  int rc;
  std::string out;
};

Outcome call(std::string_view plugin, const std::string& cmd, const std::string& cid,
             const std::string& stdin_data, const std::string& ifname = "eth0",
             const std::string& args = "") {
  std::map<std::string, std::string> env = {{"CNI_COMMAND", cmd},       {"CNI_CONTAINERID", cid},
                                            {"CNI_NETNS", "/x"},        {"CNI_IFNAME", ifname},
                                            {"CNI_PATH", "/bin"},       {"CNI_ARGS", args},
                                            {"CNI_NETNS_OVERRIDE", "1"}};
  skel::Io io;
  io.getenv = [&](const char* k) -> const char* {
    auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  io.stdin_data = stdin_data;
  int rc = skel::pluginMain(*plugins::findPlugin(plugin), io);
  return {rc, io.out};
}

TEST(Range, DefaultsAndValidationTexts) {
  Range r{.subnet = *IpPrefix::parse("10.1.2.0/24"), .has_subnet = true};
  ASSERT_TRUE(r.canonicalize());
  EXPECT_EQ(r.range_start->str(), "10.1.2.1");
  EXPECT_EQ(r.range_end->str(), "10.1.2.254");
  EXPECT_EQ(r.gateway->str(), "10.1.2.1");
  Range v6{.subnet = *IpPrefix::parse("fd00::/120"), .has_subnet = true};
  ASSERT_TRUE(v6.canonicalize());
  EXPECT_EQ(v6.range_end->str(), "fd00::ff");

  auto err = [](std::string subnet, std::optional<std::string> start = {}) {
    Range x{.subnet = *IpPrefix::parse(subnet), .has_subnet = true};
    if (start) x.range_start = *IpAddress::parse(*start);
    auto st = x.canonicalize();
    return st ? std::string() : st.error().msg;
  };
  EXPECT_EQ(err("10.0.0.0/31"), "Network 10.0.0.0/31 too small to allocate from");
  EXPECT_EQ(err("10.0.0.7/24"),
            "Network has host bits set. For a subnet mask of length 24 the network address is "
            "10.0.0.0");
  EXPECT_EQ(err("10.0.0.0/24", "10.0.1.5"), "RangeStart 10.0.1.5 not in network 10.0.0.0/24");
}

TEST(Config, MergesSourcesInGoOrder) {
  testutil::TempDir tmp;
  auto c = loadIpamConfig(
      conf(tmp.path(), "1.0.0", R"("subnet":"10.2.0.0/24","ranges":[[{"subnet":"10.3.0.0/24"}]])",
           R"("runtimeConfig":{"ipRanges":[[{"subnet":"10.1.0.0/24"}]],"ips":["10.1.0.9/24"]},)"
           R"("args":{"cni":{"ips":["10.3.0.8"]}},)"),
      "IgnoreUnknown=true;IP=10.2.0.7;K8S_POD_NAME=p");
  ASSERT_TRUE(c) << c.error().msg;
  ASSERT_EQ(c->ranges.size(), 3u);
  EXPECT_EQ(c->ranges[0][0].subnet.str(), "10.1.0.0/24");  // runtime first
  EXPECT_EQ(c->ranges[1][0].subnet.str(), "10.2.0.0/24");  // then legacy
  ASSERT_EQ(c->requested.size(), 3u);
  EXPECT_EQ(c->requested[0].str(), "10.2.0.7");
  EXPECT_EQ(c->requested[1].str(), "10.3.0.8");
  EXPECT_EQ(c->requested[2].str(), "10.1.0.9");
  auto overlap =
      loadIpamConfig(conf(tmp.path(), "1.0.0",
                          R"("ranges":[[{"subnet":"10.3.0.0/24"}],[{"subnet":"10.3.0.0/16"}]])"),
                     "");
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().msg, "range set 0 overlaps with 1");
  auto unknown = loadIpamConfig(conf(tmp.path(), "1.0.0", R"("subnet":"10.2.0.0/24")"), "X=1");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().msg, "ARGS: unknown args [\"X=1\"]");
}

TEST(Allocator, RoundRobinSkipsGatewayWrapsAndReportsFull) {
  testutil::TempDir tmp;
  RangeSet set = {Range{.subnet = *IpPrefix::parse("10.5.0.0/29"),
                        .has_subnet = true,
                        .gateway = *IpAddress::parse("10.5.0.3")},
                  Range{.subnet = *IpPrefix::parse("10.6.0.0/30"), .has_subnet = true}};
  ASSERT_TRUE(canonicalizeRangeSet(set));
  auto store = DiskStore::open("n", tmp.path().string());
  ASSERT_TRUE(store);
  Allocator a(set, *store, 0);
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) {
    auto r = a.get("c" + std::to_string(i), "eth0", std::nullopt);
    ASSERT_TRUE(r) << r.error().msg;
    got.push_back(r->address.str() + " gw " + r->gateway.str());
  }
  // .3 is range 1's gateway; 10.6.0.1 is range 2's default gateway, so only .2 is usable there.
  EXPECT_EQ(got, (std::vector<std::string>{"10.5.0.1/29 gw 10.5.0.3", "10.5.0.2/29 gw 10.5.0.3",
                                           "10.5.0.4/29 gw 10.5.0.3", "10.5.0.5/29 gw 10.5.0.3",
                                           "10.5.0.6/29 gw 10.5.0.3", "10.6.0.2/30 gw 10.6.0.1"}));
  auto full = a.get("c99", "eth0", std::nullopt);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().msg,
            "no IP addresses available in range set: 10.5.0.1-10.5.0.6,10.6.0.1-10.6.0.2");
  // Release one, the next allocation starts after the last reserved and wraps to it.
  ASSERT_TRUE(a.release("c2", "eth0"));
  auto again = a.get("c100", "eth0", std::nullopt);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->address.str(), "10.5.0.4/29");
  fs::path net = tmp.path() / "n";
  EXPECT_EQ(testutil::readFile(net / "10.5.0.4"), "c100\r\neth0");
  EXPECT_EQ(testutil::readFile(net / "last_reserved_ip.0"), "10.5.0.4");
  struct stat st {};
  ASSERT_EQ(::stat((net / "10.5.0.4").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  auto dup = a.get("c100", "eth0", std::nullopt);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().msg,
            "10.5.0.4 has been allocated to c100, duplicate allocation is not allowed");
}

TEST(DiskStore, IndexDetectsForeignChangesAndLegacyLeases) {
  testutil::TempDir tmp;
  auto store = DiskStore::open("n", tmp.path().string());
  ASSERT_TRUE(store);
  fs::path net = tmp.path() / "n";
  {
    auto l = store->lock();
    ASSERT_TRUE(l);
    ASSERT_TRUE(*store->reserve(*l, "a", "eth0", *IpAddress::parse("10.0.0.2"), 0));
    store->commit(*l);
  }
  // A lease written behind our back (as the reference would) must be found.
  tmp.write("n/10.0.0.3", "b\r\neth1");
  {
    auto l = store->lock();
    EXPECT_TRUE(store->findById(*l, "b", "eth1"));
    EXPECT_TRUE(store->findById(*l, "a", "eth0"));
    ASSERT_TRUE(store->releaseById(*l, "b", "eth1"));
    store->commit(*l);
  }
  EXPECT_FALSE(fs::exists(net / "10.0.0.3"));
  EXPECT_TRUE(fs::exists(net / ".cnikit-index" / "stamp"));
  // Legacy "<cid>" leases: released by cid when no exact lease exists (Go's fallback).
  tmp.write("n/10.0.0.9", "old\n");
  {
    auto l = store->lock();
    EXPECT_TRUE(store->findById(*l, "old", "eth0"));
    ASSERT_TRUE(store->releaseById(*l, "old", "eth0"));
    store->commit(*l);
  }
  EXPECT_FALSE(fs::exists(net / "10.0.0.9"));
}

// An index left by an older binary (format v1: regular files named by 32 hex digits, stamp
// "v1 ...") is not trusted even when its stamp's time matches: it is rebuilt as v2 symlinks.
TEST(DiskStore, IndexV1IsRebuiltAsV2) {
  testutil::TempDir tmp;
  auto store = DiskStore::open("n", tmp.path().string());
  ASSERT_TRUE(store);
  fs::path net = tmp.path() / "n", index = net / ".cnikit-index";
  {
    auto l = store->lock();
    ASSERT_TRUE(l);
    ASSERT_TRUE(*store->reserve(*l, "a", "eth0", *IpAddress::parse("10.0.0.2"), 0));
    store->commit(*l);
  }
  // Replace our index by a v1 one that claims "a" holds 10.0.0.7 (it does not), with a stamp
  // whose time is the directory's current mtime.
  for (const auto& e : fs::directory_iterator(index)) fs::remove(e.path());
  const std::string v1_name = sha512Hex("a\r\neth0").substr(0, 32);
  tmp.write("n/.cnikit-index/" + v1_name, "610d0a65746830\n10.0.0.7\n");
  struct stat st {};
  ASSERT_EQ(::stat(net.c_str(), &st), 0);
  tmp.write("n/.cnikit-index/stamp", "v1 " + std::to_string(st.st_mtim.tv_sec) + " " +
                                         std::to_string(st.st_mtim.tv_nsec) + "\n");
  {
    auto l = store->lock();
    ASSERT_TRUE(l);
    EXPECT_TRUE(store->findById(*l, "a", "eth0"));
    ASSERT_TRUE(store->releaseById(*l, "a", "eth0"));
    ASSERT_TRUE(*store->reserve(*l, "b", "eth1", *IpAddress::parse("10.0.0.3"), 0));
    store->commit(*l);
  }
  EXPECT_FALSE(fs::exists(net / "10.0.0.2"));
  EXPECT_FALSE(fs::exists(index / v1_name)) << "the v1 entry must be dropped by the rebuild";
  // What is left: the v2 stamp and one symlink entry for "b", named by the full hash.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(index)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  const std::string b_name = sha512Hex("b\r\neth1");
  ASSERT_EQ(names, (std::vector<std::string>{b_name, "stamp"}));
  EXPECT_TRUE(fs::is_symlink(index / b_name));
  EXPECT_EQ(fs::read_symlink(index / b_name), "10.0.0.3");
  EXPECT_TRUE(testutil::readFile(index / "stamp").starts_with("v2 "));
}

TEST(HostLocalPlugin, ResultsPerVersionGcAndStatus) {
  testutil::TempDir tmp;
  std::string ranges = R"("ranges":[[{"subnet":"10.9.0.0/24"}],[{"subnet":"fd09::/64"}]])";
  auto r020 = call("host-local", "ADD", "v", conf(tmp.path(), "0.2.0", ranges));
  ASSERT_EQ(r020.rc, 0) << r020.out;
  EXPECT_NE(r020.out.find("\"ip4\""), std::string::npos) << r020.out;
  EXPECT_NE(r020.out.find("\"ip6\""), std::string::npos) << r020.out;
  auto r110 = call("host-local", "ADD", "w", conf(tmp.path(), "1.1.0", ranges));
  ASSERT_EQ(r110.rc, 0) << r110.out;
  EXPECT_NE(r110.out.find("\"address\": \"10.9.0.3/24\""), std::string::npos) << r110.out;
  ASSERT_EQ(call("host-local", "CHECK", "w", conf(tmp.path(), "1.1.0", ranges)).rc, 0);
  auto missing = call("host-local", "CHECK", "zz", conf(tmp.path(), "1.1.0", ranges));
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.out.find("host-local: Failed to find address added by container zz"),
            std::string::npos);
  // GC keeps "w" only.
  std::string gc = conf(tmp.path(), "1.1.0", ranges,
                        R"("cni.dev/valid-attachments":[{"containerID":"w","ifname":"eth0"}],)");
  ASSERT_EQ(call("host-local", "GC", "", gc).rc, 0);
  fs::path net = tmp.path() / "unet";
  EXPECT_FALSE(fs::exists(net / "10.9.0.2"));
  EXPECT_TRUE(fs::exists(net / "10.9.0.3"));
  EXPECT_TRUE(fs::exists(net / "fd09::3"));
  EXPECT_EQ(call("host-local", "STATUS", "", conf(tmp.path(), "1.1.0", ranges)).rc, 0);
  tmp.write("notadir", "x");
  auto bad = call("host-local", "STATUS", "", conf(tmp.path() / "notadir", "1.1.0", ranges));
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.out.find("\"code\": 50"), std::string::npos) << bad.out;
  // Requested IP that is taken / unmatched requests release everything.
  auto taken =
      call("host-local", "ADD", "q", conf(tmp.path(), "1.1.0", ranges), "eth0", "IP=10.9.0.3");
  EXPECT_NE(taken.out.find("requested IP address 10.9.0.3 is not available"), std::string::npos)
      << taken.out;
  EXPECT_FALSE(fs::exists(net / "fd09::4"));  // nothing leaked
}

TEST(StaticPlugin, RuntimeConfigBeatsArgsBeatsCniArgs) {
  std::string base = R"({"cniVersion":"1.0.0","name":"s","type":"x",)";
  std::string ipam = R"("ipam":{"type":"static","addresses":[{"address":"10.0.0.1/24"}]}})";
  auto plain = call("static", "ADD", "c", base + ipam, "eth0", "IP=10.1.0.1/24;GATEWAY=10.1.0.254");
  EXPECT_NE(plain.out.find("10.0.0.1/24"), std::string::npos);
  EXPECT_NE(plain.out.find("\"gateway\": \"10.1.0.254\""), std::string::npos) << plain.out;
  auto args = call("static", "ADD", "c", base + R"("args":{"cni":{"ips":["10.2.0.1/24"]}},)" + ipam,
                   "eth0", "IP=10.1.0.1/24");
  EXPECT_EQ(args.out.find("10.0.0.1/24"), std::string::npos);
  EXPECT_EQ(args.out.find("10.1.0.1/24"), std::string::npos);
  EXPECT_NE(args.out.find("10.2.0.1/24"), std::string::npos);
  auto rc = call(
      "static", "ADD", "c",
      base + R"("runtimeConfig":{"ips":["10.3.0.1/24"]},"args":{"cni":{"ips":["10.2.0.1/24"]}},)" +
          ipam);
  EXPECT_EQ(rc.out.find("10.2.0.1/24"), std::string::npos);
  EXPECT_NE(rc.out.find("10.3.0.1/24"), std::string::npos);
  // CHECK against a prevResult.
  std::string check =
      base +
      R"("prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/24","gateway":"10.0.0.9"}]},)" +
      R"("ipam":{"type":"static","addresses":[{"address":"10.0.0.1/24","gateway":"10.0.0.254"}]}})";
  auto bad = call("static", "CHECK", "c", check);
  EXPECT_NE(bad.out.find("static: Failed to match addr 10.0.0.1 on interface eth0"),
            std::string::npos)
      << bad.out;
}

}  // namespace
}  // namespace cni::ipam
