// tests/unit/capi/capi_test.cc — the C API end to end against scripted plugin processes (no root):
// ownership of returned strings/errors, error codes, and every verb.
#include <gtest/gtest.h>

#include <string>

#include "cnikit/cnikit.h"
#include "src/spec/json.h"
#include "tests/testutil/temp_dir.h"

namespace {

using cni::Json;

// A plugin that answers ADD with a fixed result, STATUS with code 50, and logs every call.
constexpr const char* kPlugin = R"SH(#!/bin/sh
log="$(dirname "$0")/calls.log"
input="$(cat)"
echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_IFNAME" >> "$log"
case "$CNI_COMMAND" in
  ADD) echo '{"cniVersion":"1.1.0","ips":[{"address":"10.9.0.7/24","gateway":"10.9.0.1"}],"dns":{}}' ;;
  STATUS) echo '{"code":50,"msg":"no addresses left"}'; exit 1 ;;
  VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
esac
exit 0
)SH";

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("bin/capi-plugin", kPlugin, 0755);
    ctx_ = cnikit_ctx_new((dir_.path() / "bin").c_str(), (dir_.path() / "cache").c_str());
    ASSERT_NE(ctx_, nullptr);
    const std::string conf =
        R"({"cniVersion":"1.1.0","name":"capinet","plugins":[{"type":"capi-plugin"}]})";
    cnikit_error* err = nullptr;
    ASSERT_EQ(cnikit_conflist_parse(conf.data(), conf.size(), &list_, &err), 0);
    ASSERT_EQ(err, nullptr);
  }
  void TearDown() override {
    cnikit_conflist_free(list_);
    cnikit_ctx_free(ctx_);
  }
  std::string calls() const { return cni::testutil::readFile(dir_.path() / "bin/calls.log"); }

  cni::testutil::TempDir dir_;
  cnikit_ctx* ctx_ = nullptr;
  cnikit_conflist* list_ = nullptr;
  cnikit_runtime_conf rt_{"cid1", "/var/run/netns/none", "eth0", "IgnoreUnknown=1", nullptr};
};

TEST_F(CApiTest, AddCachedResultCheckDel) {
  EXPECT_STREQ(cnikit_conflist_name(list_), "capinet");
  EXPECT_STREQ(cnikit_conflist_version(list_), "1.1.0");
  char* result = nullptr;
  cnikit_error* err = nullptr;
  ASSERT_EQ(cnikit_add(ctx_, list_, &rt_, &result, &err), 0) << (err ? err->msg : "");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(Json::parse(result)["ips"][0]["address"], "10.9.0.7/24");
  cnikit_string_free(result);

  char* cached = nullptr;
  ASSERT_EQ(cnikit_cached_result(ctx_, list_, &rt_, &cached, &err), 0);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(Json::parse(cached)["ips"][0]["gateway"], "10.9.0.1");
  cnikit_string_free(cached);

  ASSERT_EQ(cnikit_check(ctx_, list_, &rt_, &err), 0);
  ASSERT_EQ(cnikit_del(ctx_, list_, &rt_, CNIKIT_DEL_BEST_EFFORT, &err), 0);
  ASSERT_EQ(cnikit_cached_result(ctx_, list_, &rt_, &cached, &err), 0);
  EXPECT_EQ(cached, nullptr) << "DEL removed the cache entry";
  EXPECT_EQ(calls(), "ADD cid1 eth0\nCHECK cid1 eth0\nDEL cid1 eth0\n");
}

TEST_F(CApiTest, StatusErrorKeepsCode50) {
  cnikit_error* err = nullptr;
  EXPECT_EQ(cnikit_status(ctx_, list_, &err), -1);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, 50u);
  EXPECT_STREQ(err->msg, "no addresses left");
  EXPECT_STREQ(err->details, "");
  cnikit_error_free(err);
}

TEST_F(CApiTest, GcWithValidAttachmentsJson) {
  char* result = nullptr;
  cnikit_error* err = nullptr;
  ASSERT_EQ(cnikit_add(ctx_, list_, &rt_, &result, nullptr), 0);
  cnikit_string_free(result);
  ASSERT_EQ(cnikit_gc(ctx_, list_, R"([{"containerID":"cid1","ifname":"eth0"}])", &err), 0);
  EXPECT_EQ(calls(), "ADD cid1 eth0\nGC  \n") << "valid attachment kept, GC sent";
  ASSERT_EQ(cnikit_gc(ctx_, list_, nullptr, &err), 0);
  EXPECT_EQ(calls(), "ADD cid1 eth0\nGC  \nDEL cid1 eth0\nGC  \n");
  EXPECT_EQ(cnikit_gc(ctx_, list_, "{\"not\":\"an array\"}", &err), -1);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, 4u);
  cnikit_error_free(err);
}

TEST_F(CApiTest, BadInputIsAnErrorNeverACrash) {
  cnikit_error* err = nullptr;
  cnikit_conflist* l = nullptr;
  EXPECT_EQ(cnikit_conflist_parse("{", 1, &l, &err), -1);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, 6u);
  cnikit_error_free(err);
  EXPECT_EQ(cnikit_add(nullptr, list_, &rt_, nullptr, &err), -1);
  cnikit_error_free(err);
  cnikit_runtime_conf bad = rt_;
  bad.container_id = "bad id";
  EXPECT_EQ(cnikit_add(ctx_, list_, &bad, nullptr, &err), -1);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, 4u);
  cnikit_error_free(err);
  bad = rt_;
  bad.capability_args_json = "[1]";
  EXPECT_EQ(cnikit_add(ctx_, list_, &bad, nullptr, &err), -1);
  cnikit_error_free(err);
  EXPECT_EQ(cnikit_add(ctx_, list_, &rt_, nullptr, nullptr), 0) << "NULL out-params allowed";
}

TEST_F(CApiTest, LegacyConfIsUpconvertedAndPluginVersionQueried) {
  const std::string conf = R"({"cniVersion":"1.0.0","name":"single","type":"capi-plugin"})";
  cnikit_conflist* l = nullptr;
  ASSERT_EQ(cnikit_conflist_parse(conf.data(), conf.size(), &l, nullptr), 0);
  EXPECT_STREQ(cnikit_conflist_name(l), "single");
  cnikit_conflist_free(l);
  char* json = nullptr;
  ASSERT_EQ(cnikit_plugin_version(ctx_, "capi-plugin", &json, nullptr), 0);
  EXPECT_EQ(Json::parse(json)["supportedVersions"], (Json{"1.0.0", "1.1.0"}));
  cnikit_string_free(json);
  EXPECT_STREQ(cnikit_version(), CNIKIT_VERSION_FOR_TEST);
}

}  // namespace
