// tests/unit/skel/netconf_test.cc — types.NetConf decoding: accepted shapes and Go's type errors
// (texts observed from /usr/lib/cni/loopback, minus its "failed to parse network config: ").
#include "src/skel/netconf.h"

#include <gtest/gtest.h>

namespace cni::skel {
namespace {

TEST(NetConf, DecodesTheCommonFields) {
  auto c = parseNetConf(
      R"({"cniVersion":"1.0.0","name":"n","type":"bridge","ipam":{"type":"host-local"},
          "dns":{"nameservers":["1.1.1.1"],"domain":"d","search":["s"],"options":["o"]},
          "capabilities":{"portMappings":true},"prevResult":{"cniVersion":"1.0.0"},
          "cni.dev/valid-attachments":[{"containerID":"c","ifname":"eth0"}],"extra":[1,2]})");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->cni_version, "1.0.0");
  EXPECT_EQ(c->name, "n");
  EXPECT_EQ(c->type, "bridge");
  EXPECT_EQ(c->ipam_type, "host-local");
  EXPECT_TRUE(c->has_prev_result);
  EXPECT_EQ(c->raw["extra"], Json::array({1, 2}));
}

TEST(NetConf, NullsAndAbsentFieldsAreEmptyAndKeysAreCaseInsensitive) {
  auto c = parseNetConf(
      R"({"CNIVERSION":"0.4.0","Name":"x","ipam":null,"dns":null,"prevResult":null,"type":null})");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->cni_version, "0.4.0");
  EXPECT_EQ(c->name, "x");
  EXPECT_EQ(c->type, "");
  EXPECT_FALSE(c->has_prev_result);
  auto n = parseNetConf("null");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name, "");
}

TEST(NetConf, TypeErrorsAreGosTexts) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":5})",
       "json: cannot unmarshal number into Go struct field NetConf.type of type string"},
      {R"({"ipam":[]})",
       "json: cannot unmarshal array into Go struct field NetConf.ipam of type types.IPAM"},
      {R"({"ipam":{"type":1}})",
       "json: cannot unmarshal number into Go struct field IPAM.ipam.type of type string"},
      {R"({"dns":{"nameservers":"x"}})",
       "json: cannot unmarshal string into Go struct field DNS.dns.nameservers of type []string"},
      {R"({"capabilities":{"a":1}})",
       "json: cannot unmarshal number into Go struct field NetConf.capabilities of type bool"},
      {R"({"prevResult":5})",
       "json: cannot unmarshal number into Go struct field NetConf.prevResult of type "
       "map[string]interface {}"},
      {R"({"cniVersion":true})",
       "json: cannot unmarshal bool into Go struct field NetConf.cniVersion of type string"},
      {R"({"dns":{"search":[1]}})",
       "json: cannot unmarshal number into Go struct field DNS.dns.search of type string"},
      {R"({"cni.dev/valid-attachments":{}})",
       "json: cannot unmarshal object into Go struct field NetConf.cni.dev/valid-attachments of "
       "type []types.GCAttachment"},
      {R"({"cni.dev/valid-attachments":[{"ifname":7}]})",
       "json: cannot unmarshal number into Go struct field "
       "GCAttachment.cni.dev/valid-attachments.ifname of type string"},
      {"[]", "json: cannot unmarshal array into Go value of type types.NetConf"},
      {"{", "unexpected end of JSON input"},
  };
  for (const auto& [input, msg] : cases) {
    auto c = parseNetConf(input);
    ASSERT_FALSE(c) << input;
    EXPECT_EQ(c.error().code, ErrorCode::kInternal) << input;
    EXPECT_EQ(c.error().msg, msg) << input;
  }
}

}  // namespace
}  // namespace cni::skel
