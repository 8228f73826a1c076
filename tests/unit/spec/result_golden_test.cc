// tests/unit/spec/result_golden_test.cc — results against golden files printed by the Go
// reference plugins (and a few derived from the Go sources; tests/data/results/README.md says
// which is which): byte-exact round trips, the whole conversion matrix, lossy down-conversions,
// and the prevResult path a chained Go plugin takes.
#include <gtest/gtest.h>

#include <string>

#include "src/spec/result.h"
#include "tests/unit/spec/golden.h"

namespace cni::spec {
namespace {

using testing::golden;
using testing::withVersion;

Result parseGolden(std::string_view name) {
  std::string text = golden(name);
  EXPECT_FALSE(text.empty()) << "missing golden " << name;
  auto r = parseResult(text);
  EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().toString());
  return r ? *r : Result{};
}

std::string convertedText(const Result& r, std::string_view to) {
  auto c = convertResult(r, to);
  EXPECT_TRUE(c) << r.cni_version << " -> " << to << ": " << (c ? "" : c.error().toString());
  return c ? encodeResult(*c) : std::string();
}

// Every golden result parses and re-encodes to exactly the same bytes.
TEST(ResultGolden, RoundTripsByteExact) {
  for (std::string_view name :
       {"static-0.1.0.json", "static-0.2.0.json", "static-0.3.0.json", "static-0.3.1.json",
        "static-0.4.0.json", "static-1.0.0.json", "static-multi-0.3.1.json",
        "static-multi-1.0.0.json", "static-multi-0.2.0.json", "loopback-1.0.0.json",
        "portmap-0.4.0.out.json", "portmap-0.2.0.out.json", "full-1.1.0.json", "full-1.0.0.json",
        "full-0.4.0.json", "full-0.2.0.json", "full-0.2.0-to-0.4.0.json",
        "full-0.2.0-to-1.1.0.json"}) {
    SCOPED_TRACE(name);
    std::string text = golden(name);
    auto r = parseResult(text);
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(encodeResult(*r), text);
    // Compact form is the same document without whitespace.
    EXPECT_EQ(encodeResult(*r, false), goMarshal(*parseOrderedJson(text, "golden")));
  }
}

// Two Go outputs Go itself cannot round-trip, and neither do we, in the same way.
TEST(ResultGolden, GoOutputsThatDoNotRoundTrip) {
  // A missing address prints as Go's "<nil>", which no decoder accepts back.
  auto nil_addr = parseResult(golden("portmap-1.0.0.out.json"));
  ASSERT_FALSE(nil_addr);
  EXPECT_EQ(nil_addr.error().msg, "invalid CIDR address: <nil>");
  EXPECT_EQ(nil_addr.error().code, ErrorCode::kDecodingFailure);
  // A 0.4.0 result without ips[].version re-prints with "version": "" (the 040 field is not
  // omitempty; portmap-0.4.0.out.json shows Go doing it).
  auto quirk = parseResult(golden("loopback-0.4.0.json"));
  ASSERT_TRUE(quirk);
  std::string expected = golden("loopback-0.4.0.json");
  for (size_t at = 0; (at = expected.find("\"interface\": 0", at)) != std::string::npos;) {
    expected.insert(at, "\"version\": \"\",\n            ");
    at += 40;
  }
  EXPECT_EQ(encodeResult(*quirk), expected);
}

// static IPAM prints one result in every version (Go converting its 1.0.0 result). Since all of
// them hold the same addresses in v4-then-v6 order, converting any one to any version must give
// exactly the golden of that version: 7 x 7 conversions checked against Go's own bytes. (1.1.0 is
// 1.0.0's bytes with the version changed; the installed plugins predate spec 1.1.)
TEST(ResultGolden, FullConversionMatrixMatchesGo) {
  auto golden_of = [](std::string_view v) {
    return v == "1.1.0" ? withVersion(golden("static-1.0.0.json"), "1.1.0")
                        : golden("static-" + std::string(v) + ".json");
  };
  for (std::string_view from : kAllVersions) {
    auto parsed = parseResult(golden_of(from));
    ASSERT_TRUE(parsed) << from << ": " << parsed.error().toString();
    EXPECT_EQ(parsed->cni_version, from);
    for (std::string_view to : kAllVersions) {
      SCOPED_TRACE(std::string(from) + " -> " + std::string(to));
      EXPECT_EQ(convertedText(*parsed, to), golden_of(to));
    }
  }
}

// The installed portmap, given no port mappings, decodes its prevResult with the config's version
// and prints it converted to that version — the same path as parsePrevResult + convertResult.
TEST(ResultGolden, PrevResultPassThroughMatchesGoPlugin) {
  for (std::string_view v : {"0.4.0", "1.0.0", "0.2.0"}) {
    SCOPED_TRACE(v);
    std::string in = golden("portmap-" + std::string(v) + ".in.json");
    ASSERT_FALSE(in.empty());
    Json conf = {{"cniVersion", v},
                 {"name", "golden"},
                 {"type", "portmap"},
                 {"prevResult", Json::parse(in)}};
    auto prev = parsePrevResult(conf);
    ASSERT_TRUE(prev) << prev.error().toString();
    ASSERT_TRUE(prev->has_value());
    EXPECT_EQ(convertedText(**prev, v), golden("portmap-" + std::string(v) + ".out.json"));
  }
}

// Same-family conversions Go performed in generate.sh (portmap with a prevResult of a sibling
// version); repeated here through our converter.
TEST(ResultGolden, SameFamilyConversionsMatchGoPlugin) {
  struct Case {
    std::string_view conf_version, prev, expected;
  } cases[] = {{"0.3.1", "static-0.4.0.json", "static-0.3.1.json"},
               {"0.4.0", "static-0.3.0.json", "static-0.4.0.json"},
               {"0.2.0", "static-0.1.0.json", "static-0.2.0.json"},
               {"0.1.0", "static-0.2.0.json", "static-0.1.0.json"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.prev) + " -> " + std::string(c.conf_version));
    Json conf = {{"cniVersion", c.conf_version}, {"prevResult", Json::parse(golden(c.prev))}};
    auto prev = parsePrevResult(conf);
    ASSERT_TRUE(prev) << prev.error().toString();
    EXPECT_EQ(convertedText(**prev, c.conf_version), golden(c.expected));
  }
}

