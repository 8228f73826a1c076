// tests/unit/skel/conf_fields_test.cc — pluginkit::FieldReader, the Go-typed reader every plugin
// decodes its own keys with (next to skel's NetConf, which it complements).
#include "src/pluginkit/conf_fields.h"

#include <gtest/gtest.h>

#include <optional>

#include "plugins/main/bridge.h"

namespace cni::pluginkit {
namespace {

TEST(FieldReader, IntegersAreReadOnlyAsTheirExactValue) {
  const Json j = Json::parse(R"({"a":1500,"b":-7,"c":2147483647,"d":-2147483648})");
  FieldReader f(j, "NetConf");
  int a = 0, b = 0, c = 0, d = 0;
  ASSERT_TRUE(f.integer("a", &a));
  ASSERT_TRUE(f.integer("b", &b));
  ASSERT_TRUE(f.integer("c", &c));
  ASSERT_TRUE(f.integer("d", &d));
  EXPECT_EQ(a, 1500);
  EXPECT_EQ(b, -7);
  EXPECT_EQ(c, 2147483647);
  EXPECT_EQ(d, -2147483648);
}

// Unsigned values near 2^64 used to wrap through int64 into small negative ints (found by
// fuzz_plugin_conf: fuzz/regressions/fuzz_plugin_conf/int-field-uint64-wraps-negative*). Go
// refuses them, so do we.
TEST(FieldReader, HugeUnsignedIntegersAreTypeErrorsNotNegativeInts) {
  for (const char* text : {R"({"mtu":18446744073709550116})", R"({"mtu":18446744073709551615})",
                           R"({"mtu":2147483648})", R"({"mtu":-2147483649})", R"({"mtu":1.5})"}) {
    const Json j = Json::parse(text);
    std::optional<int> v;
    auto s = FieldReader(j, "NetConf").optionalInteger("mtu", &v);
    ASSERT_FALSE(s) << text << " read as " << v.value_or(0);
    EXPECT_EQ(s.error().code, ErrorCode::kInternal) << text;
    EXPECT_NE(s.error().msg.find("into Go struct field NetConf.mtu of type int"), std::string::npos)
        << s.error().msg;
  }
  // What a plugin reports: bridge's vlan is refused as a number, not as "invalid VLAN ID -1".
  auto c = plugins::bridge::loadConf(
      R"({"cniVersion":"1.0.0","name":"n","type":"bridge","vlan":18446744073709551615})", "");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().msg.find("invalid VLAN ID"), std::string::npos) << c.error().msg;
  EXPECT_NE(c.error().msg.find("of type int"), std::string::npos) << c.error().msg;
}

}  // namespace
}  // namespace cni::pluginkit
