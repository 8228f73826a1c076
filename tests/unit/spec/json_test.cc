// tests/unit/spec/json_test.cc — Go-compatible JSON helpers: key lookup, marshalling, booleans.
#include "src/spec/json.h"

#include <gtest/gtest.h>

namespace cni::spec {
namespace {

TEST(FindKey, ExactThenCaseInsensitive) {
  Json j = Json::parse(R"({"hostPort":1,"HostPort":2,"containerport":3,"Other":4})");
  ASSERT_NE(findKey(j, "hostPort"), nullptr);
  EXPECT_EQ(*findKey(j, "hostPort"), 1);
  EXPECT_EQ(*findKey(j, "HostPort"), 2);
  EXPECT_EQ(*findKey(j, "containerPort"), 3);  // containerd vs podman spelling
  EXPECT_EQ(*findKey(j, "CONTAINERPORT"), 3);
  EXPECT_EQ(*findKey(j, "other"), 4);
  EXPECT_EQ(findKey(j, "missing"), nullptr);
  EXPECT_EQ(findKey(j, "hostPor"), nullptr);  // no prefix matching
  EXPECT_EQ(findKey(j, ""), nullptr);
  // Not an object.
  EXPECT_EQ(findKey(Json::array({1}), "0"), nullptr);
  EXPECT_EQ(findKey(Json("x"), "x"), nullptr);
  EXPECT_EQ(findKey(Json(), "x"), nullptr);
}

TEST(FindKey, OrderedJsonFirstCaseInsensitiveMatchInDocumentOrder) {
  OrderedJson j = OrderedJson::parse(R"({"B":1,"b2":0,"b":2})");
  EXPECT_EQ(*findKey(j, "b"), 2);  // exact wins even when later
  OrderedJson k = OrderedJson::parse(R"({"NAME":1,"Name":2})");
  EXPECT_EQ(*findKey(k, "name"), 1);  // first case-insensitive match in document order
}

TEST(GoMarshal, EscapesHtmlAndLineSeparators) {
  Json j = "<a href=\"x\">&amp;</a>\u2028\u2029 é ✓";
  EXPECT_EQ(goMarshal(j), R"("\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e\u2028\u2029 é ✓")");
  // Keys are escaped too.
  EXPECT_EQ(goMarshal(Json{{"a<b", 1}}), R"({"a\u003cb":1})");
  // Control characters: short escapes where JSON has them, \u00XX otherwise; DEL is raw.
  EXPECT_EQ(goMarshal(Json("\n\t\r\x01\x1f\x7f\\\"")), "\"\\n\\t\\r\\u0001\\u001f\x7f\\\\\\\"\"");
}

TEST(GoMarshal, IndentMatchesMarshalIndent) {
  OrderedJson j;
  j["code"] = 7;
  j["list"] = OrderedJson::array({1, "two"});
  j["empty"] = OrderedJson::object();
  j["none"] = OrderedJson::array();
  EXPECT_EQ(goMarshal(j, 4),
            "{\n    \"code\": 7,\n    \"list\": [\n        1,\n        \"two\"\n    ],\n"
            "    \"empty\": {},\n    \"none\": []\n}");
  EXPECT_EQ(goMarshal(j), R"({"code":7,"list":[1,"two"],"empty":{},"none":[]})");
  // Json (map-backed) marshals with sorted keys, like Go marshalling a map.
  Json m = Json::parse(R"({"b":1,"a":2,"C":3})");
  EXPECT_EQ(goMarshal(m), R"({"C":3,"a":2,"b":1})");
}

TEST(GoBool, AcceptsBoolsAndCaseInsensitiveStrings) {
  EXPECT_TRUE(*goBool(Json(true), "k"));
  EXPECT_FALSE(*goBool(Json(false), "k"));
  EXPECT_TRUE(*goBool(Json("true"), "k"));
  EXPECT_TRUE(*goBool(Json("TRUE"), "k"));
  EXPECT_FALSE(*goBool(Json("False"), "k"));
  for (const Json& bad : {Json("yes"), Json("1"), Json(1), Json(), Json(""), Json::array()}) {
    auto r = goBool(bad, "disableCheck");
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
    EXPECT_NE(r.error().msg.find("disableCheck"), std::string::npos) << r.error().msg;
  }
}

TEST(ParseJson, ErrorsAreDecodingFailuresNamingTheInput) {
  auto bad = parseJson("{\"a\":", "network configuration");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDecodingFailure);
  EXPECT_EQ(bad.error().msg.rfind("error parsing network configuration: ", 0), 0u)
      << bad.error().msg;
  EXPECT_FALSE(parseJson("", "x"));
  EXPECT_FALSE(parseJson("{} {}", "x"));     // trailing data
  EXPECT_FALSE(parseJson("\"\xff\"", "x"));  // invalid UTF-8
  EXPECT_TRUE(parseJson(" {\"a\": [1, 2]} \n", "x"));
  auto ordered = parseOrderedJson(R"({"z":1,"a":2})", "x");
  ASSERT_TRUE(ordered);
  EXPECT_EQ(ordered->begin().key(), "z");
  EXPECT_FALSE(parseOrderedJson("[", "x"));
}

}  // namespace
}  // namespace cni::spec
