// tests/unit/spec/cni_args_test.cc — CNI_ARGS: cnitool's strict parser, the plugin-side
// types.LoadArgs semantics and formatting (%q itself: go_text_test.cc).
#include "src/spec/cni_args.h"

#include <gtest/gtest.h>

#include <array>

#include "src/spec/go_text.h"

namespace cni::spec {
namespace {

TEST(CniArgsStrict, ParsesOrderedPairs) {
  auto r = parseCniArgsStrict("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;IP=10.0.0.5/24");
  ASSERT_TRUE(r);
  EXPECT_EQ(
      *r, (std::vector<CniArg>{
              {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web-0"}, {"IP", "10.0.0.5/24"}}));
  EXPECT_TRUE(parseCniArgsStrict("")->empty());
  // Duplicates and order are kept.
  EXPECT_EQ(parseCniArgsStrict("A=1;A=2")->size(), 2u);
}

TEST(CniArgsStrict, RejectsBadPairsWithGoMessage) {
  struct Case {
    std::string_view in, pair;
  } cases[] = {{"A", "A"},
               {"A=", "A="},
               {"=1", "=1"},
               {"A=1=2", "A=1=2"},
               {"A=1;", ""},
               {";A=1", ""},
               {"A=1;;B=2", ""},
               {"A=1;B", "B"},
               {"A=\"x\"=", "A=\"x\"="},
               {"K=a\tb=", "K=a\tb="}};
  for (const auto& c : cases) {
    auto r = parseCniArgsStrict(c.in);
    ASSERT_FALSE(r) << c.in;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidEnvironmentVariables);
    EXPECT_EQ(r.error().msg, "invalid CNI_ARGS pair " + goQuote(c.pair)) << c.in;
  }
  EXPECT_EQ(parseCniArgsStrict("A=\"x\"=").error().msg, R"(invalid CNI_ARGS pair "A=\"x\"=")");
  EXPECT_EQ(parseCniArgsStrict("A=1;").error().msg, R"(invalid CNI_ARGS pair "")");
}

TEST(CniArgsFormat, InverseOfParse) {
  std::vector<CniArg> args = {{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "p"}, {"MAC", "aa:bb"}};
  std::string s = formatCniArgs(args);
  EXPECT_EQ(s, "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=aa:bb");
  EXPECT_EQ(*parseCniArgsStrict(s), args);
  EXPECT_EQ(formatCniArgs({}), "");
  std::vector<CniArg> one = {{"A", ""}};
  EXPECT_EQ(formatCniArgs(one), "A=");
}

constexpr std::array<std::string_view, 3> kHostLocalKeys = {"IP", "K8S_POD_NAME",
                                                            "K8S_POD_NAMESPACE"};

TEST(LoadArgs, KnownKeysCaseSensitive) {
  auto r = loadArgs("IP=10.0.0.5;K8S_POD_NAME=web;IP=10.0.0.6", kHostLocalKeys);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->known.size(), 3u);
  EXPECT_EQ(*r->get("IP"), "10.0.0.6");  // the last assignment wins, as a Go struct field
  EXPECT_EQ(*r->get("K8S_POD_NAME"), "web");
  EXPECT_EQ(r->get("K8S_POD_NAMESPACE"), nullptr);
  EXPECT_FALSE(r->ignore_unknown);
  // "ip" is not "IP".
  auto lower = loadArgs("ip=10.0.0.5", kHostLocalKeys);
  ASSERT_FALSE(lower);
  EXPECT_EQ(lower.error().msg, R"(ARGS: unknown args ["ip=10.0.0.5"])");
  EXPECT_EQ(lower.error().code, ErrorCode::kInvalidEnvironmentVariables);
}

TEST(LoadArgs, EmptyKeysAndValuesAllowedButNotExtraEquals) {
  auto r = loadArgs("IP=", kHostLocalKeys);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->get("IP"), "");
  EXPECT_TRUE(loadArgs("", kHostLocalKeys)->known.empty());
  // An empty key is simply unknown.
  EXPECT_EQ(loadArgs("=x", kHostLocalKeys).error().msg, R"(ARGS: unknown args ["=x"])");
  EXPECT_EQ(loadArgs("IP=a=b", kHostLocalKeys).error().msg, R"(ARGS: invalid pair "IP=a=b")");
  EXPECT_EQ(loadArgs("IP=1;", kHostLocalKeys).error().msg, R"(ARGS: invalid pair "")");
  EXPECT_EQ(loadArgs("IP", kHostLocalKeys).error().msg, R"(ARGS: invalid pair "IP")");
}

TEST(LoadArgs, UnknownArgsListedInOrder) {
  auto r = loadArgs("K8S_POD_UID=u;IP=10.0.0.5;FOO=\"bar\"", kHostLocalKeys);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().msg, R"(ARGS: unknown args ["K8S_POD_UID=u" "FOO=\"bar\""])");
}

TEST(LoadArgs, IgnoreUnknownAnyCaseAnyPosition) {
  // What Kubernetes runtimes send, IgnoreUnknown possibly after the unknown keys.
  for (std::string_view s :
       {"IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=abc",
        "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u;IgnoreUnknown=true", "X=1;IgnoreUnknown=TRUE",
        "X=1;IgnoreUnknown=True"}) {
    auto r = loadArgs(s, kHostLocalKeys);
    ASSERT_TRUE(r) << s << ": " << r.error().msg;
    EXPECT_TRUE(r->ignore_unknown);
    EXPECT_FALSE(r->unknown.empty());
  }
  auto r = loadArgs("IgnoreUnknown=1;K8S_POD_NAME=p;X=1", kHostLocalKeys);
  EXPECT_EQ(*r->get("K8S_POD_NAME"), "p");
  EXPECT_EQ(r->unknown, (std::vector<std::string>{"X=1"}));
  EXPECT_EQ(r->get("IgnoreUnknown"), nullptr);  // consumed, not a caller key
  // Explicitly false, or overridden by a later false.
  EXPECT_FALSE(loadArgs("IgnoreUnknown=0;X=1", kHostLocalKeys));
  EXPECT_FALSE(loadArgs("IgnoreUnknown=1;IgnoreUnknown=FALSE;X=1", kHostLocalKeys));
  // The key itself is case-sensitive: "ignoreunknown" is just another unknown key.
  EXPECT_EQ(loadArgs("ignoreunknown=1;X=1", kHostLocalKeys).error().msg,
            R"(ARGS: unknown args ["ignoreunknown=1" "X=1"])");
}

TEST(LoadArgs, BadIgnoreUnknownValue) {
  auto r = loadArgs("IgnoreUnknown=Yes", kHostLocalKeys);
  ASSERT_FALSE(r);
  // Go's text: lowercased value and a stray ')'.
  EXPECT_EQ(r.error().msg,
            "ARGS: error parsing value of pair \"IgnoreUnknown=Yes\": boolean unmarshal error: "
            "invalid input yes)");
  EXPECT_FALSE(loadArgs("IgnoreUnknown=", kHostLocalKeys));
}

}  // namespace
}  // namespace cni::spec
