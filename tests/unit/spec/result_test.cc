// tests/unit/spec/result_test.cc — result decoding rules, encoding details, creator checks,
// conversion edge cases and parsePrevResult, each as Go's pkg/types behaves (error texts checked
// against the reference plugins where they surface: tests/data/results/error-internal.json and
// the portmap runs recorded in README.md).
#include "src/spec/result.h"

#include <gtest/gtest.h>

namespace cni::spec {
namespace {

Result mustParse(std::string_view text) {
  auto r = parseResult(text);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().toString());
  return r ? *r : Result{};
}

Error parseError(std::string_view text) {
  auto r = parseResult(text);
  EXPECT_FALSE(r) << "accepted: " << text;
  return r ? Error() : r.error();
}

// ---- versions and creators ----------------------------------------------------------------------

TEST(ResultParse, MissingVersionMeans010) {
  Result r = mustParse(R"({"ip4":{"ip":"10.0.0.1/8"}})");
  EXPECT_EQ(r.cni_version, "0.1.0");
  EXPECT_EQ(encodeResult(r, false), R"({"cniVersion":"0.1.0","ip4":{"ip":"10.0.0.1/8"},"dns":{}})");
  EXPECT_EQ(mustParse(R"({"cniVersion":""})").cni_version, "0.1.0");
}

TEST(ResultParse, UnknownVersionIsIncompatible) {
  for (std::string_view v : {"0.5.0", "1.2.0", "2.0.0", "1.0", "v1.0.0"}) {
    Error e = parseError(R"({"cniVersion":")" + std::string(v) + R"("})");
    EXPECT_EQ(e.code, ErrorCode::kIncompatibleCniVersion) << v;
    EXPECT_EQ(e.msg, "unsupported CNI result version \"" + std::string(v) + "\"");
  }
}

TEST(ResultParse, CreatorRejectsOtherFamily) {
  const std::string v100 = R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8"}]})";
  auto as040 = parseResultAs(v100, "0.4.0");
  ASSERT_FALSE(as040);
  EXPECT_EQ(as040.error().code, ErrorCode::kIncompatibleCniVersion);
  EXPECT_EQ(as040.error().msg,
            "result type supports [0.3.0 0.3.1 0.4.0] but unmarshalled CNIVersion is \"1.0.0\"");
  auto as020 = parseResultAs(v100, "0.2.0");
  ASSERT_FALSE(as020);
  // Go prints the 020 list including its "" entry.
  EXPECT_EQ(as020.error().msg,
            "result type supports [ 0.1.0 0.2.0] but unmarshalled CNIVersion is \"1.0.0\"");
  auto as110 = parseResultAs(R"({"cniVersion":"0.4.0"})", "1.1.0");
  ASSERT_FALSE(as110);
  EXPECT_EQ(as110.error().msg,
            "result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is \"0.4.0\"");
  // Without a cniVersion only the 020 creator is satisfied.
  auto none = parseResultAs(R"({"ips":[]})", "1.0.0");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().msg,
            "result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is \"\"");
  EXPECT_EQ(parseResultAs(R"({})", "")->cni_version, "0.1.0");
  // A sibling version of the same family is accepted and kept.
  EXPECT_EQ(parseResultAs(R"({"cniVersion":"0.3.0"})", "0.4.0")->cni_version, "0.3.0");
  EXPECT_EQ(parseResultAs(R"({"cniVersion":"1.1.0"})", "1.0.0")->cni_version, "1.1.0");
  auto unknown = parseResultAs(R"({"cniVersion":"0.4.0"})", "0.9.0");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().msg, "unsupported CNI result version \"0.9.0\"");
}

TEST(ResultParse, DecodeResultVersion) {
  EXPECT_EQ(*decodeResultVersion(R"({"cniVersion":"0.4.0","x":1})"), "0.4.0");
  EXPECT_EQ(*decodeResultVersion(R"({})"), "0.1.0");
  EXPECT_EQ(*decodeResultVersion(R"({"cniVersion":null})"), "0.1.0");
  EXPECT_EQ(*decodeResultVersion(R"({"CNIVERSION":"1.0.0"})"), "1.0.0");  // case-insensitive
  auto num = decodeResultVersion(R"({"cniVersion":1})");
  ASSERT_FALSE(num);
  EXPECT_EQ(num.error().code, ErrorCode::kDecodingFailure);
  EXPECT_EQ(num.error().msg,
            "decoding version from network config: json: cannot unmarshal number into Go struct "
            "field .cniVersion of type string");
  EXPECT_FALSE(decodeResultVersion("[]"));
  auto bad = decodeResultVersion("{");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDecodingFailure);
}

