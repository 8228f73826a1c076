// tests/unit/invoke/version_probe_test.cc — the VERSION probe: what it sends, how replies and
// legacy errors decode, against an in-memory Exec, script fakes and the real reference plugin.
#include "src/invoke/version_probe.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "src/invoke/raw_exec.h"
#include "tests/unit/invoke/fake_plugins.h"

namespace cni::invoke {
namespace {

using Versions = std::vector<std::string>;

// Records the call and answers with canned output or a canned error.
class RecordingExec : public Exec {
 public:
  Expected<std::string> reply;
  std::string seen_path, seen_stdin;
  std::vector<std::string> seen_env;

  Expected<std::string> execPlugin(const std::string& plugin_path, std::string_view stdin_data,
                                   const std::vector<std::string>& env) override {
    seen_path = plugin_path;
    seen_stdin = std::string(stdin_data);
    seen_env = env;
    return reply;
  }
  Expected<std::string> findInPath(std::string_view, const std::vector<std::string>&) override {
    return fail(ErrorCode::kInternal, "unused");
  }
  bool envHas(const std::string& entry) const {
    return std::find(seen_env.begin(), seen_env.end(), entry) != seen_env.end();
  }
};

TEST(GetVersionInfo, SendsTheGoProbe) {
  RecordingExec ex;
  ex.reply = R"({"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]})";
  auto info = getVersionInfo(ex, "/opt/cni/bin/p");
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(ex.seen_path, "/opt/cni/bin/p");
  EXPECT_EQ(ex.seen_stdin, R"({"cniVersion":"1.1.0"})");
  EXPECT_TRUE(ex.envHas("CNI_COMMAND=VERSION"));
  EXPECT_TRUE(ex.envHas("CNI_NETNS=dummy"));
  EXPECT_TRUE(ex.envHas("CNI_IFNAME=dummy"));
  EXPECT_TRUE(ex.envHas("CNI_PATH=dummy"));
  EXPECT_TRUE(ex.envHas("CNI_CONTAINERID="));
  EXPECT_TRUE(ex.envHas("CNI_ARGS="));
  EXPECT_EQ(info->cni_version, "1.1.0");
  EXPECT_EQ(info->supported_versions, (Versions{"0.4.0", "1.0.0", "1.1.0"}));
}

TEST(GetVersionInfo, LegacyPluginWithoutVersionCommandSupports010) {
  RecordingExec ex;
  ex.reply = fail(ErrorCode::kInvalidEnvironmentVariables, "unknown CNI_COMMAND: VERSION");
  auto info = getVersionInfo(ex, "/p");
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(info->supported_versions, Versions{"0.1.0"});
  EXPECT_EQ(info->cni_version, "1.1.0");  // Go's PluginSupports() reports Current()
}

TEST(GetVersionInfo, OtherFailuresPropagateUnchanged) {
  RecordingExec ex;
  // Go compares the full error text, so details make it a different error.
  ex.reply = fail(ErrorCode::kInvalidEnvironmentVariables, "unknown CNI_COMMAND: VERSION", "x");
  auto info = getVersionInfo(ex, "/p");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().toString(), "unknown CNI_COMMAND: VERSION; x");

  ex.reply = fail(ErrorCode::kIoFailure, "disk on fire");
  info = getVersionInfo(ex, "/p");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kIoFailure);
  EXPECT_EQ(info.error().msg, "disk on fire");
}

