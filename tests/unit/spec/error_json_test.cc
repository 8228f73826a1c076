// tests/unit/spec/error_json_test.cc — the error object on the wire, byte-exact against the
// reference plugins' output (tests/data/results/error-*.json).
#include "src/spec/error_json.h"

#include <gtest/gtest.h>

#include "tests/unit/spec/golden.h"

namespace cni::spec {
namespace {

using testing::golden;

TEST(ErrorJson, EncodeMatchesReferencePlugin) {
  // With details (quotes escaped inside details).
  Error incompatible(ErrorCode::kIncompatibleCniVersion, "incompatible CNI versions",
                     "config is \"1.1.0\", plugin supports [\"0.1.0\" \"0.2.0\" \"0.3.0\" "
                     "\"0.3.1\" \"0.4.0\" \"1.0.0\"]");
  EXPECT_EQ(encodeErrorJson(incompatible), golden("error-incompatible.json"));
  // Without details: the key is omitted.
  Error internal(ErrorCode::kInternal,
                 "failed to parse config: could not parse prevResult: could not parse "
                 "prevResult: result type supports [1.0.0] but unmarshalled CNIVersion is "
                 "\"0.4.0\"");
  EXPECT_EQ(encodeErrorJson(internal), golden("error-internal.json"));
}

TEST(ErrorJson, EncodeDetails) {
  EXPECT_EQ(encodeErrorJson(Error(ErrorCode::kUnknown, "")),
            "{\n    \"code\": 0,\n    \"msg\": \"\"\n}");
  EXPECT_EQ(
      encodeErrorJson(Error(static_cast<ErrorCode>(150), "a<b", "c&d")),
      "{\n    \"code\": 150,\n    \"msg\": \"a\\u003cb\",\n    \"details\": \"c\\u0026d\"\n}");
}

TEST(ErrorJson, DecodeGoldensRoundTrip) {
  for (std::string_view name :
       {"error-incompatible.json", "error-internal.json", "error-containerid.json",
        "error-ifname-long.json", "error-netname.json"}) {
    std::string text = golden(name);
    auto e = decodeErrorJson(text);
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(encodeErrorJson(*e), text) << name;
  }
  auto e = decodeErrorJson(golden("error-incompatible.json"));
  EXPECT_EQ(e->code, ErrorCode::kIncompatibleCniVersion);
  EXPECT_EQ(e->msg, "incompatible CNI versions");
  EXPECT_EQ(e->toString().rfind("incompatible CNI versions; config is \"1.1.0\"", 0), 0u);
}

TEST(ErrorJson, DecodeLenientLikeGo) {
  // Case-insensitive keys, unknown keys (cniVersion from spec-following plugins) ignored.
  auto e = decodeErrorJson(R"({"cniVersion":"1.0.0","Code":11,"MSG":"busy","details":null})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kTryAgainLater);
  EXPECT_EQ(e->msg, "busy");
  EXPECT_EQ(e->details, "");
  // Missing code: 0.
  EXPECT_EQ(decodeErrorJson(R"({"msg":"x"})")->code, ErrorCode::kUnknown);
  // Not an object / wrong types / not JSON.
  for (std::string_view bad : {"[]", "\"x\"", R"({"code":"7"})", R"({"msg":1})", "oops", ""}) {
    auto r = decodeErrorJson(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure) << bad;
  }
}

TEST(ErrorJson, DecodeRefusesCodesThatAreNotUint32) {
  // Found by fuzz_result (fuzz/regressions/fuzz_result/): 4.29e114 was cast to uint32_t.
  for (std::string_view bad : {R"({"code":4.294e114,"msg":"x"})", R"({"code":-1,"msg":"x"})",
                               R"({"code":7.0,"msg":"x"})", R"({"code":4294967296,"msg":"x"})"}) {
    auto r = decodeErrorJson(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure) << bad;
    EXPECT_NE(r.error().msg.find("into Go struct field Error.code of type uint"), std::string::npos)
        << r.error().msg;
  }
  auto max = decodeErrorJson(R"({"code":4294967295,"msg":"x"})");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->codeValue(), 4294967295u);
}

}  // namespace
}  // namespace cni::spec
