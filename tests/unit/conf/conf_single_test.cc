// tests/unit/conf/conf_single_test.cc — legacy single-plugin configurations (confFromBytes,
// pluginConfFromBytes) and their upconversion to a list (Go ConfListFromConf), byte for byte.
#include <gtest/gtest.h>

#include "src/conf/conf.h"

namespace cni::conf {
namespace {

TEST(ConfSingle, ParsesNameVersionTypeAndKeepsBytes) {
  const std::string bytes =
      R"({"cniVersion":"0.3.1","name":"mynet","type":"bridge","ipMasq":true,"ipam":{"type":"host-local"}})";
  auto c = confFromBytes(bytes);
  ASSERT_TRUE(c.has_value()) << c.error().msg;
  EXPECT_EQ(c->name, "mynet");
  EXPECT_EQ(c->cni_version, "0.3.1");
  EXPECT_EQ(c->plugin.type, "bridge");
  EXPECT_EQ(c->plugin.bytes, bytes);
  EXPECT_EQ(c->plugin.raw["ipMasq"], true);
}

TEST(ConfSingle, FieldsMatchCaseInsensitivelyAsGoStructs) {
  auto c = confFromBytes(R"({"CNIVersion":"0.4.0","Name":"n","TYPE":"ptp"})");
  ASSERT_TRUE(c.has_value()) << c.error().msg;
  EXPECT_EQ(c->name, "n");
  EXPECT_EQ(c->cni_version, "0.4.0");
  EXPECT_EQ(c->plugin.type, "ptp");
}

TEST(ConfSingle, Errors) {
  auto c = confFromBytes(R"({"cniVersion":"0.4.0","name":"n","plugins":[{"type":"x"}]})");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().msg, "error parsing configuration: missing 'type'");
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidNetworkConfig);

  c = confFromBytes(R"({"name":1,"type":"x"})");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().msg,
            "error parsing configuration: json: cannot unmarshal number into Go struct field "
            "PluginConf.name of type string");

  c = confFromBytes("{\"type\":");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kDecodingFailure);
  EXPECT_TRUE(c.error().msg.starts_with("error parsing configuration: ")) << c.error().msg;

  c = confFromBytes("");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().msg, "error parsing configuration: unexpected end of JSON input");
}

TEST(PluginConfFromBytes, SubfolderPluginObject) {
  const std::string bytes = R"({"type":"portmap","capabilities":{"portMappings":true}})";
  auto p = pluginConfFromBytes(bytes);
  ASSERT_TRUE(p.has_value()) << p.error().msg;
  EXPECT_EQ(p->type, "portmap");
  EXPECT_EQ(p->bytes, bytes);  // not re-marshalled: Go keeps the file bytes
  EXPECT_TRUE(p->capabilities.at("portMappings"));
  auto bad = pluginConfFromBytes(R"({"capabilities":{}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().msg, "error parsing configuration: missing 'type'");
}

TEST(ConfListFromConf, UpconvertsWithGoMarshalledBytes) {
  auto c = confFromBytes(R"({
	"cniVersion": "0.2.0",
	"name": "mynet",
	"type": "bridge",
	"bridge": "cni0",
	"isGateway": true,
	"ipMasq": true,
	"mtu": 1.5e3,
	"ipam": {"type": "host-local", "subnet": "10.22.0.0/16", "routes": [{"dst": "0.0.0.0/0"}]},
	"note": "a<b & c>d"
})");
  ASSERT_TRUE(c.has_value()) << c.error().msg;
  c->source = "/etc/cni/net.d/10-mynet.conf";
  auto l = confListFromConf(*c);
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  // What Go's json.Marshal(map) produces: sorted keys at every level, compact, float64 numbers,
  // HTML-escaped strings.
  EXPECT_EQ(
      l->bytes,
      R"({"cniVersion":"0.2.0","name":"mynet","plugins":[{"bridge":"cni0","cniVersion":"0.2.0",)"
      R"("ipMasq":true,"ipam":{"routes":[{"dst":"0.0.0.0/0"}],"subnet":"10.22.0.0/16",)"
      R"("type":"host-local"},"isGateway":true,"mtu":1500,"name":"mynet",)"
      R"("note":"a\u003cb \u0026 c\u003ed","type":"bridge"}]})");
  EXPECT_EQ(l->name, "mynet");
  EXPECT_EQ(l->cni_version, "0.2.0");
  EXPECT_EQ(l->source, "/etc/cni/net.d/10-mynet.conf");
  ASSERT_EQ(l->plugins.size(), 1u);
  EXPECT_EQ(l->plugins[0].type, "bridge");
  EXPECT_EQ(l->plugins[0].raw["bridge"], "cni0");
  EXPECT_FALSE(l->disable_check);
}

TEST(ConfListFromConf, MissingNameAndVersionBecomeEmptyStrings) {
  auto c = confFromBytes(R"({"type":"loopback"})");
  ASSERT_TRUE(c.has_value());
  auto l = confListFromConf(*c);
  ASSERT_TRUE(l.has_value()) << l.error().msg;
  // Go always writes both keys, so the list has a (empty) name and passes the "no name" check.
  EXPECT_EQ(l->bytes, R"({"cniVersion":"","name":"","plugins":[{"type":"loopback"}]})");
  EXPECT_EQ(l->name, "");
  EXPECT_EQ(l->cni_version, "");
}

TEST(ConfListFromConf, CaseVariantKeysUseStructValuesForTheList) {
  // The list's name/cniVersion come from the Go struct (case-insensitive), the plugin object
  // is the map as written.
  auto c = confFromBytes(R"({"Name":"n","type":"x"})");
  ASSERT_TRUE(c.has_value());
  auto l = confListFromConf(*c);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->bytes, R"({"cniVersion":"","name":"n","plugins":[{"Name":"n","type":"x"}]})");
}

}  // namespace
}  // namespace cni::conf