TEST(DecodeVersionInfo, Rules) {
  auto ok = decodeVersionInfo(R"({"cniVersion":"0.4.0","supportedVersions":["0.3.1","0.4.0"]})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->cni_version, "0.4.0");
  EXPECT_EQ(ok->supported_versions, (Versions{"0.3.1", "0.4.0"}));

  // 0.2.0 plugins did not list versions.
  auto legacy = decodeVersionInfo(R"({"cniVersion":"0.2.0"})");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->supported_versions, (Versions{"0.1.0", "0.2.0"}));
  legacy = decodeVersionInfo(R"({"cniVersion":"0.2.0","supportedVersions":[]})");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->supported_versions, (Versions{"0.1.0", "0.2.0"}));

  // Case-insensitive keys and unknown keys, as Go's encoding/json.
  auto ci = decodeVersionInfo(R"({"CNIVersion":"1.0.0","SupportedVersions":["1.0.0"],"x":1})");
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->cni_version, "1.0.0");

  struct Case {
    const char* json;
    const char* want;
  } bad[] = {
      {R"({"supportedVersions":["1.0.0"]})", "decoding version info: missing field cniVersion"},
      {R"({"cniVersion":"","supportedVersions":["1.0.0"]})",
       "decoding version info: missing field cniVersion"},
      {R"({"cniVersion":"0.3.0"})", "decoding version info: missing field supportedVersions"},
      {R"({"cniVersion":"1.0.0","supportedVersions":[]})",
       "decoding version info: missing field supportedVersions"},
      {"null", "decoding version info: missing field cniVersion"},
  };
  for (const Case& c : bad) {
    auto r = decodeVersionInfo(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_EQ(r.error().msg, c.want) << c.json;
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
  }
  for (const char* j : {"", "garbage", "[1]", R"({"cniVersion":1})",
                        R"({"cniVersion":"1.0.0","supportedVersions":"1.0.0"})",
                        R"({"cniVersion":"1.0.0","supportedVersions":[1]})"}) {
    auto r = decodeVersionInfo(j);
    ASSERT_FALSE(r) << j;
    EXPECT_TRUE(r.error().msg.starts_with("decoding version info: ")) << r.error().msg;
  }
}

TEST(GetVersionInfo, ScriptPluginsThroughRawExec) {
  testing::FakePlugins plugins;
  // Replies only when called exactly the way the probe must call it.
  auto modern = plugins.add("modern", R"(in=$(cat)
if [ "$CNI_COMMAND" = VERSION ] && [ "$CNI_NETNS" = dummy ] && [ "$CNI_IFNAME" = dummy ] &&
   [ "$CNI_PATH" = dummy ] && [ "$in" = '{"cniVersion":"1.1.0"}' ]; then
  echo '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}'
else
  echo "unexpected call: $CNI_COMMAND $in" >&2; exit 1
fi)");
  auto legacy = plugins.add(
      "legacy", R"(printf '{\n    "code": 4,\n    "msg": "unknown CNI_COMMAND: VERSION"\n}'
exit 1)");
  auto broken = plugins.add("broken", "echo 'segfault-ish' >&2; exit 2");
  auto old020 = plugins.add("old020", R"(echo '{"cniVersion":"0.2.0"}')");

  RawExec ex(RawExecOptions{.timeout = std::chrono::seconds(10)});
  auto info = getVersionInfo(ex, modern);
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(info->supported_versions.size(), 7u);
  EXPECT_EQ(info->supported_versions.back(), "1.1.0");

  info = getVersionInfo(ex, legacy);
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(info->supported_versions, Versions{"0.1.0"});

  info = getVersionInfo(ex, old020);
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(info->supported_versions, (Versions{"0.1.0", "0.2.0"}));

  info = getVersionInfo(ex, broken);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().msg, R"(netplugin failed: "segfault-ish\n": exit status 2)");
}

TEST(GetVersionInfo, RealReferenceBridgePlugin) {
  const std::string bridge = "/usr/lib/cni/bridge";
  struct stat st;
  if (::stat(bridge.c_str(), &st) != 0) GTEST_SKIP() << "no reference plugin at " << bridge;
  RawExec ex(RawExecOptions{.timeout = std::chrono::seconds(20)});
  auto info = getVersionInfo(ex, bridge);
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_FALSE(info->cni_version.empty());
  const Versions& sv = info->supported_versions;
  for (const char* v : {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"}) {
    EXPECT_NE(std::find(sv.begin(), sv.end(), v), sv.end()) << "bridge should support " << v;
  }
}

}  // namespace
}  // namespace cni::invoke
