// tests/unit/conf/plugin_conf_check_test.cc — json.Unmarshal's type checks for
// types.PluginConf: which shapes Go rejects, and the exact error text users see.
#include "src/conf/plugin_conf_check.h"

#include <gtest/gtest.h>

namespace cni::conf {
namespace {

Json parse(std::string_view s) { return *spec::parseJson(s, "test"); }

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
