// tests/unit/libcni/api_test.cc — CniConfig chaining, cache use, CHECK/GC/STATUS semantics,
// driven through an in-memory Exec (no processes, no root).
#include "src/libcni/api.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "src/conf/conf.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/libcni/fake_exec.h"

namespace cni::libcni {
namespace {

using testutil::FakeExec;

constexpr const char* kBridgeResult = R"({
  "cniVersion": "1.0.0",
  "interfaces": [{"name": "cni0", "mac": "aa:bb:cc:dd:ee:01"},
                 {"name": "eth0", "mac": "aa:bb:cc:dd:ee:02", "sandbox": "/run/netns/p"}],
  "ips": [{"address": "10.22.0.5/16", "gateway": "10.22.0.1", "interface": 1}],
  "routes": [{"dst": "0.0.0.0/0"}],
  "dns": {}
})";

conf::NetworkConfigList list(std::string_view version, std::string_view extra = "") {
  std::string text = std::string(R"({"cniVersion":")") + std::string(version) +
                     R"(","name":"testnet",)" + std::string(extra) +
                     R"("plugins":[{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local"}},
                        {"type":"portmap","capabilities":{"portMappings":true,"other":false}}]})";
  auto l = conf::confListFromBytes(text);
  EXPECT_TRUE(l) << l.error().toString();
  return *l;
}

class CniConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exec_ = std::make_shared<FakeExec>();
    Options o;
    o.path = {"/fake"};
    o.cache_dir = dir_.path().string();
    o.exec = exec_;
    cni_ = std::make_unique<CniConfig>(o);
    rt_.container_id = "c1";
    rt_.netns = "/run/netns/p";
    rt_.ifname = "eth0";
    rt_.args = {{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "web"}};
    rt_.capability_args = Json{{"portMappings", Json::array({{{"hostPort", 8080}}})}, {"other", 1}};
    exec_->onOutput("bridge", "ADD", kBridgeResult);
    // portmap passes its prevResult through, as the real one does.
    exec_->on("portmap", "ADD", [](const testutil::FakeCall& c) -> Expected<std::string> {
      return c.stdin_json["prevResult"].dump();
    });
  }
  std::string cachePath() const { return (dir_.path() / "results/testnet-c1-eth0").string(); }

  testutil::TempDir dir_;
  std::shared_ptr<FakeExec> exec_;
  std::unique_ptr<CniConfig> cni_;
  RuntimeConf rt_;
};