// ---- decoding --------------------------------------------------------------------------------

TEST(ResultParse, BadAddressesAreDecodeErrors) {
  struct Case {
    std::string_view json, msg;
  } cases[] = {
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]})",
       "invalid CIDR address: 10.0.0.1"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","gateway":"x"}]})",
       "invalid IP address: x"},
      {R"({"cniVersion":"0.4.0","routes":[{"dst":"10.0.0.0/33"}]})",
       "invalid CIDR address: 10.0.0.0/33"},
      {R"({"cniVersion":"0.4.0","routes":[{"dst":"010.0.0.0/8"}]})",
       "invalid CIDR address: 010.0.0.0/8"},
      {R"({"cniVersion":"1.1.0","routes":[{"dst":"::/0","gw":"fe80::1%eth0"}]})",
       "invalid IP address: fe80::1%eth0"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8","gateway":"10.0.0.256"}})",
       "invalid IP address: 10.0.0.256"},
      {R"({"cniVersion":"0.2.0","ip6":{"ip":"2001:db8::1"}})", "invalid CIDR address: 2001:db8::1"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8","routes":[{"dst":"x/8"}]}})",
       "invalid CIDR address: x/8"},
      // types.IPNet decodes null as "" (its UnmarshalJSON runs), net.IP treats null as absent.
      {R"({"cniVersion":"1.0.0","ips":[{"address":null}]})", "invalid CIDR address: "},
      {R"({"cniVersion":"1.0.0","ips":[{"address":""}]})", "invalid CIDR address: "},
      {R"({"cniVersion":"1.0.0","ips":[{"address":5}]})",
       "json: cannot unmarshal number into Go value of type string"},
  };
  for (const auto& c : cases) {
    Error e = parseError(c.json);
    EXPECT_EQ(e.code, ErrorCode::kDecodingFailure) << c.json;
    EXPECT_EQ(e.msg, c.msg) << c.json;
  }
}

TEST(ResultParse, WrongJsonTypesAreDecodeErrors) {
  for (std::string_view bad :
       {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":"1"}]})",
        R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":1.5}]})",
        R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":true}]})",
        R"({"cniVersion":"1.1.0","interfaces":[{"name":"a","mtu":4294967296}]})",
        R"({"cniVersion":"1.1.0","interfaces":[{"name":1}]})",
        R"({"cniVersion":"1.1.0","interfaces":{"name":"a"}})",
        R"({"cniVersion":"1.1.0","interfaces":[null]})",
        R"({"cniVersion":"1.1.0","interfaces":["eth0"]})",
        R"({"cniVersion":"1.1.0","routes":[{"dst":"::/0","table":"main"}]})",
        R"({"cniVersion":"1.1.0","dns":[]})",
        R"({"cniVersion":"1.1.0","dns":{"nameservers":"1.1.1.1"}})",
        R"({"cniVersion":"1.1.0","dns":{"nameservers":[1]}})",
        R"({"cniVersion":"0.4.0","ips":[{"version":4,"address":"10.0.0.1/8"}]})",
        R"({"cniVersion":"0.2.0","ip4":"10.0.0.1/8"})",
        R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8","routes":{}}})",
        R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","gateway":7}]})",
        R"({"cniVersion":1})",
        R"([])",
        R"("x")",
        R"({)",
        ""}) {
    Error e = parseError(bad);
    EXPECT_EQ(e.code, ErrorCode::kDecodingFailure) << bad;
  }
  // Go's message names the field and the Go type.
  Error e =
      parseError(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":1.5}]})");
  EXPECT_EQ(e.msg,
            "json: cannot unmarshal number 1.5 into Go struct field Result.ips.interface "
            "of type int");
}

