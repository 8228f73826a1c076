// tests/unit/spec/validate_test.cc — pkg/utils name rules. The error objects are compared
// byte-for-byte with what the reference static plugin printed for the same inputs
// (tests/data/results/error-*.json, see generate.sh).
#include "src/spec/validate.h"

#include <gtest/gtest.h>

#include "src/spec/error_json.h"
#include "tests/unit/spec/golden.h"

namespace cni::spec {
namespace {

using testing::golden;

TEST(Validate, ErrorsMatchReferencePluginOutput) {
  EXPECT_EQ(encodeErrorJson(validateContainerId("a*b").error()), golden("error-containerid.json"));
  EXPECT_EQ(encodeErrorJson(validateInterfaceName("a:b").error()),
            golden("error-ifname-chars.json"));
  EXPECT_EQ(encodeErrorJson(validateInterfaceName("0123456789abcdef").error()),
            golden("error-ifname-long.json"));
  EXPECT_EQ(encodeErrorJson(validateInterfaceName("..").error()), golden("error-ifname-dots.json"));
  EXPECT_EQ(encodeErrorJson(validateNetworkName("a b").error()), golden("error-netname.json"));
}

TEST(Validate, Identifiers) {
  for (std::string_view ok : {"a", "A", "0", "net-1", "net_1.x", "a-", "abc.", "9_"}) {
    EXPECT_TRUE(isValidIdentifier(ok)) << ok;
  }
  for (std::string_view bad : {"", "-a", "_a", ".a", "a b", "a/b", "a:b", "é", "a\n", "a*"}) {
    EXPECT_FALSE(isValidIdentifier(bad)) << bad;
  }
}

TEST(Validate, NetworkName) {
  EXPECT_TRUE(validateNetworkName("mynet"));
  auto empty = validateNetworkName("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(empty.error().msg, "missing network name:");  // Go's text, colon included
  auto bad = validateNetworkName("-x");
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(bad.error().details, "-x");
}

TEST(Validate, ContainerId) {
  EXPECT_TRUE(validateContainerId("cnitool-20c2e6b1d5b0fa27c7e9"));
  auto empty = validateContainerId("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kUnknownContainer);
  EXPECT_EQ(empty.error().msg, "missing containerID");
  auto bad = validateContainerId("x/y");
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidEnvironmentVariables);
  EXPECT_EQ(bad.error().details, "x/y");
}

TEST(Validate, InterfaceName) {
  for (std::string_view ok : {"eth0", "0123456789abcde", "a.b", "...", "é", "veth-1_x"}) {
    EXPECT_TRUE(validateInterfaceName(ok)) << ok;
  }
  auto empty = validateInterfaceName("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidEnvironmentVariables);
  EXPECT_EQ(empty.error().msg, "interface name is empty");
  EXPECT_EQ(validateInterfaceName(".").error().msg, "interface name is . or ..");
  // Length is in bytes: 8 two-byte runes are 16 bytes.
  EXPECT_EQ(validateInterfaceName("éééééééé").error().msg, "interface name is too long");
  // Unicode whitespace as Go's unicode.IsSpace: ASCII, NEL, NBSP, ogham, en quad..hair space,
  // line/paragraph separators, narrow NBSP, math space, ideographic space.
  for (std::string_view bad :
       {"a b", "a\tb", "a\vb", "a\rb", "a/b", "a:b", "a\u0085", "a\u00a0", "a\u1680", "a\u2000",
        "a\u200a", "a\u2028", "a\u2029", "a\u202f", "a\u205f", "a\u3000"}) {
    auto r = validateInterfaceName(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().msg, "interface name contains / or : or whitespace characters") << bad;
  }
  // Not whitespace for Go: zero-width space U+200B, BOM.
  EXPECT_TRUE(validateInterfaceName("a\u200b"));
  EXPECT_TRUE(validateInterfaceName("a\ufeff"));
}

}  // namespace
}  // namespace cni::spec