TEST_F(CniConfigTest, AddChainsPrevResultInjectsRuntimeConfigAndCaches) {
  auto l = list("1.0.0");
  auto r = cni_->addNetworkList(l, rt_);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->ips.at(0).address, "10.22.0.5/16");
  ASSERT_EQ(exec_->commands(), (std::vector<std::string>{"bridge/ADD", "portmap/ADD"}));

  const auto& first = exec_->calls[0];
  EXPECT_EQ(first.stdin_json["name"], "testnet");
  EXPECT_EQ(first.stdin_json["cniVersion"], "1.0.0");
  EXPECT_FALSE(first.stdin_json.contains("prevResult"));
  EXPECT_FALSE(first.stdin_json.contains("runtimeConfig")) << "bridge declares no capability";
  EXPECT_EQ(first.env.at("CNI_CONTAINERID"), "c1");
  EXPECT_EQ(first.env.at("CNI_NETNS"), "/run/netns/p");
  EXPECT_EQ(first.env.at("CNI_IFNAME"), "eth0");
  EXPECT_EQ(first.env.at("CNI_ARGS"), "IgnoreUnknown=1;K8S_POD_NAME=web");
  EXPECT_EQ(first.env.at("CNI_PATH"), "/fake");

  const auto& second = exec_->calls[1];
  EXPECT_EQ(second.stdin_json["prevResult"]["ips"][0]["address"], "10.22.0.5/16");
  // Only capabilities the plugin declares true are passed, under runtimeConfig.
  EXPECT_EQ(second.stdin_json["runtimeConfig"],
            (Json{{"portMappings", Json::array({{{"hostPort", 8080}}})}}));
  // The prevResult keeps Go's struct field order inside the sorted config map.
  EXPECT_NE(second.stdin_text.find(R"("prevResult":{"cniVersion":"1.0.0","interfaces")"),
            std::string::npos)
      << second.stdin_text;

  struct stat st {};
  ASSERT_EQ(::stat(cachePath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto cached = Json::parse(testutil::readFile(cachePath()));
  EXPECT_EQ(cached["kind"], "cniCacheV1");
  EXPECT_EQ(cached["containerId"], "c1");
  EXPECT_EQ(cached["config"], base64Encode(l.bytes));
  EXPECT_EQ(cached["cniArgs"], (Json::array({{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "web"}})));
  EXPECT_EQ(cached["result"]["ips"][0]["gateway"], "10.22.0.1");
}

// Go's InjectConf round-trips each plugin object through map[string]interface{}: numbers reach
// the plugin as float64 text ("mtu": 1500.0 -> 1500, 1e3 -> 1000), on every verb that builds
// plugin stdin, and the prevResult splice still works around the re-marshalled map.
TEST_F(CniConfigTest, PluginStdinPrintsNumbersLikeGoInjectConf) {
  auto parsed = conf::confListFromBytes(
      R"({"cniVersion":"1.1.0","name":"testnet","plugins":[
          {"type":"bridge","mtu":1500.0,"x":1e3,"neg":-2.50,"big":12345678901234567890},
          {"type":"portmap","capabilities":{"portMappings":true},"ratio":0.000001e0}]})");
  ASSERT_TRUE(parsed) << parsed.error().toString();
  const conf::NetworkConfigList& l = *parsed;

  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  ASSERT_EQ(exec_->commands(), (std::vector<std::string>{"bridge/ADD", "portmap/ADD"}));
  const std::string& first = exec_->calls[0].stdin_text;
  EXPECT_NE(first.find(R"("mtu":1500,)"), std::string::npos) << first;
  EXPECT_NE(first.find(R"("x":1000})"), std::string::npos) << first;
  EXPECT_NE(first.find(R"("neg":-2.5,)"), std::string::npos) << first;
  EXPECT_NE(first.find(R"("big":12345678901234567000,)"), std::string::npos) << first;
  EXPECT_EQ(first.find("1500.0"), std::string::npos) << first;
  EXPECT_EQ(first.find("1e3"), std::string::npos) << first;
  const std::string& second = exec_->calls[1].stdin_text;
  EXPECT_NE(second.find(R"("prevResult":{"cniVersion":")"), std::string::npos) << second;
  EXPECT_NE(second.find(R"("ratio":0.000001,)"), std::string::npos) << second;
  EXPECT_EQ(exec_->calls[1].stdin_json["prevResult"]["ips"][0]["address"], "10.22.0.5/16");

  exec_->calls.clear();
  ASSERT_TRUE(cni_->getStatusNetworkList(l));
  ASSERT_TRUE(cni_->gcNetworkList(l, std::vector<GcAttachment>{{"c1", "eth0"}}));
  ASSERT_EQ(exec_->commands(), (std::vector<std::string>{"bridge/STATUS", "portmap/STATUS",
                                                         "bridge/GC", "portmap/GC"}));
  for (size_t i : {0u, 2u}) {
    const std::string& text = exec_->calls[i].stdin_text;
    EXPECT_NE(text.find(R"("mtu":1500,)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("x":1000})"), std::string::npos) << text;
  }
}

