// tests/unit/skel/go_json_test.cc — Go encoding/json error texts. Every expected string below
// was produced by a Go reference plugin (or Go's scanner rules where marked) on the same input.
#include "src/skel/go_json.h"

#include <gtest/gtest.h>

#include <string>

namespace cni::skel {
namespace {

struct SyntaxCase {
  std::string input;
  std::string go_error;
};

class GoJsonSyntax : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(GoJsonSyntax, MatchesGo) {
  auto err = goJsonSyntaxError(GetParam().input);
  ASSERT_TRUE(err.has_value()) << GetParam().input;
  EXPECT_EQ(*err, GetParam().go_error) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Observed, GoJsonSyntax,
    ::testing::Values(
        // From /usr/lib/cni/loopback ("error unmarshall network config: <this>").
        SyntaxCase{"", "unexpected end of JSON input"},
        SyntaxCase{"{\"a\":1", "unexpected end of JSON input"},
        SyntaxCase{"garbage", "invalid character 'g' looking for beginning of value"},
        SyntaxCase{"{\"name\":\"n\"} x", "invalid character 'x' after top-level value"},
        SyntaxCase{"{\"name\":\"n\",}",
                   "invalid character '}' looking for beginning of object key string"},
        SyntaxCase{"{\"name\" \"n\"}", "invalid character '\"' after object key"},
        SyntaxCase{"{\"name\":\"n\" \"a\":1}",
                   "invalid character '\"' after object key:value pair"},
        SyntaxCase{"[1 2]", "invalid character '2' after array element"},
        SyntaxCase{"{\"a\":tru}", "invalid character '}' in literal true (expecting 'e')"},
        SyntaxCase{"{\"a\":-x}", "invalid character 'x' in numeric literal"},
        SyntaxCase{"{\"a\":1.x}", "invalid character 'x' after decimal point in numeric literal"},
        SyntaxCase{"{\"a\":1ex}", "invalid character 'x' in exponent of numeric literal"},
        SyntaxCase{"{\"a\":\"\\q\"}", "invalid character 'q' in string escape code"},
        SyntaxCase{"{\"a\":\"\\u12x4\"}",
                   "invalid character 'x' in \\u hexadecimal character escape"},
        SyntaxCase{"{'a':1}", "invalid character '\\'' looking for beginning of object key string"},
        // Go's scanner rules (scanner.go), same message shapes.
        SyntaxCase{"   ", "unexpected end of JSON input"},
        SyntaxCase{"-", "unexpected end of JSON input"},
        SyntaxCase{"1.", "unexpected end of JSON input"},
        SyntaxCase{"nul", "unexpected end of JSON input"},
        SyntaxCase{"[", "unexpected end of JSON input"},
        SyntaxCase{"\"abc", "unexpected end of JSON input"},
        SyntaxCase{"01", "invalid character '1' after top-level value"},
        SyntaxCase{"[1,]", "invalid character ']' looking for beginning of value"},
        SyntaxCase{"{,}", "invalid character ',' looking for beginning of object key string"},
        SyntaxCase{"nulL", "invalid character 'L' in literal null (expecting 'l')"},
        SyntaxCase{"fals", "unexpected end of JSON input"},
        SyntaxCase{"fXlse", "invalid character 'X' in literal false (expecting 'a')"},
        SyntaxCase{"\"a\tb\"", "invalid character '\\t' in string literal"},
        SyntaxCase{"\"a\nb\"", "invalid character '\\n' in string literal"},
        SyntaxCase{std::string("\"a\x01") + "b\"", "invalid character '\\x01' in string literal"},
        SyntaxCase{"\\", "invalid character '\\\\' looking for beginning of value"},
        SyntaxCase{"{\"a\":1e+}", "invalid character '}' in exponent of numeric literal"},
        SyntaxCase{"\xef\xbb\xbf{}",
                   "invalid character '\xc3\xaf' looking for beginning of value"}));

TEST(GoJsonSyntax, ValidDocumentsHaveNoError) {
  for (std::string ok : {"{}", "[]", "null", "true", "false", "0", "-0", "1", "-12.5e+3", "1E9",
                         "\"\"", "\"\\u00e9\\n\\\"\"", " {\"a\" : [1, 2, {\"b\": null}] } \n",
                         "\"caf\xc3\xa9\"", "[[[[]]]]", "1.0", "{\"a\":{}}"}) {
    EXPECT_FALSE(goJsonSyntaxError(ok).has_value()) << ok << ": " << *goJsonSyntaxError(ok);
  }
}

TEST(GoJsonSyntax, NestingDepthIsLimitedLikeGo) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  EXPECT_FALSE(goJsonSyntaxError(deep).has_value());
  std::string too_deep(10001, '[');
  auto err = goJsonSyntaxError(too_deep);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "invalid character '[' exceeded max depth");
}

TEST(GoJsonTypeErrors, Texts) {
  EXPECT_EQ(goFieldTypeError(Json(5), "NetConf.type", "string"),
            "json: cannot unmarshal number into Go struct field NetConf.type of type string");
  EXPECT_EQ(goFieldTypeError(Json::array(), "NetConf.ipam", "types.IPAM"),
            "json: cannot unmarshal array into Go struct field NetConf.ipam of type types.IPAM");
  EXPECT_EQ(goValueTypeError(Json("x"), "types.NetConf"),
            "json: cannot unmarshal string into Go value of type types.NetConf");
  EXPECT_EQ(goJsonKind(Json(true)), "bool");
  EXPECT_EQ(goJsonKind(Json(1.5)), "number");
  EXPECT_EQ(goJsonKind(Json::object()), "object");
  EXPECT_EQ(goJsonKind(Json()), "null");
}

}  // namespace
}  // namespace cni::skel
