// tests/unit/libcni/cache_test.cc — the cniCacheV1 format: Go-identical bytes, atomic writes,
// tolerant reads, listing rules, and a file written by Go libcni (podman) read back.
#include "src/libcni/cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/testutil/temp_dir.h"

namespace cni::libcni {
namespace {

TEST(Base64, RoundTripsEveryPaddingCase) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  for (std::string s : {"", "a", "ab", "abc", "\x00\xff\x10 binary"}) {
    EXPECT_EQ(*base64Decode(base64Encode(s)), s);
  }
  EXPECT_FALSE(base64Decode("Zm9"));
  EXPECT_FALSE(base64Decode("Zm=v"));
  EXPECT_FALSE(base64Decode("Z!9v"));
}

CacheEntry sampleEntry() {
  CacheEntry e;
  e.container_id = "abc";
  e.ifname = "eth0";
  e.network_name = "net1";
  e.netns = "/run/netns/x";
  e.cni_args = {{"IgnoreUnknown", "1"}};
  e.capability_args = Json{{"portMappings", Json::array()}};
  e.config = R"({"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"bridge"}]})";
  e.result = Json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}],"dns":{}})");
  return e;
}

TEST(ResultCache, EncodesExactlyAsGoMarshalsCachedInfo) {
  // Field order of Go's cachedInfo; result and capabilityArgs are Go maps (sorted keys);
  // []byte config is base64; compact; HTML characters escaped.
  CacheEntry e = sampleEntry();
  e.config = "<&>";
  EXPECT_EQ(ResultCache::encode(e),
            R"({"kind":"cniCacheV1","containerId":"abc","config":"PCY+","ifName":"eth0",)"
            R"("networkName":"net1","netns":"/run/netns/x","cniArgs":[["IgnoreUnknown","1"]],)"
            R"("capabilityArgs":{"portMappings":[]},)"
            R"("result":{"cniVersion":"1.0.0","dns":{},"ips":[{"address":"10.0.0.2/24"}]}})");
  CacheEntry bare;
  bare.container_id = "c";
  bare.ifname = "i";
  bare.network_name = "n";
  EXPECT_EQ(
      ResultCache::encode(bare),
      R"({"kind":"cniCacheV1","containerId":"c","config":"","ifName":"i","networkName":"n"})");
}

TEST(ResultCache, WriteIsAtomicPrivateAndReadable) {
  // Both modes: the default (atomic, no fsync) and Options::durable_cache (fsync file and dir).
  for (bool durable : {false, true}) {
    SCOPED_TRACE(durable ? "durable" : "default");
    testutil::TempDir dir;
    ResultCache cache(dir.path().string(), durable);
    ASSERT_TRUE(cache.write(sampleEntry()));
    auto path = dir.path() / "results" / "net1-abc-eth0";
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir.path() / "results").c_str(), &st), 0);
    // No temp files left behind.
    int n = 0;
    for (auto& f : std::filesystem::directory_iterator(dir.path() / "results")) (void)f, ++n;
    EXPECT_EQ(n, 1);
    auto r = cache.read("net1", "abc", "eth0");
    ASSERT_TRUE(r && *r);
    EXPECT_FALSE((*r)->legacy);
    EXPECT_EQ((*r)->entry.config, sampleEntry().config);
    EXPECT_EQ((*r)->entry.cni_args, sampleEntry().cni_args);
    EXPECT_EQ((*r)->entry.result, sampleEntry().result);
    ASSERT_TRUE(cache.remove("net1", "abc", "eth0"));
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(cache.remove("net1", "abc", "eth0")) << "removing nothing is success";
    auto missing = cache.read("net1", "abc", "eth0");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
  }
}

TEST(ResultCache, PathNeedsAllThreeNames) {
  ResultCache cache("/tmp/x");
  EXPECT_FALSE(cache.pathFor("", "c", "i"));
  EXPECT_FALSE(cache.pathFor("n", "", "i"));
  EXPECT_FALSE(cache.pathFor("n", "c", ""));
  EXPECT_EQ(*cache.pathFor("n", "c", "i"), "/tmp/x/results/n-c-i");
}

TEST(ResultCache, NonV1FilesAreLegacy) {
  testutil::TempDir dir;
  ResultCache cache(dir.path().string());
  dir.write("results/n-c-i", R"({"cniVersion":"0.3.1","ips":[]})");
  auto r = cache.read("n", "c", "i");
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE((*r)->legacy);
  EXPECT_EQ((*r)->legacy_bytes, R"({"cniVersion":"0.3.1","ips":[]})");
}

TEST(ResultCache, ListSkipsBrokenEntriesAndMatchesWholeContainerIds) {
  testutil::TempDir dir;
  ResultCache cache(dir.path().string());
  CacheEntry a = sampleEntry();
  ASSERT_TRUE(cache.write(a));
  CacheEntry b = sampleEntry();
  b.container_id = "abcd";
  ASSERT_TRUE(cache.write(b));
  dir.write("results/net1-zzz-eth0", "");                       // empty (crash)
  dir.write("results/net1-yyy-eth0", R"({"cniVersion":"1"})");  // legacy
  dir.write("results/net1-xxx-eth0", R"({"kind":"cniCacheV1","containerId":"xxx"})");
  auto all = cache.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).container_id, "abc");
  EXPECT_EQ(all->at(1).container_id, "abcd");
  auto only = cache.list("abc");
  ASSERT_TRUE(only);
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ(only->at(0).container_id, "abc");
  EXPECT_TRUE(ResultCache((dir.path() / "nope").string()).list()->empty());
}

// A cache file written by Go libcni (podman 4.3.1, CNI backend) — see the README next to it.
TEST(ResultCache, ReadsAFileWrittenByGoLibcni) {
  auto golden = std::filesystem::path(CNIKIT_SOURCE_DIR) / "tests/data/cache/go-libcni";
  testutil::TempDir dir;
  std::filesystem::create_directories(dir.path() / "results");
  std::string name;
  for (auto& f : std::filesystem::directory_iterator(golden)) {
    if (f.path().filename() == "README.md") continue;
    name = f.path().filename().string();
    std::filesystem::copy_file(f.path(), dir.path() / "results" / name);
  }
  ASSERT_FALSE(name.empty());
  ResultCache cache(dir.path().string());
  auto all = cache.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  const CacheEntry& e = all->at(0);
  EXPECT_EQ(e.network_name + "-" + e.container_id + "-" + e.ifname, name);
  EXPECT_NE(e.config.find("\"plugins\""), std::string::npos) << "base64 config decoded";
  ASSERT_TRUE(e.result);
  EXPECT_TRUE(e.result->contains("ips"));
  // Re-encoding what Go wrote gives Go's bytes back.
  EXPECT_EQ(ResultCache::encode(e), testutil::readFile(golden / name));
}

}  // namespace
}  // namespace cni::libcni