// A config value that spells what used to be the prevResult placeholder ("\034nikit-
// prevResult\001", under a key sorting before "prevResult") must stay a plain value: the
// result goes to prevResult and nowhere else (fuzz_conf's invariant; the input is
// fuzz/regressions/fuzz_conf/prevresult-placeholder-in-config).
TEST_F(CniConfigTest, PrevResultIsInjectedOnlyAsPrevResult) {
  auto parsed = conf::confListFromBytes(
      R"({"cniVersion":"1.0.0","name":"testnet","plugins":[{"type":"bridge"},
          {"type":"portmap","a":"\u001cnikit-prevResult\u0001"}]})");
  ASSERT_TRUE(parsed) << parsed.error().toString();
  ASSERT_TRUE(cni_->addNetworkList(*parsed, rt_));
  ASSERT_EQ(exec_->calls.size(), 2u);
  const Json& stdin_json = exec_->calls[1].stdin_json;
  EXPECT_EQ(stdin_json.value("a", ""), "\034nikit-prevResult\001") << exec_->calls[1].stdin_text;
  ASSERT_TRUE(stdin_json["prevResult"].is_object()) << exec_->calls[1].stdin_text;
  EXPECT_EQ(stdin_json["prevResult"]["ips"][0]["address"], "10.22.0.5/16");
}

TEST_F(CniConfigTest, AddValidatesNamesBeforeExec) {
  rt_.container_id = "bad/id";
  auto r = cni_->addNetworkList(list("1.0.0"), rt_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidEnvironmentVariables);
  EXPECT_EQ(r.error().msg,
            "plugin type=\"bridge\" failed (add): invalid characters in containerID");
  EXPECT_TRUE(exec_->calls.empty());

  rt_.container_id = "c1";
  rt_.ifname = "this-is-too-long0";
  r = cni_->addNetworkList(list("1.0.0"), rt_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().msg, "plugin type=\"bridge\" failed (add): interface name is too long");
  EXPECT_TRUE(exec_->calls.empty());
}

TEST_F(CniConfigTest, AddFailureMidChainStopsAndWritesNoCache) {
  exec_->onError("portmap", "ADD", Error(ErrorCode::kInternal, "boom", "why"));
  auto r = cni_->addNetworkList(list("1.0.0"), rt_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(r.error().toString(), "plugin type=\"portmap\" failed (add): boom; why");
  EXPECT_FALSE(std::filesystem::exists(cachePath()));
}

TEST_F(CniConfigTest, ResultWithoutVersionTakesTheConfigVersion) {
  exec_->onOutput("bridge", "ADD", R"({"ips":[{"address":"10.1.0.2/24"}]})");
  auto l = list("0.4.0");
  auto r = cni_->addNetworkList(l, rt_);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->cni_version, "0.4.0");
}

TEST_F(CniConfigTest, DelRunsInReverseWithCachedResultConvertedAndRemovesCache) {
  auto l = list("0.4.0");
  exec_->onOutput("bridge", "ADD", kBridgeResult);  // a 1.0.0 result under a 0.4.0 list
  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  exec_->calls.clear();
  ASSERT_TRUE(cni_->delNetworkList(l, rt_));
  ASSERT_EQ(exec_->commands(), (std::vector<std::string>{"portmap/DEL", "bridge/DEL"}));
  for (const auto& c : exec_->calls) {
    EXPECT_EQ(c.stdin_json["prevResult"]["cniVersion"], "0.4.0");
    EXPECT_EQ(c.stdin_json["prevResult"]["ips"][0]["version"], "4");
  }
  EXPECT_FALSE(std::filesystem::exists(cachePath()));
  // A second DEL succeeds and sends no prevResult.
  exec_->calls.clear();
  ASSERT_TRUE(cni_->delNetworkList(l, rt_));
  EXPECT_FALSE(exec_->calls.at(0).stdin_json.contains("prevResult"));
}

TEST_F(CniConfigTest, DelBelow040SendsNoPrevResult) {
  auto l = list("0.3.1");
  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  exec_->calls.clear();
  ASSERT_TRUE(cni_->delNetworkList(l, rt_));
  for (const auto& c : exec_->calls) EXPECT_FALSE(c.stdin_json.contains("prevResult"));
}

