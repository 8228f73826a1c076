// tests/unit/conf/conf_list_test.cc — confListFromBytes: every top-level key of spec 1.1.0 with
// Go libcni's semantics and error texts (NetworkConfFromBytes).
#include <gtest/gtest.h>

#include <string>

#include "src/conf/conf.h"

namespace cni::conf {
namespace {

constexpr const char* kPrefix = "error parsing configuration list: ";

std::string errorOf(std::string_view bytes) {
  auto r = confListFromBytes(bytes);
  EXPECT_FALSE(r.has_value()) << "accepted: " << bytes;
  return r ? std::string() : r.error().msg;
}

NetworkConfigList ok(std::string_view bytes) {
  auto r = confListFromBytes(bytes);
  EXPECT_TRUE(r.has_value()) << bytes << " -> " << (r ? "" : r.error().msg);
  return r ? *r : NetworkConfigList{};
}

TEST(ConfList, ParsesAllKeysAndKeepsRawBytes) {
  const std::string bytes = R"({
    "cniVersion": "1.0.0", "name": "net1", "disableCheck": true, "disableGC": false,
    "loadOnlyInlinedPlugins": true, "vendorKey": {"kept": 1},
    "plugins": [
      {"type": "bridge", "bridge": "br0", "capabilities": {"ips": true, "mac": false}},
      {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}
    ]})";
  NetworkConfigList l = ok(bytes);
  EXPECT_EQ(l.name, "net1");
  EXPECT_EQ(l.cni_version, "1.0.0");
  EXPECT_TRUE(l.cni_versions.empty());
  EXPECT_TRUE(l.disable_check);
  EXPECT_FALSE(l.disable_gc);
  EXPECT_TRUE(l.load_only_inlined_plugins);
  EXPECT_EQ(l.bytes, bytes);  // exactly as given: this is what the result cache stores
  ASSERT_EQ(l.plugins.size(), 2u);
  EXPECT_EQ(l.plugins[0].type, "bridge");
  EXPECT_EQ(l.plugins[0].raw["bridge"], "br0");
  EXPECT_EQ(l.plugins[0].capabilities,
            (std::map<std::string, bool>{{"ips", true}, {"mac", false}}));
  EXPECT_EQ(l.plugins[1].capabilities.at("portMappings"), true);
  EXPECT_TRUE(l.plugins[1].source.empty());
  // Go re-marshals every list member: sorted keys, compact.
  EXPECT_EQ(l.plugins[1].bytes,
            R"({"capabilities":{"portMappings":true},"snat":true,"type":"portmap"})");
}

TEST(ConfList, PluginBytesAreRemarshalledWithFloat64Numbers) {
  NetworkConfigList l = ok(R"({"name":"n","plugins":[{"type":"bridge","mtu":1.5e3,"x":1.0}]})");
  ASSERT_EQ(l.plugins.size(), 1u);
  EXPECT_EQ(l.plugins[0].bytes, R"({"mtu":1500,"type":"bridge","x":1})");
  EXPECT_EQ(l.plugins[0].raw["mtu"], 1500.0);  // raw keeps the decoded value
}

TEST(ConfList, NameIsRequiredAndMustBeAString) {
  EXPECT_EQ(errorOf(R"({"plugins":[{"type":"x"}]})"), std::string(kPrefix) + "no name");
  EXPECT_EQ(errorOf(R"({"name":5,"plugins":[{"type":"x"}]})"),
            std::string(kPrefix) + "invalid name type float64");
  EXPECT_EQ(errorOf(R"({"name":null})"), std::string(kPrefix) + "invalid name type <nil>");
  EXPECT_EQ(errorOf(R"({"name":{"a":1}})"),
            std::string(kPrefix) + "invalid name type map[string]interface {}");
  // Keys of the list are map keys in Go: exact match only.
  EXPECT_EQ(errorOf(R"({"Name":"n","plugins":[{"type":"x"}]})"), std::string(kPrefix) + "no name");
  // The name regex is enforced on ADD, not when parsing (Go accepts these).
  EXPECT_EQ(ok(R"({"name":"","plugins":[{"type":"x"}]})").name, "");
  EXPECT_EQ(ok(R"({"name":"has space/slash","plugins":[{"type":"x"}]})").name, "has space/slash");
}

