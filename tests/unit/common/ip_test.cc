// tests/unit/common/ip_test.cc — IpAddress / IpPrefix: Go's parse rules and text output.
//
// Expected strings were checked against Go (net.ParseIP/ParseCIDR + String, via the reference
// portmap plugin re-printing a prevResult; see tests/data/results/portmap-0.4.0.*).
#include "src/common/ip.h"

#include <gtest/gtest.h>

namespace cni {
namespace {

IpAddress ip(std::string_view s) {
  auto r = IpAddress::parse(s);
  EXPECT_TRUE(r) << s << ": " << (r ? "" : r.error().msg);
  return r ? *r : IpAddress();
}

IpPrefix pfx(std::string_view s) {
  auto r = IpPrefix::parse(s);
  EXPECT_TRUE(r) << s << ": " << (r ? "" : r.error().msg);
  return r ? *r : IpPrefix();
}

TEST(IpAddress, ParsesAndPrintsIpv4) {
  IpAddress a = ip("10.1.2.3");
  EXPECT_TRUE(a.isV4());
  EXPECT_EQ(a.family(), IpFamily::kV4);
  EXPECT_EQ(a.bitLength(), 32);
  EXPECT_EQ(a.bytes().size(), 4u);
  EXPECT_EQ(a.toV4Uint(), 0x0a010203u);
  EXPECT_EQ(a.str(), "10.1.2.3");
  EXPECT_EQ(ip("0.0.0.0").str(), "0.0.0.0");
  EXPECT_EQ(ip("255.255.255.255").str(), "255.255.255.255");
  EXPECT_EQ(IpAddress::v4(0xc0a80001u).str(), "192.168.0.1");
  EXPECT_EQ(IpAddress::v4({172, 16, 0, 9}).str(), "172.16.0.9");
}

TEST(IpAddress, RejectsWhatGoRejects) {
  for (std::string_view bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "010.0.0.1", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/8",
        "fe80::1%eth0", "1::2::3", "12345::", ":1::", "1:2:3:4:5:6:7:8:9", "::g", "x", "1.2.3.4.",
        "::ffff:1.2.3.04"}) {
    auto r = IpAddress::parse(bad);
    ASSERT_FALSE(r) << "accepted: '" << bad << "'";
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
    EXPECT_EQ(r.error().msg, "invalid IP address: " + std::string(bad));
  }
  // An embedded NUL must not truncate the input into something valid.
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0x", 9)));
}

TEST(IpAddress, PrintsIpv6LikeGo) {
  struct Case {
    std::string_view in, out;
  } cases[] = {
      {"::", "::"},
      {"::1", "::1"},
      {"2001:DB8::1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},       // longest run wins
      {"2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"},         // tie: first run wins
      {"fd00::1:0:0:0", "fd00::1:0:0:0"},                // tie (3 and 3): first
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // a single zero group stays
      {"1:0:0:0:0:0:0:0", "1::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"fe80::0:1", "fe80::1"},
      {"::1.2.3.4", "::102:304"},  // IPv4-compatible: hex, unlike inet_ntop
      {"::ffff:0:1.2.3.4", "::ffff:0:102:304"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
  };
  for (const auto& c : cases) {
    IpAddress a = ip(c.in);
    EXPECT_TRUE(a.isV6()) << c.in;
    EXPECT_EQ(a.str(), c.out) << c.in;
    // The printed form parses back to the same value.
    EXPECT_EQ(ip(a.str()), a) << c.in;
  }
}

TEST(IpAddress, V4MappedKeepsFamilyButPrintsDotted) {
  IpAddress m = ip("::ffff:1.2.3.4");
  EXPECT_TRUE(m.isV6());
  EXPECT_TRUE(m.isV4Mapped());
  EXPECT_TRUE(m.isV4Like());
  EXPECT_EQ(m.bitLength(), 128);
  EXPECT_EQ(m.str(), "1.2.3.4");  // Go net.IP.String
  EXPECT_EQ(m.unmapped(), ip("1.2.3.4"));
  EXPECT_NE(m, ip("1.2.3.4"));  // distinct values, same text
  EXPECT_EQ(ip("::FFFF:0102:0304"), m);
  // Not mapped: only exactly ::ffff:0:0/96 counts.
  EXPECT_FALSE(ip("::1.2.3.4").isV4Mapped());
  EXPECT_FALSE(ip("1.2.3.4").isV4Mapped());
  EXPECT_EQ(ip("1.2.3.4").unmapped(), ip("1.2.3.4"));
  EXPECT_EQ(ip("2001:db8::1").unmapped(), ip("2001:db8::1"));
}

TEST(IpAddress, FromBytesAndClassification) {
  const uint8_t v4[] = {10, 0, 0, 1};
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(IpAddress::fromBytes(v4)->str(), "10.0.0.1");
  EXPECT_EQ(IpAddress::fromBytes(v6)->str(), "2001:db8::1");
  const uint8_t five[5] = {};
  EXPECT_FALSE(IpAddress::fromBytes(five));
  EXPECT_TRUE(ip("0.0.0.0").isUnspecified());
  EXPECT_TRUE(ip("::").isUnspecified());
  EXPECT_FALSE(ip("::1").isUnspecified());
  EXPECT_TRUE(ip("127.9.9.9").isLoopback());
  EXPECT_TRUE(ip("::1").isLoopback());
  EXPECT_TRUE(ip("::ffff:127.0.0.1").isLoopback());
  EXPECT_FALSE(ip("128.0.0.1").isLoopback());
  EXPECT_FALSE(ip("::2").isLoopback());
  EXPECT_EQ(ip("2001:db8::1").toV4Uint(), 0u);
}

TEST(IpAddress, NextPrevCarryAndWrap) {
  EXPECT_EQ(ip("10.0.0.255").next()->str(), "10.0.1.0");
  EXPECT_EQ(ip("10.0.1.0").prev()->str(), "10.0.0.255");
  EXPECT_FALSE(ip("255.255.255.255").next());
  EXPECT_FALSE(ip("0.0.0.0").prev());
  EXPECT_EQ(ip("2001:db8::ffff").next()->str(), "2001:db8::1:0");
  EXPECT_FALSE(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").next());
  EXPECT_FALSE(ip("::").prev());
  // IPv4 arithmetic stays in 32 bits.
  EXPECT_TRUE(ip("255.255.255.254").next()->isV4());
}

TEST(IpAddress, OrderingIsFamilyThenBytes) {
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("9.255.255.255"), ip("10.0.0.0"));
  EXPECT_LT(ip("255.255.255.255"), ip("::"));
}

TEST(IpPrefix, KeepsHostBitsAndComputesNetwork) {
  IpPrefix p = pfx("10.1.0.5/16");
  EXPECT_EQ(p.address().str(), "10.1.0.5");
  EXPECT_EQ(p.length(), 16);
  EXPECT_EQ(p.str(), "10.1.0.5/16");
  EXPECT_FALSE(p.isNetwork());
  EXPECT_EQ(p.network().str(), "10.1.0.0/16");
  EXPECT_TRUE(p.network().isNetwork());
  EXPECT_EQ(p.mask().str(), "255.255.0.0");
  EXPECT_EQ(p.lastAddress().str(), "10.1.255.255");
  EXPECT_EQ(pfx("10.1.2.3/20").network().str(), "10.1.0.0/20");
  EXPECT_EQ(pfx("10.1.2.3/20").mask().str(), "255.255.240.0");
  EXPECT_EQ(pfx("2001:db8::5/64").network().str(), "2001:db8::/64");
  EXPECT_EQ(pfx("2001:db8::5/64").lastAddress().str(), "2001:db8::ffff:ffff:ffff:ffff");
  EXPECT_EQ(pfx("2001:DB8::5/64").str(), "2001:db8::5/64");
}

TEST(IpPrefix, EdgeLengths) {
  IpPrefix all4 = pfx("1.2.3.4/0");
  EXPECT_EQ(all4.network().str(), "0.0.0.0/0");
  EXPECT_EQ(all4.mask().str(), "0.0.0.0");
  EXPECT_EQ(all4.lastAddress().str(), "255.255.255.255");
  EXPECT_TRUE(all4.contains(ip("200.1.1.1")));
  EXPECT_FALSE(all4.contains(ip("2001:db8::1")));

  IpPrefix host4 = pfx("1.2.3.4/32");
  EXPECT_TRUE(host4.isNetwork());
  EXPECT_TRUE(host4.contains(ip("1.2.3.4")));
  EXPECT_FALSE(host4.contains(ip("1.2.3.5")));
  EXPECT_EQ(host4.lastAddress().str(), "1.2.3.4");

  IpPrefix host6 = pfx("2001:db8::1/128");
  EXPECT_TRUE(host6.contains(ip("2001:db8::1")));
  EXPECT_FALSE(host6.contains(ip("2001:db8::2")));
  EXPECT_EQ(host6.mask().str(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

  IpPrefix all6 = pfx("::/0");
  EXPECT_TRUE(all6.contains(ip("2001:db8::1")));
  EXPECT_FALSE(all6.contains(ip("1.2.3.4")));  // Go: length mismatch, no match

  // Leading zeros are allowed in the length (Go's dtoi).
  EXPECT_EQ(pfx("10.0.0.0/08").length(), 8);
  EXPECT_EQ(pfx("10.0.0.0/008").str(), "10.0.0.0/8");
}

TEST(IpPrefix, RejectsWhatGoRejects) {
  for (std::string_view bad : {"", "10.0.0.1", "10.0.0.1/", "10.0.0.1/33", "::1/129", "10.0.0.1/-1",
                               "10.0.0.1/+8", "10.0.0.1/8 ", "10.0.0.1/8/8", "010.0.0.0/8",
                               "fe80::1%eth0/64", "/8", "10.0.0.1/0x8", "10.0.0.1/1000000"}) {
    auto r = IpPrefix::parse(bad);
    ASSERT_FALSE(r) << "accepted: '" << bad << "'";
    EXPECT_EQ(r.error().code, ErrorCode::kDecodingFailure);
    EXPECT_EQ(r.error().msg, "invalid CIDR address: " + std::string(bad));
  }
  EXPECT_FALSE(IpPrefix::make(ip("10.0.0.1"), 33));
  EXPECT_FALSE(IpPrefix::make(ip("10.0.0.1"), -1));
  EXPECT_EQ(IpPrefix::make(ip("2001:db8::1"), 128)->str(), "2001:db8::1/128");
}

TEST(IpPrefix, V4MappedFoldsLikeGo) {
  // Verified against Go: "::ffff:1.2.3.4/120" re-prints as "1.2.3.4/24".
  IpPrefix m = pfx("::ffff:1.2.3.4/120");
  EXPECT_TRUE(m.isV6());
  EXPECT_EQ(m.length(), 120);
  EXPECT_EQ(m.str(), "1.2.3.4/24");
  EXPECT_EQ(pfx("::ffff:0.0.0.0/64").str(), "0.0.0.0/0");  // length below 96 clamps to 0
  EXPECT_EQ(pfx("::ffff:10.0.0.1/128").str(), "10.0.0.1/32");
  // Contains: v4-mapped prefixes compare as IPv4 with length - 96, both ways.
  EXPECT_TRUE(m.contains(ip("1.2.3.200")));
  EXPECT_TRUE(m.contains(ip("::ffff:1.2.3.9")));
  EXPECT_FALSE(m.contains(ip("1.2.4.1")));
  EXPECT_TRUE(pfx("1.2.3.0/24").contains(ip("::ffff:1.2.3.7")));
  EXPECT_TRUE(pfx("::ffff:0.0.0.0/64").contains(ip("9.9.9.9")));
  // A non-mapped IPv6 prefix never contains IPv4.
  EXPECT_FALSE(pfx("::/96").contains(ip("1.2.3.4")));
}

TEST(IpPrefix, Overlaps) {
  EXPECT_TRUE(pfx("10.0.0.0/8").overlaps(pfx("10.1.0.0/16")));
  EXPECT_TRUE(pfx("10.1.0.0/16").overlaps(pfx("10.0.0.0/8")));
  EXPECT_FALSE(pfx("10.0.0.0/16").overlaps(pfx("10.1.0.0/16")));
  EXPECT_TRUE(pfx("10.0.0.7/32").overlaps(pfx("10.0.0.0/29")));
  EXPECT_FALSE(pfx("10.0.0.8/32").overlaps(pfx("10.0.0.0/29")));
  EXPECT_TRUE(pfx("2001:db8::/32").overlaps(pfx("2001:db8:1::/48")));
  EXPECT_FALSE(pfx("2001:db8::/48").overlaps(pfx("2001:db8:1::/48")));
  EXPECT_FALSE(pfx("0.0.0.0/0").overlaps(pfx("::/0")));
  EXPECT_TRUE(pfx("::ffff:10.0.0.0/104").overlaps(pfx("10.9.0.0/16")));
}

TEST(IpPrefix, PrefixMaskHelper) {
  EXPECT_EQ(prefixMask(IpFamily::kV4, 0).str(), "0.0.0.0");
  EXPECT_EQ(prefixMask(IpFamily::kV4, 1).str(), "128.0.0.0");
  EXPECT_EQ(prefixMask(IpFamily::kV4, 31).str(), "255.255.255.254");
  EXPECT_EQ(prefixMask(IpFamily::kV6, 65).str(), "ffff:ffff:ffff:ffff:8000::");
}

}  // namespace
}  // namespace cni