TEST(ResultParse, UnknownFieldsIgnoredKeysCaseInsensitiveNullsAbsent) {
  Result r = mustParse(R"({
    "CNIVersion": "1.0.0", "extra": {"deep": [1, 2]},
    "Interfaces": [{"NAME": "eth0", "Mac": null, "sandbox": "/ns", "bogus": 1}],
    "IPs": [{"Interface": 0, "Address": "10.0.0.5/24", "GATEWAY": null}],
    "routes": null, "dns": {"Nameservers": ["1.1.1.1", null], "domain": null}})");
  EXPECT_EQ(r.cni_version, "1.0.0");
  ASSERT_EQ(r.interfaces.size(), 1u);
  EXPECT_EQ(r.interfaces[0].name, "eth0");
  EXPECT_EQ(r.interfaces[0].mac, "");
  EXPECT_EQ(r.interfaces[0].sandbox, "/ns");
  ASSERT_EQ(r.ips.size(), 1u);
  EXPECT_EQ(r.ips[0].interface, 0);
  EXPECT_EQ(r.ips[0].gateway, "");
  EXPECT_TRUE(r.routes.empty());
  EXPECT_EQ(r.dns.nameservers, (std::vector<std::string>{"1.1.1.1", ""}));
  // Exact key beats a case variant.
  EXPECT_EQ(mustParse(R"({"cniVersion":"0.4.0","CNIVERSION":"1.0.0"})").cni_version, "0.4.0");
}

TEST(ResultParse, OnlyTheFieldsOfTheShapeAreKept) {
  // 0.4.0: interface mtu/socketPath/pciID do not exist in Go's 040 struct.
  Result r040 = mustParse(R"({"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mtu":9000,
      "socketPath":"/s","pciID":"0000:00:01.0"}],"ips":[{"version":"4","address":"10.0.0.1/8"}]})");
  EXPECT_EQ(r040.interfaces[0].mtu, 0);
  EXPECT_EQ(r040.interfaces[0].socket_path, "");
  EXPECT_EQ(r040.interfaces[0].pci_id, "");
  EXPECT_EQ(r040.ips[0].version, "4");
  // 1.x: no "version" in ips.
  Result r100 = mustParse(R"({"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mtu":9000,
      "socketPath":"/s","pciID":"p"}],"ips":[{"version":"4","address":"10.0.0.1/8"}]})");
  EXPECT_EQ(r100.interfaces[0].mtu, 9000);
  EXPECT_EQ(r100.interfaces[0].socket_path, "/s");
  EXPECT_EQ(r100.interfaces[0].pci_id, "p");
  EXPECT_EQ(r100.ips[0].version, "");
  // 0.2.0: interfaces/ips/routes are not fields of the 020 struct; ip4 is decoded before ip6
  // whatever the text order.
  Result r020 = mustParse(R"({"cniVersion":"0.2.0","interfaces":[{"name":"x"}],
      "ips":[{"address":"9.9.9.9/32"}],"routes":[{"dst":"0.0.0.0/0"}],
      "ip6":{"ip":"2001:db8::1/64"},"ip4":{"ip":"10.0.0.1/8","routes":[{"dst":"1.0.0.0/8"}]}})");
  EXPECT_TRUE(r020.interfaces.empty());
  EXPECT_TRUE(r020.routes.empty());
  ASSERT_EQ(r020.ips.size(), 2u);
  EXPECT_EQ(r020.ips[0].address, "10.0.0.1/8");
  EXPECT_EQ(r020.ips[0].version, "4");
  EXPECT_EQ(r020.ips[1].version, "6");
  ASSERT_EQ(r020.routes4_020.size(), 1u);
  EXPECT_TRUE(r020.routes6_020.empty());
}