TEST(ConfList, NameErrorTakesPrecedenceOverOtherErrors) {
  // Go checks name first, then versions, then flags, then plugins.
  EXPECT_EQ(errorOf(R"({"cniVersion":1,"disableCheck":"maybe","plugins":7})"),
            std::string(kPrefix) + "no name");
  EXPECT_EQ(errorOf(R"({"name":"n","cniVersion":1,"disableCheck":"maybe"})"),
            std::string(kPrefix) + "invalid cniVersion type float64");
}

TEST(ConfList, CniVersionIsOptionalAndTakenAsWritten) {
  EXPECT_EQ(ok(R"({"name":"n","plugins":[{"type":"x"}]})").cni_version, "");
  // Without cniVersions nothing validates cniVersion (Go neither).
  EXPECT_EQ(ok(R"({"name":"n","cniVersion":"9.9.9","plugins":[{"type":"x"}]})").cni_version,
            "9.9.9");
  EXPECT_EQ(ok(R"({"name":"n","cniVersion":"garbage","plugins":[{"type":"x"}]})").cni_version,
            "garbage");
  EXPECT_EQ(errorOf(R"({"name":"n","cniVersion":true})"),
            std::string(kPrefix) + "invalid cniVersion type bool");
  EXPECT_EQ(errorOf(R"({"name":"n","cniVersion":null})"),
            std::string(kPrefix) + "invalid cniVersion type <nil>");
}

TEST(ConfList, CniVersionsPicksTheHighestSupported) {
  auto pick = [](std::string_view versions_and_more) {
    std::string b =
        R"({"name":"n","plugins":[{"type":"x"}],)" + std::string(versions_and_more) + "}";
    return ok(b).cni_version;
  };
  EXPECT_EQ(pick(R"("cniVersions":["0.3.1","1.0.0","0.4.0"])"), "1.0.0");
  EXPECT_EQ(pick(R"("cniVersions":["1.1.0","1.0.0"])"), "1.1.0");
  // Newer than 1.1.0: silently dropped (a spec 2.0 entry must not break old runtimes).
  EXPECT_EQ(pick(R"("cniVersions":["1.0.0","1.2.0","2.0.0"])"), "1.0.0");
  // cniVersion joins the candidates...
  EXPECT_EQ(pick(R"("cniVersion":"1.1.0","cniVersions":["0.4.0"])"), "1.1.0");
  EXPECT_EQ(pick(R"("cniVersion":"0.3.1","cniVersions":["1.0.0"])"), "1.0.0");
  // ...unless it is too new itself.
  EXPECT_EQ(pick(R"("cniVersion":"1.5.0","cniVersions":["0.4.0"])"), "0.4.0");
  // Nothing usable: cniVersion stays as written.
  EXPECT_EQ(pick(R"("cniVersion":"3.0.0","cniVersions":["2.0.0"])"), "3.0.0");
  EXPECT_EQ(pick(R"("cniVersions":[])"), "");
  EXPECT_EQ(pick(R"("cniVersion":"0.4.0","cniVersions":[])"), "0.4.0");
  // Short forms compare by value; "" means 0.1.0.
  EXPECT_EQ(pick(R"("cniVersions":["1.0","0.4"])"), "1.0");
  EXPECT_EQ(pick(R"("cniVersions":[""])"), "");
  // Ties keep the first one written.
  EXPECT_EQ(pick(R"("cniVersions":["1.0","1.0.0"])"), "1.0");
  NetworkConfigList l =
      ok(R"({"name":"n","plugins":[{"type":"x"}],"cniVersions":["1.0.0","5.0"]})");
  EXPECT_EQ(l.cni_versions, (std::vector<std::string>{"1.0.0", "5.0"}));  // as written
}

