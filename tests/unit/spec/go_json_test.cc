// tests/unit/spec/go_json_test.cc — Go encoding/json emulation: the re-marshalled bytes libcni
// caches and hands to plugins, and the json.Unmarshal error texts plugins print. Expected strings
// are Go's output (json.Marshal, or a Go reference plugin on the same input where marked).
#include "src/spec/go_json.h"

#include <gtest/gtest.h>

#include <string>

namespace cni::spec {
namespace {

Json parse(std::string_view s) { return *spec::parseJson(s, "test"); }

TEST(GoFormatFloat, MatchesGoJsonNumberEncoding) {
  // Expected values are what Go's json.Marshal(float64) prints.
  EXPECT_EQ(goFormatFloat(0), "0");
  EXPECT_EQ(goFormatFloat(-0.0), "-0");
  EXPECT_EQ(goFormatFloat(1500), "1500");
  EXPECT_EQ(goFormatFloat(1.5), "1.5");
  EXPECT_EQ(goFormatFloat(-2.25), "-2.25");
  EXPECT_EQ(goFormatFloat(0.1), "0.1");
  EXPECT_EQ(goFormatFloat(0.000001), "0.000001");  // 1e-6 is still 'f'
  EXPECT_EQ(goFormatFloat(1e-7), "1e-7");          // 'e', "e-07" shortened
  EXPECT_EQ(goFormatFloat(1.5e-7), "1.5e-7");
  EXPECT_EQ(goFormatFloat(1.25e-10), "1.25e-10");
  EXPECT_EQ(goFormatFloat(1e20), "100000000000000000000");
  EXPECT_EQ(goFormatFloat(1e21), "1e+21");
  EXPECT_EQ(goFormatFloat(1.23456789e23), "1.23456789e+23");
  EXPECT_EQ(goFormatFloat(-1e21), "-1e+21");
  // Shortest digits, zero-padded: Go never prints the binary expansion's tail.
  EXPECT_EQ(goFormatFloat(12345678901234567890.0), "12345678901234567000");
}

TEST(GoReMarshal, SortsKeysAndNormalisesNumbers) {
  Json j = parse(R"({"z":1,"a":{"y":1e3,"b":1.50,"c":[1,2.0,-0.5e1]},"M":null,"t":true})");
  EXPECT_EQ(goReMarshal(j), R"({"M":null,"a":{"b":1.5,"c":[1,2,-5],"y":1000},"t":true,"z":1})");
}

TEST(GoReMarshal, IntegersBeyond2To53LosePrecisionLikeFloat64) {
  EXPECT_EQ(goReMarshal(parse("9007199254740993")), "9007199254740992");
  EXPECT_EQ(goReMarshal(parse("18446744073709551615")), "18446744073709552000");
  EXPECT_EQ(goReMarshal(parse("-9223372036854775808")), "-9223372036854776000");
}

TEST(GoReMarshal, EscapesStringsAsGo) {
  Json j = parse(R"({"a<b":"x&y>z","nl":"l1\nl2","u":"\u2028é"})");
  EXPECT_EQ(goReMarshal(j), R"({"a\u003cb":"x\u0026y\u003ez","nl":"l1\nl2","u":"\u2028é"})");
}

TEST(GoReMarshal, KeysSortByteWiseNotCaseInsensitively) {
  EXPECT_EQ(goReMarshal(parse(R"({"b":1,"B":2,"a":3,"_":4})")), R"({"B":2,"_":4,"a":3,"b":1})");
}

TEST(GoTypeName, NamesDecodedInterfaceTypes) {
  EXPECT_EQ(goTypeName(parse("1")), "float64");
  EXPECT_EQ(goTypeName(parse("1.5")), "float64");
  EXPECT_EQ(goTypeName(parse("\"s\"")), "string");
  EXPECT_EQ(goTypeName(parse("true")), "bool");
  EXPECT_EQ(goTypeName(parse("null")), "<nil>");
  EXPECT_EQ(goTypeName(parse("[]")), "[]interface {}");
  EXPECT_EQ(goTypeName(parse("{}")), "map[string]interface {}");
}

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
        SyntaxCase{"\xef\xbb\xbf{}", "invalid character '\xc3\xaf' looking for beginning of value"},
        // A byte >= 0x80 is named as the Latin-1 rune, quoted like %q (loopback oracle).
        SyntaxCase{"\xa0", "invalid character '\\u00a0' looking for beginning of value"},
        SyntaxCase{"\xad", "invalid character '\\u00ad' looking for beginning of value"},
        SyntaxCase{"\x85", "invalid character '\\u0085' looking for beginning of value"},
        SyntaxCase{"\xe9", "invalid character '\xc3\xa9' looking for beginning of value"}));

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
  EXPECT_EQ(goJsonKind(Json("s")), "string");
  EXPECT_EQ(goJsonKind(Json(7)), "number");
  EXPECT_EQ(goJsonKind(Json::array()), "array");
  EXPECT_EQ(goJsonKind(Json(1.5)), "number");
  EXPECT_EQ(goJsonKind(Json::object()), "object");
  EXPECT_EQ(goJsonKind(Json()), "null");
}

}  // namespace
}  // namespace cni::spec