TEST(ResultParse, AddressesAreNormalisedOnDecode) {
  Result r = mustParse(R"({"cniVersion":"1.0.0","ips":[
      {"address":"2001:DB8:0:0:0:0:0:5/64","gateway":"2001:0db8::0001"},
      {"address":"::ffff:10.0.0.5/120","gateway":"::ffff:10.0.0.1"}],
      "routes":[{"dst":"10.0.0.0/08","gw":"::FFFF:10.0.0.254"},{"dst":"::1.2.3.4/128"}]})");
  EXPECT_EQ(r.ips[0].address, "2001:db8::5/64");
  EXPECT_EQ(r.ips[0].gateway, "2001:db8::1");
  EXPECT_EQ(r.ips[1].address, "10.0.0.5/24");
  EXPECT_EQ(r.ips[1].gateway, "10.0.0.1");
  EXPECT_EQ(r.routes[0].dst, "10.0.0.0/8");
  EXPECT_EQ(r.routes[0].gw, "10.0.0.254");
  EXPECT_EQ(r.routes[1].dst, "::102:304/128");
  // A v4-mapped address counts as IPv4 when 0.4.0 needs a version.
  EXPECT_EQ(convertResult(r, "0.4.0")->ips[1].version, "4");
}

// ---- encoding --------------------------------------------------------------------------------

TEST(ResultEncode, GoFieldOrderAndOmitEmpty) {
  Result r;
  r.cni_version = "1.1.0";
  r.interfaces = {{.name = "eth0"}, {.name = "", .mac = "m", .mtu = 1500, .sandbox = "/ns"}};
  r.ips = {{.interface = 0, .address = "10.0.0.5/24"}};
  r.routes = {{.dst = "0.0.0.0/0", .table = 0, .scope = 0},
              {.dst = "::/0", .gw = "fe80::1", .mtu = 0, .advmss = 0, .priority = 5}};
  EXPECT_EQ(
      encodeResult(r, false),
      R"({"cniVersion":"1.1.0","interfaces":[{"name":"eth0"},{"name":"","mac":"m","mtu":1500,)"
      R"("sandbox":"/ns"}],"ips":[{"interface":0,"address":"10.0.0.5/24"}],"routes":[)"
      R"({"dst":"0.0.0.0/0","table":0,"scope":0},{"dst":"::/0","gw":"fe80::1","priority":5}],)"
      R"("dns":{}})");
  // Same data as 0.4.0: "version" always printed (here empty, as built), no interface mtu.
  r.cni_version = "0.4.0";
  EXPECT_EQ(encodeResult(r, false),
            R"({"cniVersion":"0.4.0","interfaces":[{"name":"eth0"},{"name":"","mac":"m",)"
            R"("sandbox":"/ns"}],"ips":[{"version":"","interface":0,"address":"10.0.0.5/24"}],)"
            R"("routes":[{"dst":"0.0.0.0/0","table":0,"scope":0},{"dst":"::/0","gw":"fe80::1",)"
            R"("priority":5}],"dns":{}})");
}

TEST(ResultEncode, IndentedWithoutTrailingNewline) {
  Result r;
  r.cni_version = "1.0.0";
  EXPECT_EQ(encodeResult(r), "{\n    \"cniVersion\": \"1.0.0\",\n    \"dns\": {}\n}");
  r.dns.domain = "x";
  EXPECT_EQ(encodeResult(r),
            "{\n    \"cniVersion\": \"1.0.0\",\n    \"dns\": {\n        "
            "\"domain\": \"x\"\n    }\n}");
}

TEST(ResultEncode, EscapesLikeGo) {
  Result r;
  r.cni_version = "1.0.0";
  r.interfaces = {{.name = "a<b>&c\"\\\n\u2028"}};
  EXPECT_EQ(resultToJson(r)["interfaces"][0]["name"], "a<b>&c\"\\\n\u2028");
  EXPECT_EQ(encodeResult(r, false),
            R"({"cniVersion":"1.0.0","interfaces":[{"name":"a\u003cb\u003e\u0026c\"\\\n\u2028"}],)"
            R"("dns":{}})");
}