TEST(ConfList, CniVersionsErrors) {
  EXPECT_EQ(errorOf(R"({"name":"n","cniVersions":"1.0.0"})"),
            std::string(kPrefix) + "invalid type for cniVersions: []interface {}");
  EXPECT_EQ(errorOf(R"({"name":"n","cniVersions":null})"),
            std::string(kPrefix) + "invalid type for cniVersions: []interface {}");
  EXPECT_EQ(errorOf(R"({"name":"n","cniVersions":["1.0.0",1]})"),
            std::string(kPrefix) + "invalid type for cniVersions index 1: float64");
  std::string e = errorOf(R"({"name":"n","cniVersions":["1.0.0","1.x"]})");
  EXPECT_TRUE(e.starts_with(std::string(kPrefix) + "invalid cniVersions entry 1.x at index 1: "))
      << e;
  e = errorOf(R"({"name":"n","cniVersions":["1.0.0.0"]})");
  EXPECT_TRUE(e.starts_with(std::string(kPrefix) + "invalid cniVersions entry 1.0.0.0 at index 0"))
      << e;
  // A broken cniVersion is only an error when cniVersions makes Go parse it.
  e = errorOf(R"({"name":"n","cniVersion":"one","cniVersions":["1.0.0"]})");
  EXPECT_TRUE(e.starts_with(std::string(kPrefix) + "invalid cniVersion one: ")) << e;
}

TEST(ConfList, BooleanFlagsAcceptBoolsAndCaseInsensitiveStrings) {
  for (const char* key : {"disableCheck", "disableGC", "loadOnlyInlinedPlugins"}) {
    SCOPED_TRACE(key);
    const std::string k = key;
    auto flag = [&](std::string_view value) {
      NetworkConfigList l =
          ok(R"({"name":"n","plugins":[{"type":"x"}],")" + k + "\":" + std::string(value) + "}");
      return k == "disableCheck" ? l.disable_check
             : k == "disableGC"  ? l.disable_gc
                                 : l.load_only_inlined_plugins;
    };
    EXPECT_TRUE(flag("true"));
    EXPECT_FALSE(flag("false"));
    EXPECT_TRUE(flag(R"("true")"));
    EXPECT_TRUE(flag(R"("TRUE")"));
    EXPECT_TRUE(flag(R"("tRuE")"));
    EXPECT_FALSE(flag(R"("False")"));
    auto bad = [&](std::string_view value) {
      return errorOf(R"({"name":"n","plugins":[{"type":"x"}],")" + k + "\":" + std::string(value) +
                     "}");
    };
    EXPECT_EQ(bad("1"), std::string(kPrefix) + "invalid type float64 for " + k);
    EXPECT_EQ(bad("null"), std::string(kPrefix) + "invalid type <nil> for " + k);
    EXPECT_EQ(bad("[]"), std::string(kPrefix) + "invalid type []interface {} for " + k);
    // Go lower-cases the value before quoting it in the message.
    EXPECT_EQ(bad(R"("YES")"), std::string(kPrefix) + "invalid value \"yes\" for " + k);
    EXPECT_EQ(bad(R"("")"), std::string(kPrefix) + "invalid value \"\" for " + k);
    EXPECT_EQ(bad(R"(" true")"), std::string(kPrefix) + "invalid value \" true\" for " + k);
  }
}

TEST(ConfList, PluginsKeyRules) {
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":[]})"), std::string(kPrefix) + "no plugins in list");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":{"type":"x"}})"),
            std::string(kPrefix) + "invalid 'plugins' type map[string]interface {}");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":null})"),
            std::string(kPrefix) + "invalid 'plugins' type <nil>");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":"bridge"})"),
            std::string(kPrefix) + "invalid 'plugins' type string");
  // Absent: fine (plugins may come from the subfolder), the list is just empty here...
  NetworkConfigList l = ok(R"({"name":"n","cniVersion":"1.1.0"})");
  EXPECT_TRUE(l.plugins.empty());
  EXPECT_FALSE(l.load_only_inlined_plugins);
  // ...unless only inlined plugins may be used.
  EXPECT_EQ(errorOf(R"({"name":"n","loadOnlyInlinedPlugins":true})"),
            std::string(kPrefix) + "`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
  EXPECT_EQ(errorOf(R"({"name":"n","loadOnlyInlinedPlugins":"TRUE"})"),
            std::string(kPrefix) + "`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
  EXPECT_TRUE(ok(R"({"name":"n","loadOnlyInlinedPlugins":false})").plugins.empty());
}

TEST(ConfList, EachPluginNeedsAType) {
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":[{"type":"a"},{"bridge":"b"}]})"),
            "failed to parse plugin config 1: error parsing configuration: missing 'type'");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":[{"type":""}]})"),
            "failed to parse plugin config 0: error parsing configuration: missing 'type'");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":[null]})"),
            "failed to parse plugin config 0: error parsing configuration: missing 'type'");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":[{"type":5}]})"),
            "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal "
            "number into Go struct field PluginConf.type of type string");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":["bridge"]})"),
            "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal "
            "string into Go value of type types.PluginConf");
  EXPECT_EQ(errorOf(R"({"name":"n","plugins":[{"type":"x","capabilities":{"a":1}}]})"),
            "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal "
            "number into Go struct field PluginConf.capabilities of type bool");
  // Plugin fields are struct fields in Go: matched case-insensitively.
  NetworkConfigList l =
      ok(R"({"name":"n","plugins":[{"Type":"bridge","CAPABILITIES":{"a":true}}]})");
  ASSERT_EQ(l.plugins.size(), 1u);
  EXPECT_EQ(l.plugins[0].type, "bridge");
  EXPECT_TRUE(l.plugins[0].capabilities.at("a"));
  EXPECT_EQ(l.plugins[0].raw.count("Type"), 1u);  // raw keeps the spelling
}

