// tests/unit/conf/go_json_test.cc — Go encoding/json + fmt emulation used by config parsing:
// the bytes libcni caches and the error texts users see depend on these being exact.
#include "src/conf/go_json.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace cni::conf {
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

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(goQuote("yes"), "\"yes\"");
  EXPECT_EQ(goQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(goQuote("t\tn\n\x01\x7f"), R"("t\tn\n\x01\x7f")");
  EXPECT_EQ(goQuote("h\xC3\xA9"), "\"h\xC3\xA9\"");  // valid UTF-8 kept
  EXPECT_EQ(goQuote("bad\xff"), R"("bad\xff")");     // stray byte escaped
}

TEST(GoErrnoText, LowerCasesTheFirstLetter) {
  EXPECT_EQ(goErrnoText(ENOENT), "no such file or directory");
  EXPECT_EQ(goErrnoText(EACCES), "permission denied");
  EXPECT_EQ(goErrnoText(EISDIR), "is a directory");
}

struct FieldCase {
  const char* json;
  const char* error;  // nullptr = accepted
};

TEST(CheckPluginConfFields, TypeChecksKnownFieldsLikeGoUnmarshal) {
  const FieldCase cases[] = {
      {R"({"type":"bridge","name":"n","cniVersion":"1.0.0","unknown":[1,{"x":2}]})", nullptr},
      {R"({"type":null,"ipam":null,"dns":null,"capabilities":null})", nullptr},
      {R"({"type":5})",
       "json: cannot unmarshal number into Go struct field PluginConf.type of type string"},
      {R"({"Type":true})",  // matched case-insensitively, as Go does
       "json: cannot unmarshal bool into Go struct field PluginConf.type of type string"},
      {R"({"name":["x"]})",
       "json: cannot unmarshal array into Go struct field PluginConf.name of type string"},
      {R"({"cniVersion":1.0})",
       "json: cannot unmarshal number into Go struct field PluginConf.cniVersion of type string"},
      {R"({"capabilities":{"portMappings":true,"bandwidth":null}})", nullptr},
      {R"({"capabilities":{"portMappings":"yes"}})",
       "json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool"},
      {R"({"capabilities":[]})",
       "json: cannot unmarshal array into Go struct field PluginConf.capabilities of type "
       "map[string]bool"},
      {R"({"ipam":"host-local"})",
       "json: cannot unmarshal string into Go struct field PluginConf.ipam of type types.IPAM"},
      {R"({"ipam":{"type":7,"ranges":"anything"}})",
       "json: cannot unmarshal number into Go struct field IPAM.ipam.type of type string"},
      {R"({"dns":{"nameservers":"8.8.8.8"}})",
       "json: cannot unmarshal string into Go struct field DNS.dns.nameservers of type []string"},
      {R"({"dns":{"search":["a",1]}})",
       "json: cannot unmarshal number into Go struct field DNS.dns.search of type string"},
      {R"({"prevResult":[]})",
       "json: cannot unmarshal array into Go struct field PluginConf.prevResult of type "
       "map[string]interface {}"},
      {R"({"cni.dev/valid-attachments":[{"containerID":"c","ifname":"eth0"}]})", nullptr},
      {R"({"cni.dev/valid-attachments":[{"containerID":1}]})",
       "json: cannot unmarshal number into Go struct field "
       "GCAttachment.cni.dev/valid-attachments.containerID of type string"},
      {R"("bridge")", "json: cannot unmarshal string into Go value of type types.PluginConf"},
      {"null", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    Status s = checkPluginConfFields(parse(c.json));
    if (c.error == nullptr) {
      EXPECT_TRUE(s.has_value()) << s.error().msg;
    } else {
      ASSERT_FALSE(s.has_value());
      EXPECT_EQ(s.error().msg, c.error);
      EXPECT_EQ(s.error().code, ErrorCode::kInvalidNetworkConfig);
    }
  }
}

}  // namespace
}  // namespace cni::conf