TEST(ResultEncode, HandBuiltResults) {
  // Empty cni_version: 1.x shape, no cniVersion key; addresses normalised; missing address
  // printed as Go's "<nil>"; unparseable text kept as is.
  Result r;
  r.ips = {{.address = "2001:DB8::1/64", .gateway = "2001:DB8::FFFF", .version = "6"},
           {.address = ""},
           {.address = "garbage"}};
  EXPECT_EQ(encodeResult(r, false),
            R"({"ips":[{"address":"2001:db8::1/64","gateway":"2001:db8::ffff"},)"
            R"({"address":"\u003cnil\u003e"},{"address":"garbage"}],"dns":{}})");
  // 0.2.0 built without versions: ip4/ip6 chosen by address family.
  Result r020;
  r020.cni_version = "0.2.0";
  r020.ips = {{.address = "2001:db8::1/64"}, {.address = "10.0.0.1/8", .gateway = "10.0.0.254"}};
  r020.routes4_020 = {{.dst = "0.0.0.0/0", .gw = "10.0.0.254"}};
  EXPECT_EQ(encodeResult(r020, false),
            R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8","gateway":"10.0.0.254","routes":)"
            R"([{"dst":"0.0.0.0/0","gw":"10.0.0.254"}]},"ip6":{"ip":"2001:db8::1/64"},"dns":{}})");
}

TEST(ResultEncode, RouteExtrasSurviveIn020And040Shapes) {
  // Go shares types.Route across versions: extras set on a route are printed in any shape.
  Result r = mustParse(R"({"cniVersion":"0.4.0","routes":[{"dst":"10.0.0.0/8","mtu":1400,
      "advmss":1360,"priority":7,"table":100,"scope":253}]})");
  EXPECT_EQ(encodeResult(r, false),
            R"({"cniVersion":"0.4.0","routes":[{"dst":"10.0.0.0/8","mtu":1400,"advmss":1360,)"
            R"("priority":7,"table":100,"scope":253}],"dns":{}})");
  Result r020 = mustParse(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8",
      "routes":[{"dst":"0.0.0.0/0","table":0}]}})");
  EXPECT_EQ(encodeResult(r020, false),
            R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8","routes":[{"dst":"0.0.0.0/0",)"
            R"("table":0}]},"dns":{}})");
}

// ---- conversion edge cases ---------------------------------------------------------------------

TEST(ResultConvert, UnknownTargetAndSource) {
  Result r = mustParse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8"}]})");
  for (std::string_view to : {"9.9.9", "1.2.0", "0.4", "1.0.0 "}) {
    auto c = convertResult(r, to);
    ASSERT_FALSE(c) << to;
    EXPECT_EQ(c.error().code, ErrorCode::kIncompatibleCniVersion);
    EXPECT_EQ(c.error().msg, "no converter for CNI result version 1.0.0 to " + std::string(to));
  }
  Result odd;
  odd.cni_version = "0.5.0";
  EXPECT_EQ(convertResult(odd, "0.4.0").error().msg,
            "no converter for CNI result version 0.5.0 to 0.4.0");
  EXPECT_TRUE(convertResult(odd, "0.5.0"));  // same version: Go's shortcut, no check
}

TEST(ResultConvert, EmptyVersionsDefault) {
  Result built;  // built in code, no version: treated as the current version
  built.ips = {{.address = "10.0.0.1/8"}};
  auto as100 = convertResult(built, "1.0.0");
  ASSERT_TRUE(as100);
  EXPECT_EQ(as100->cni_version, "1.0.0");
  EXPECT_EQ(convertResult(built, "1.1.0")->cni_version, "1.1.0");
  EXPECT_EQ(convertResult(built, "0.4.0")->ips[0].version, "4");
  // An empty target is 0.1.0.
  auto as010 = convertResult(built, "");
  ASSERT_TRUE(as010);
  EXPECT_EQ(as010->cni_version, "0.1.0");
  EXPECT_EQ(encodeResult(*as010, false),
            R"({"cniVersion":"0.1.0","ip4":{"ip":"10.0.0.1/8"},"dns":{}})");
}

TEST(ResultConvert, SameVersionIsUnchanged) {
  Result r = mustParse(R"({"cniVersion":"0.4.0","ips":[{"address":"10.0.0.1/8"}]})");
  auto c = convertResult(r, "0.4.0");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, r);
  EXPECT_EQ(c->ips[0].version, "");  // no synthesis without a conversion
}