// A rich 1.1.0 result (all 1.1 fields) down the whole ladder; expectations derived from the Go
// converters (README.md).
TEST(ResultGolden, Full11DownConversions) {
  Result full = parseGolden("full-1.1.0.json");
  ASSERT_EQ(full.interfaces.size(), 3u);
  EXPECT_EQ(full.interfaces[2].socket_path, "/run/vhost/sock0");
  EXPECT_EQ(full.routes[1].table, 0);  // pointer zero survives
  EXPECT_EQ(convertedText(full, "1.0.0"), golden("full-1.0.0.json"));
  EXPECT_EQ(convertedText(full, "0.4.0"), golden("full-0.4.0.json"));
  EXPECT_EQ(convertedText(full, "0.3.1"), withVersion(golden("full-0.4.0.json"), "0.3.1"));
  EXPECT_EQ(convertedText(full, "0.3.0"), withVersion(golden("full-0.4.0.json"), "0.3.0"));
  EXPECT_EQ(convertedText(full, "0.2.0"), golden("full-0.2.0.json"));
  EXPECT_EQ(convertedText(full, "0.1.0"), withVersion(golden("full-0.2.0.json"), "0.1.0"));
  // Via 0.4.0 first gives the same 0.2.0 (interfaces already dropped, route extras ignored).
  auto r040 = convertResult(full, "0.4.0");
  ASSERT_TRUE(r040);
  EXPECT_EQ(convertedText(*r040, "0.2.0"), golden("full-0.2.0.json"));
}