TEST_F(CniConfigTest, CorruptOrEmptyCacheNeverWedgesDel) {
  auto l = list("1.0.0");
  for (std::string garbage :
       {"", "{not json", R"({"kind":"cniCacheV1","result":{"cniVersion":"9.9.9"}})"}) {
    dir_.write("results/testnet-c1-eth0", garbage, 0600);
    exec_->calls.clear();
    auto s = cni_->delNetworkList(l, rt_);
    ASSERT_TRUE(s) << s.error().toString();
    ASSERT_EQ(exec_->calls.size(), 2u);
    EXPECT_FALSE(exec_->calls[0].stdin_json.contains("prevResult"));
    EXPECT_FALSE(std::filesystem::exists(cachePath())) << "bad cache is dropped";
  }
}

TEST_F(CniConfigTest, DelStopsAtFirstFailureUnlessBestEffort) {
  auto l = list("1.0.0");
  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  exec_->onError("portmap", "DEL", Error(ErrorCode::kInternal, "iptables gone"));
  exec_->onError("bridge", "DEL", Error(ErrorCode::kIoFailure, "link busy"));
  exec_->calls.clear();
  auto s = cni_->delNetworkList(l, rt_);
  ASSERT_FALSE(s);
  EXPECT_EQ(exec_->commands(), std::vector<std::string>{"portmap/DEL"});
  EXPECT_EQ(s.error().msg, "plugin type=\"portmap\" failed (delete): iptables gone");
  EXPECT_TRUE(std::filesystem::exists(cachePath())) << "kept for the retry";

  exec_->calls.clear();
  s = cni_->delNetworkList(l, rt_, {.best_effort = true});
  ASSERT_FALSE(s);
  EXPECT_EQ(exec_->commands(), (std::vector<std::string>{"portmap/DEL", "bridge/DEL"}));
  EXPECT_EQ(s.error().msg,
            "plugin type=\"portmap\" failed (delete): iptables gone\n"
            "plugin type=\"bridge\" failed (delete): link busy");
  EXPECT_TRUE(std::filesystem::exists(cachePath()));
}

TEST_F(CniConfigTest, CheckIsGatedByVersionAndDisableCheck) {
  auto old = list("0.3.1");
  auto s = cni_->checkNetworkList(old, rt_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg, "configuration version \"0.3.1\" does not support the CHECK command");

  auto disabled = list("1.0.0", R"("disableCheck":"true",)");
  ASSERT_TRUE(cni_->checkNetworkList(disabled, rt_));
  EXPECT_TRUE(exec_->calls.empty());

  auto l = list("1.0.0");
  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  exec_->calls.clear();
  ASSERT_TRUE(cni_->checkNetworkList(l, rt_));
  ASSERT_EQ(exec_->commands(), (std::vector<std::string>{"bridge/CHECK", "portmap/CHECK"}));
  EXPECT_EQ(exec_->calls[0].stdin_json["prevResult"]["ips"][0]["address"], "10.22.0.5/16");
}