TEST(ResultConvert, DownTo020EdgeCases) {
  // Only IPv4: IPv6 routes have nowhere to go and are dropped.
  Result v4only = mustParse(R"({"cniVersion":"1.1.0","ips":[{"address":"10.0.0.2/24"}],
      "routes":[{"dst":"::/0","gw":"fe80::1"},{"dst":"0.0.0.0/0","gw":"10.0.0.1"}]})");
  EXPECT_EQ(encodeResult(*convertResult(v4only, "0.2.0"), false),
            R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24","routes":[{"dst":"0.0.0.0/0",)"
            R"("gw":"10.0.0.1"}]},"dns":{}})");
  // No addresses at all.
  Result none = mustParse(R"({"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0"}],
      "dns":{"nameservers":["1.1.1.1"]}})");
  auto e = convertResult(none, "0.1.0");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().msg, "cannot convert: no valid IP addresses");
  // 0.4.0: selection is by the version field, not the address.
  Result mislabeled = mustParse(R"({"cniVersion":"0.4.0","ips":[
      {"version":"6","address":"10.0.0.1/8"},{"address":"10.0.0.2/8"},
      {"version":"4","address":"10.0.0.3/8"}]})");
  auto m = convertResult(mislabeled, "0.2.0");
  ASSERT_TRUE(m);
  EXPECT_EQ(
      encodeResult(*m, false),
      R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.3/8"},"ip6":{"ip":"10.0.0.1/8"},"dns":{}})");
  // DNS is carried through every conversion.
  Result dns = mustParse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8"}],
      "dns":{"nameservers":["1.1.1.1"],"options":["rotate"]}})");
  EXPECT_EQ(convertResult(dns, "0.1.0")->dns, dns.dns);
  EXPECT_EQ(convertResult(*convertResult(dns, "0.1.0"), "1.1.0")->dns, dns.dns);
}

TEST(ResultConvert, UpFrom020) {
  Result r = mustParse(R"({"cniVersion":"0.1.0","ip6":{"ip":"2001:db8::1/64","routes":
      [{"dst":"::/0","gw":"2001:db8::fffe"}]},"dns":{"domain":"d"}})");
  auto up = convertResult(r, "0.3.0");
  ASSERT_TRUE(up);
  EXPECT_EQ(encodeResult(*up, false),
            R"({"cniVersion":"0.3.0","ips":[{"version":"6","address":"2001:db8::1/64"}],)"
            R"("routes":[{"dst":"::/0","gw":"2001:db8::fffe"}],"dns":{"domain":"d"}})");
  EXPECT_EQ(encodeResult(*convertResult(r, "1.1.0"), false),
            R"({"cniVersion":"1.1.0","ips":[{"address":"2001:db8::1/64"}],)"
            R"("routes":[{"dst":"::/0","gw":"2001:db8::fffe"}],"dns":{"domain":"d"}})");
  // An empty 0.2.0 result converts up to an empty result (no error going up).
  Result empty = mustParse(R"({"cniVersion":"0.2.0"})");
  EXPECT_EQ(encodeResult(*convertResult(empty, "1.0.0"), false),
            R"({"cniVersion":"1.0.0","dns":{}})");
}

TEST(ResultConvert, Between1xAnd04xDropsAndSynthesises) {
  Result r = mustParse(R"({"cniVersion":"1.1.0","interfaces":[{"name":"e","mtu":1,
      "socketPath":"s","pciID":"p"}],"ips":[{"interface":0,"address":"fd00::1/64"},{"address":
      "10.0.0.1/8"}]})");
  Result r040 = *convertResult(r, "0.3.1");
  EXPECT_EQ(r040.interfaces[0], (Interface{.name = "e"}));
  EXPECT_EQ(r040.ips[0].version, "6");
  EXPECT_EQ(r040.ips[1].version, "4");
  Result back = *convertResult(r040, "1.1.0");
  EXPECT_EQ(back.ips[0].version, "");
  EXPECT_EQ(back.interfaces[0], (Interface{.name = "e"}));
  EXPECT_EQ(back.ips, r.ips);
  // 1.0.0 <-> 1.1.0 copies everything, including the 1.1 interface fields.
  EXPECT_EQ(convertResult(r, "1.0.0")->interfaces, r.interfaces);
}