TEST(ConfList, PluginTypeMustNotBeAPath) {
  std::string e = errorOf(R"({"name":"n","plugins":[{"type":"../../bin/sh"}]})");
  EXPECT_TRUE(
      e.starts_with("failed to parse plugin config 0: error parsing configuration: "
                    "invalid 'type' \"../../bin/sh\""))
      << e;
  e = errorOf(R"({"name":"n","plugins":[{"type":"bridge"},{"type":"/usr/bin/true"}]})");
  EXPECT_TRUE(e.starts_with("failed to parse plugin config 1: ")) << e;
}

TEST(ConfList, CapabilitiesNullReadsAsFalse) {
  NetworkConfigList l = ok(R"({"name":"n","plugins":[{"type":"x","capabilities":{"a":null}}]})");
  EXPECT_EQ(l.plugins[0].capabilities, (std::map<std::string, bool>{{"a", false}}));
}

TEST(ConfList, MalformedJson) {
  auto r = confListFromBytes(R"({"name":"n",)");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
  EXPECT_TRUE(r.error().msg.starts_with(kPrefix)) << r.error().msg;

  r = confListFromBytes("");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().msg, std::string(kPrefix) + "unexpected end of JSON input");
  r = confListFromBytes(" \n\t ");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().msg, std::string(kPrefix) + "unexpected end of JSON input");

  // Go's decoder refuses a byte order mark; accepting it would load files every Go runtime skips.
  r = confListFromBytes("\xEF\xBB\xBF{\"name\":\"n\",\"plugins\":[{\"type\":\"x\"}]}");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().msg,
            std::string(kPrefix) + "invalid character '\xC3\xAF' looking for beginning of value");

  r = confListFromBytes(R"({"name":"n","plugins":[{"type":"x"}]} trailing)");
  EXPECT_FALSE(r.has_value());
}

TEST(ConfList, TopLevelMustBeAnObject) {
  auto r = confListFromBytes(R"([{"name":"n"}])");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(r.error().msg, std::string(kPrefix) +
                               "json: cannot unmarshal array into Go value of type "
                               "map[string]interface {}");
  EXPECT_EQ(errorOf("\"x\""), std::string(kPrefix) +
                                  "json: cannot unmarshal string into Go value of type "
                                  "map[string]interface {}");
  // `null` decodes into a nil map in Go, so the first complaint is the missing name.
  EXPECT_EQ(errorOf("null"), std::string(kPrefix) + "no name");
}

TEST(ConfList, DuplicateKeysLastOneWins) {
  NetworkConfigList l = ok(R"({"name":"a","name":"b","plugins":[{"type":"x","type":"y"}]})");
  EXPECT_EQ(l.name, "b");
  EXPECT_EQ(l.plugins[0].type, "y");
}

TEST(ConfList, ErrorCodes) {
  EXPECT_EQ(confListFromBytes(R"({"plugins":[]})").error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(confListFromBytes("{").error().code, ErrorCode::kDecodingFailure);
}

}  // namespace
}  // namespace cni::conf