TEST_F(CniConfigTest, StatusStopsAtFirstErrorKeepingItsCode) {
  ASSERT_TRUE(cni_->getStatusNetworkList(list("1.0.0")));
  EXPECT_TRUE(exec_->calls.empty()) << "STATUS needs 1.1.0";

  exec_->onError("bridge", "STATUS", Error(ErrorCode::kPluginNotAvailable, "no leases"));
  auto s = cni_->getStatusNetworkList(list("1.1.0"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().codeValue(), 50u);
  EXPECT_EQ(s.error().msg, "no leases");
  EXPECT_EQ(exec_->commands(), std::vector<std::string>{"bridge/STATUS"});
  EXPECT_EQ(exec_->calls[0].env.at("CNI_CONTAINERID"), "");
  EXPECT_EQ(exec_->calls[0].env.at("CNI_PATH"), "/fake");
}

TEST_F(CniConfigTest, GcDeletesStaleAttachmentsThenSendsValidList) {
  auto l = list("1.1.0");
  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  RuntimeConf other = rt_;
  other.container_id = "c2";
  other.netns = "/run/netns/q";
  ASSERT_TRUE(cni_->addNetworkList(l, other));
  exec_->calls.clear();

  std::vector<GcAttachment> valid = {{"c2", "eth0"}};
  ASSERT_TRUE(cni_->gcNetworkList(l, valid));
  ASSERT_EQ(exec_->commands(),
            (std::vector<std::string>{"portmap/DEL", "bridge/DEL", "bridge/GC", "portmap/GC"}));
  // The synthesised DEL uses what was cached for the stale attachment.
  EXPECT_EQ(exec_->calls[0].env.at("CNI_CONTAINERID"), "c1");
  EXPECT_EQ(exec_->calls[0].env.at("CNI_NETNS"), "/run/netns/p");
  EXPECT_EQ(exec_->calls[0].stdin_json["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  Json expected = Json::array({{{"containerID", "c2"}, {"ifname", "eth0"}}});
  EXPECT_EQ(exec_->calls[2].stdin_json["cni.dev/valid-attachments"], expected);
  EXPECT_EQ(exec_->calls[2].stdin_json["cni.dev/attachments"], expected);
  EXPECT_FALSE(std::filesystem::exists(cachePath()));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "results/testnet-c2-eth0"));

  // No list at all (cnitool gc): everything of this network is deleted, GC has no key.
  exec_->calls.clear();
  ASSERT_TRUE(cni_->gcNetworkList(l, std::nullopt));
  EXPECT_EQ(exec_->calls.size(), 4u);
  EXPECT_FALSE(exec_->calls[2].stdin_json.contains("cni.dev/valid-attachments"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "results/testnet-c2-eth0"));
}

TEST_F(CniConfigTest, GcCollectsEveryErrorAndHonoursDisableGc) {
  auto l = list("1.1.0");
  exec_->onError("portmap", "GC", Error(ErrorCode::kInternal, "a"));
  exec_->onError("bridge", "GC", Error(ErrorCode::kInternal, "b"));
  auto s = cni_->gcNetworkList(l, std::vector<GcAttachment>{});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg, "failed to GC plugin bridge: b\nfailed to GC plugin portmap: a")
      << "plugins run in list order";
  exec_->calls.clear();
  ASSERT_TRUE(cni_->gcNetworkList(list("1.1.0", R"("disableGC":true,)"), std::nullopt));
  EXPECT_TRUE(exec_->calls.empty());
}

TEST_F(CniConfigTest, ValidateReportsMissingPluginsAndCapabilities) {
  exec_->onOutput("bridge", "VERSION", R"({"cniVersion":"1.0.0","supportedVersions":["1.0.0"]})");
  exec_->onOutput("portmap", "VERSION", R"({"cniVersion":"1.0.0","supportedVersions":["1.0.0"]})");
  auto caps = cni_->validateNetworkList(list("1.0.0"));
  ASSERT_TRUE(caps) << caps.error().toString();
  EXPECT_EQ(*caps, std::vector<std::string>{"portMappings"});
  auto bad = cni_->validateNetworkList(list("1.1.0"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().msg.find("plugin bridge does not support config version \"1.1.0\""),
            std::string::npos);
}

TEST_F(CniConfigTest, CachedConfigAndAttachments) {
  auto l = list("1.0.0");
  ASSERT_TRUE(cni_->addNetworkList(l, rt_));
  RuntimeConf bare{.container_id = "c1", .ifname = "eth0"};
  auto cc = cni_->getNetworkListCachedConfig(l, bare);
  ASSERT_TRUE(cc && *cc);
  EXPECT_EQ((*cc)->first, l.bytes);
  EXPECT_EQ((*cc)->second.args, rt_.args);
  auto att = cni_->getCachedAttachments("c1");
  ASSERT_TRUE(att);
  ASSERT_EQ(att->size(), 1u);
  EXPECT_EQ(att->at(0).network, "testnet");
  EXPECT_EQ(att->at(0).netns, "/run/netns/p");
  EXPECT_TRUE(cni_->getCachedAttachments("c")->empty()) << "prefix of an ID is not the ID";
}

}  // namespace
}  // namespace cni::libcni