// ---- parsePrevResult ---------------------------------------------------------------------------

TEST(PrevResult, AbsentOrNull) {
  EXPECT_FALSE(parsePrevResult(Json{{"cniVersion", "1.0.0"}})->has_value());
  EXPECT_FALSE(
      parsePrevResult(Json{{"cniVersion", "1.0.0"}, {"prevResult", nullptr}})->has_value());
  auto bad = parsePrevResult(Json{{"cniVersion", "1.0.0"}, {"prevResult", "x"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDecodingFailure);
}

TEST(PrevResult, VersionSelection) {
  // Own version wins (same family as the config).
  Json conf = Json::parse(R"({"cniVersion":"0.4.0","prevResult":{"cniVersion":"0.3.1",
      "ips":[{"version":"4","address":"10.0.0.1/8"}]}})");
  EXPECT_EQ((*parsePrevResult(conf))->cni_version, "0.3.1");
  // Missing: the config's version is injected.
  conf = Json::parse(R"({"cniVersion":"1.1.0","prevResult":{"ips":[{"address":"10.0.0.1/8"}]}})");
  auto p = parsePrevResult(conf);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->cni_version, "1.1.0");
  EXPECT_EQ((*p)->ips[0].address, "10.0.0.1/8");
  // Go injects under the key "CNIVersion"; an empty one is replaced too.
  conf = Json::parse(R"({"cniVersion":"1.0.0","prevResult":{"CNIVersion":""}})");
  EXPECT_EQ((*parsePrevResult(conf))->cni_version, "1.0.0");
  // An explicit empty "cniVersion" is not replaced: it sorts after the injected key and wins.
  conf = Json::parse(R"({"cniVersion":"0.4.0","prevResult":{"cniVersion":""}})");
  auto empty = parsePrevResult(conf);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().msg,
            "could not parse prevResult: result type supports [0.3.0 0.3.1 0.4.0] but "
            "unmarshalled CNIVersion is \"\"");
  // No version anywhere: 0.1.0 (the 020 creator accepts "").
  conf = Json::parse(R"({"prevResult":{"ip4":{"ip":"10.0.0.1/8"}}})");
  EXPECT_EQ((*parsePrevResult(conf))->cni_version, "0.1.0");
  // Config key lookup is case-insensitive like Go's struct decoding.
  conf = Json::parse(R"({"CniVersion":"1.0.0","PrevResult":{"ips":[]}})");
  EXPECT_EQ((*parsePrevResult(conf))->cni_version, "1.0.0");
}

TEST(PrevResult, FamilyMismatchAndDecodeErrors) {
  // The message reproduces tests/data/results/error-internal.json (inside portmap's own prefix).
  Json conf = Json::parse(R"({"cniVersion":"1.0.0","prevResult":{"cniVersion":"0.4.0"}})");
  auto e = parsePrevResult(conf);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kIncompatibleCniVersion);
  EXPECT_EQ(e.error().msg,
            "could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled "
            "CNIVersion is \"0.4.0\"");
  conf = Json::parse(R"({"cniVersion":"0.2.0","prevResult":{"cniVersion":"0.4.0"}})");
  EXPECT_EQ(parsePrevResult(conf).error().msg,
            "could not parse prevResult: result type supports [ 0.1.0 0.2.0] but unmarshalled "
            "CNIVersion is \"0.4.0\"");
  conf = Json::parse(R"({"cniVersion":"7.0.0","prevResult":{}})");
  EXPECT_EQ(parsePrevResult(conf).error().msg,
            "could not parse prevResult: unsupported CNI result version \"7.0.0\"");
  conf = Json::parse(R"({"cniVersion":"1.0.0","prevResult":{"ips":[{"address":"10.0.0.1"}]}})");
  auto bad = parsePrevResult(conf);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDecodingFailure);
  EXPECT_EQ(bad.error().msg, "could not parse prevResult: invalid CIDR address: 10.0.0.1");
  conf = Json::parse(R"({"cniVersion":1,"prevResult":{}})");
  EXPECT_EQ(parsePrevResult(conf).error().code, ErrorCode::kDecodingFailure);
}

}  // namespace
}  // namespace cni::spec