// Up again from the lossy 0.2.0: ip4 routes come before ip6 routes, the second v4 address and
// all interfaces are gone for good.
TEST(ResultGolden, UpConversionAfterLoss) {
  Result r020 = parseGolden("full-0.2.0.json");
  EXPECT_EQ(convertedText(r020, "0.4.0"), golden("full-0.2.0-to-0.4.0.json"));
  EXPECT_EQ(convertedText(r020, "1.1.0"), golden("full-0.2.0-to-1.1.0.json"));
  EXPECT_EQ(convertedText(r020, "1.0.0"), withVersion(golden("full-0.2.0-to-1.1.0.json"), "1.0.0"));
  // 0.4.0 -> 1.1.0 equals the direct path.
  Result r040 = parseGolden("full-0.2.0-to-0.4.0.json");
  EXPECT_EQ(convertedText(r040, "1.1.0"), golden("full-0.2.0-to-1.1.0.json"));
}

// Several addresses per family, IPv6 listed first: 0.2.0 keeps the first of each family and files
// each route under its destination's family.
TEST(ResultGolden, LossyMultiAddressDownConversion) {
  Result m100 = parseGolden("static-multi-1.0.0.json");
  Result m031 = parseGolden("static-multi-0.3.1.json");
  EXPECT_EQ(convertedText(m100, "0.2.0"), golden("static-multi-0.2.0.json"));
  EXPECT_EQ(convertedText(m031, "0.2.0"), golden("static-multi-0.2.0.json"));
  EXPECT_EQ(convertedText(m031, "0.1.0"), withVersion(golden("static-multi-0.2.0.json"), "0.1.0"));
  // And the multi results convert between 0.3.1 and 1.0.0 as Go printed them.
  EXPECT_EQ(convertedText(m100, "0.3.1"), golden("static-multi-0.3.1.json"));
  EXPECT_EQ(convertedText(m031, "1.0.0"), golden("static-multi-1.0.0.json"));
}

// Real-world quirk: plugins 1.1.1's loopback labels a 1.x-shaped result "0.4.0" (no ips[].version).
// Go's 040 decoder keeps the empty versions; converting down then finds no IPv4/IPv6 entry.
TEST(ResultGolden, LoopbackQuirkWithoutIpVersion) {
  Result quirk = parseGolden("loopback-0.4.0.json");
  ASSERT_EQ(quirk.ips.size(), 2u);
  EXPECT_EQ(quirk.ips[0].version, "");
  EXPECT_EQ(quirk.ips[0].interface, 0);
  auto down = convertResult(quirk, "0.2.0");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().msg, "cannot convert: no valid IP addresses");
  EXPECT_EQ(down.error().code, ErrorCode::kIncompatibleCniVersion);
  // Up to 1.0.0 it is exactly what the same plugin printed for a 1.0.0 config.
  EXPECT_EQ(convertedText(quirk, "1.0.0"), golden("loopback-1.0.0.json"));
  // Same-family conversion copies the entries unchanged (still version "").
  EXPECT_NE(convertedText(quirk, "0.3.1").find("\"version\": \"\""), std::string::npos);
}

// The proper 1.x -> 0.4.0 conversion of the loopback result synthesises the versions.
TEST(ResultGolden, LoopbackTo040SynthesisesVersion) {
  Result lo = parseGolden("loopback-1.0.0.json");
  auto r = convertResult(lo, "0.4.0");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].version, "4");
  EXPECT_EQ(r->ips[1].version, "6");
  EXPECT_EQ(r->ips[1].interface, 0);
  EXPECT_EQ(r->interfaces[0].sandbox, "/run/netns/cnikit-golden");
  auto r020 = convertResult(lo, "0.2.0");
  ASSERT_TRUE(r020);
  EXPECT_EQ(encodeResult(*r020), R"({
    "cniVersion": "0.2.0",
    "ip4": {
        "ip": "127.0.0.1/8"
    },
    "ip6": {
        "ip": "::1/128"
    },
    "dns": {}
})");
}

}  // namespace
}  // namespace cni::spec
