// tests/unit/spec/version_test.cc — pkg/version semantics: parsing (Go's texts), ordering,
// families, the supported set, libcni's "highest supported" rule.
#include "src/spec/version.h"

#include <gtest/gtest.h>

namespace cni::spec {
namespace {

TEST(ParseVersion, AcceptsWhatGoAccepts) {
  EXPECT_EQ(*parseVersion(""), (Version{0, 1, 0}));  // no version declared == 0.1.0
  EXPECT_EQ(*parseVersion("1"), (Version{1, 0, 0}));
  EXPECT_EQ(*parseVersion("1.1"), (Version{1, 1, 0}));
  EXPECT_EQ(*parseVersion("0.3.1"), (Version{0, 3, 1}));
  EXPECT_EQ(*parseVersion("01.002.3"), (Version{1, 2, 3}));  // strconv.Atoi allows leading zeros
  EXPECT_EQ(*parseVersion("+1.0.0"), (Version{1, 0, 0}));    // ... and a sign
  EXPECT_EQ(*parseVersion("-1.0.0"), (Version{-1, 0, 0}));
  EXPECT_EQ(parseVersion("10.20.30")->str(), "10.20.30");
}

TEST(ParseVersion, RejectsWithGoMessages) {
  struct Case {
    std::string_view in, msg;
  } cases[] = {
      {"1.0.0.0", "invalid version \"1.0.0.0\": too many parts"},
      {"1.x.0.0", "invalid version \"1.x.0.0\": too many parts"},  // count checked first
      {"x",
       "failed to convert major version part \"x\": strconv.Atoi: parsing \"x\": invalid "
       "syntax"},
      {"1.0-rc1",
       "failed to convert minor version part \"0-rc1\": strconv.Atoi: parsing "
       "\"0-rc1\": invalid syntax"},
      {"1.0.",
       "failed to convert micro version part \"\": strconv.Atoi: parsing \"\": invalid "
       "syntax"},
      {"1..0",
       "failed to convert minor version part \"\": strconv.Atoi: parsing \"\": invalid "
       "syntax"},
      {".1",
       "failed to convert major version part \"\": strconv.Atoi: parsing \"\": invalid "
       "syntax"},
      {"v1.0.0",
       "failed to convert major version part \"v1\": strconv.Atoi: parsing \"v1\": "
       "invalid syntax"},
      {"1.+.0",
       "failed to convert minor version part \"+\": strconv.Atoi: parsing \"+\": "
       "invalid syntax"},
      {" 1.0.0",
       "failed to convert major version part \" 1\": strconv.Atoi: parsing \" 1\": "
       "invalid syntax"},
      {"99999999999.0.0",
       "failed to convert major version part \"99999999999\": strconv.Atoi: "
       "parsing \"99999999999\": value out of range"},
  };
  for (const auto& c : cases) {
    auto r = parseVersion(c.in);
    ASSERT_FALSE(r) << c.in;
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
    EXPECT_EQ(r.error().msg, c.msg);
  }
}

TEST(VersionOrdering, NumericNotLexical) {
  EXPECT_TRUE(*versionAtLeast("0.10.0", "0.4.0"));
  EXPECT_TRUE(*versionAtLeast("1.0.0", "0.4.0"));
  EXPECT_TRUE(*versionAtLeast("0.4.0", "0.4.0"));
  EXPECT_TRUE(*versionAtLeast("1", "1.0.0"));
  EXPECT_FALSE(*versionAtLeast("0.3.1", "0.4.0"));
  EXPECT_FALSE(*versionAtLeast("", "0.2.0"));  // "" is 0.1.0
  EXPECT_TRUE(*versionAtLeast("", "0.1.0"));
  EXPECT_FALSE(versionAtLeast("x", "0.1.0"));
  EXPECT_FALSE(versionAtLeast("0.1.0", "1.2.3.4"));
  EXPECT_LT(*parseVersion("0.3.0"), *parseVersion("0.3.1"));
}

TEST(Families, MapEveryVersionToItsResultShape) {
  EXPECT_EQ(familyOf(""), ResultFamily::k020);
  EXPECT_EQ(familyOf("0.1.0"), ResultFamily::k020);
  EXPECT_EQ(familyOf("0.2.0"), ResultFamily::k020);
  EXPECT_EQ(familyOf("0.3.0"), ResultFamily::k040);
  EXPECT_EQ(familyOf("0.3.1"), ResultFamily::k040);
  EXPECT_EQ(familyOf("0.4.0"), ResultFamily::k040);
  EXPECT_EQ(familyOf("1.0.0"), ResultFamily::k100);
  EXPECT_EQ(familyOf("1.1.0"), ResultFamily::k100);
  EXPECT_EQ(familyOf("1.2.0"), std::nullopt);  // no spec 1.2 exists
  EXPECT_EQ(familyOf("1.0"), std::nullopt);    // exact strings only, as Go's creators
  EXPECT_EQ(familyOf("0.4"), std::nullopt);
}

TEST(KnownVersions, ExactlyTheSpecReleases) {
  EXPECT_EQ(kCurrentVersion, "1.1.0");
  EXPECT_EQ(kAllVersions.size(), 7u);
  for (auto v : kAllVersions) EXPECT_TRUE(isKnownVersion(v)) << v;
  for (std::string_view v : {"", "1.2.0", "1.0", "0.5.0", "1.1.0 "}) {
    EXPECT_FALSE(isKnownVersion(v)) << v;
  }
  // Ascending order.
  for (size_t i = 1; i < kAllVersions.size(); ++i) {
    EXPECT_LT(*parseVersion(kAllVersions[i - 1]), *parseVersion(kAllVersions[i]));
  }
}

TEST(HighestSupported, PicksHighestNotAboveCurrent) {
  std::vector<std::string> a = {"0.4.0", "1.0.0", "0.3.1"};
  EXPECT_EQ(*highestSupported(a), "1.0.0");
  std::vector<std::string> too_new = {"1.0.0", "1.2.0", "2.0.0"};
  EXPECT_EQ(*highestSupported(too_new), "1.0.0");
  std::vector<std::string> only_new = {"1.2.0"};
  EXPECT_EQ(*highestSupported(only_new), "");
  std::vector<std::string> none;
  EXPECT_EQ(*highestSupported(none), "");
  std::vector<std::string> bad = {"1.0.0", "x"};
  auto r = highestSupported(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
  std::vector<std::string> current = {"1.1.0", "0.1.0"};
  EXPECT_EQ(*highestSupported(current), "1.1.0");
}

}  // namespace
}  // namespace cni::spec
