// tests/netns/pluginkit_iface_test.cc — configureIface / validateInterfaceIps / validateRoutes
// (src/pluginkit/iface.h) against the real kernel: a veth pair in a throwaway namespace is
// configured from a result, the kernel state is read back (addresses with their flags, routes
// with gateway/table/metric/mtu/advmss/scope, sysctls), and the CHECK validators are run before
// and after removing things, asserting the reference's error texts.
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <chrono>

#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/route.h"
#include "src/pluginkit/iface.h"
#include "src/sysctl/sysctl.h"
#include "tests/testutil/netns_fixture.h"

namespace cni::pluginkit {
namespace {

using netlink::Socket;

IpPrefix pfx(const char* s) { return IpPrefix::parse(s).value(); }
IpAddress ip(const char* s) { return IpAddress::parse(s).value(); }

spec::IpConfig ipc(std::optional<int> iface, std::string addr, std::string gw = "") {
  spec::IpConfig c;
  c.interface = iface;
  c.address = std::move(addr);
  c.gateway = std::move(gw);
  return c;
}

spec::Route route(std::string dst, std::string gw = "") {
  spec::Route r;
  r.dst = std::move(dst);
  r.gw = std::move(gw);
  return r;
}

// Namespace with veth ct0 <-> ct0p; ct0p up (so ct0 gets carrier and DAD can run), ct0 down.
class Iface : public testutil::NetNsTest {
 protected:
  void SetUp() override {
    NetNsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto s = netns().run([] { return Socket::open(); });
    ASSERT_TRUE(s);
    sock_.emplace(std::move(*s));
    ASSERT_TRUE(netlink::createVeth(*sock_, {.host_name = "ct0", .peer_name = "ct0p"}));
    ct0_ = netlink::getLinkByName(*sock_, "ct0")->index;
    peer_ = netlink::getLinkByName(*sock_, "ct0p")->index;
    ASSERT_TRUE(netlink::setLinkUp(*sock_, peer_));
  }

  // configureIface runs inside the namespace (its sysctls are per-namespace files).
  Status configure(const spec::Result& r, ConfigureOptions opts = {}) {
    return netns().run([&] { return configureIface(*sock_, "ct0", r, opts); });
  }
  std::string sysctlIn(const std::string& key) {
    auto v = netns().run([&] { return sysctl::get(key); });
    return v ? *v : "<" + v.error().msg + ">";
  }

  std::vector<netlink::Address> addrs(std::optional<IpFamily> f = std::nullopt) {
    return netlink::listAddresses(*sock_, ct0_, f).value();
  }
  std::optional<netlink::Address> addr(const char* cidr) {
    for (const netlink::Address& a : addrs()) {
      if (a.cidr() == cidr) return a;
    }
    return std::nullopt;
  }
  std::vector<netlink::Route> routes(IpFamily f, uint32_t table = RT_TABLE_MAIN) {
    return netlink::listRoutes(*sock_, {.family = f, .table = table, .dev = ct0_}).value();
  }
  static const netlink::Route* find(const std::vector<netlink::Route>& rs, const char* dst) {
    auto it = std::find_if(rs.begin(), rs.end(),
                           [&](const netlink::Route& r) { return r.dst.str() == dst; });
    return it == rs.end() ? nullptr : &*it;
  }

  // interfaces [host "veth1", container "ct0"]: ips must point at index 1.
  static spec::Result baseResult() {
    spec::Result r;
    r.interfaces = {{.name = "veth1"}, {.name = "ct0"}};
    return r;
  }

  std::optional<Socket> sock_;
  int ct0_ = 0, peer_ = 0;
};

TEST_F(Iface, ConfiguresAddressesLinkAndRoutes) {
  spec::Result r = baseResult();
  r.ips = {ipc(1, "10.10.0.5/24", "10.10.0.1"), ipc(1, "fd10::5/64", "fd10::1"),
           ipc(std::nullopt, "10.99.0.5/24")};  // no interface: not for us (as Go)
  spec::Route tuned = route("10.30.0.0/16");
  tuned.priority = 50;
  tuned.mtu = 1400;
  tuned.advmss = 1360;
  spec::Route tabled = route("10.40.0.0/16");
  tabled.table = 100;
  r.routes = {
      route("0.0.0.0/0"), route("10.20.0.0/16", "10.10.0.254"), tuned, tabled, route("::/0"),
      route("fd20::/48")};
  // Start from IPv6 disabled on the interface: configureIface must turn it on.
  ASSERT_TRUE(netns().run([] { return sysctl::set("net/ipv6/conf/ct0/disable_ipv6", "1"); }));

  Status s = configure(r);
  ASSERT_TRUE(s) << s.error().toString();

  EXPECT_EQ(sysctlIn("net/ipv6/conf/ct0/disable_ipv6"), "0");
  EXPECT_EQ(sysctlIn("net/ipv6/conf/ct0/keep_addr_on_down"), "1");
  EXPECT_TRUE(netlink::getLinkByName(*sock_, "ct0")->isUp());

  auto a4 = addr("10.10.0.5/24");
  ASSERT_TRUE(a4);
  EXPECT_FALSE(addr("10.99.0.5/24"));
  auto a6 = addr("fd10::5/64");
  ASSERT_TRUE(a6);
  EXPECT_TRUE(a6->flags & IFA_F_NODAD);
  EXPECT_FALSE(a6->flags & IFA_F_TENTATIVE) << "NODAD: usable right away";

  auto v4 = routes(IpFamily::kV4);
  const netlink::Route* def = find(v4, "0.0.0.0/0");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->gateway, ip("10.10.0.1"));  // defaulted from ips[0].gateway
  const netlink::Route* explicit_gw = find(v4, "10.20.0.0/16");
  ASSERT_NE(explicit_gw, nullptr);
  EXPECT_EQ(explicit_gw->gateway, ip("10.10.0.254"));
  const netlink::Route* t = find(v4, "10.30.0.0/16");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->priority, 50u);
  EXPECT_EQ(t->mtu, 1400u);
  EXPECT_EQ(t->advmss, 1360u);
  EXPECT_EQ(t->gateway, ip("10.10.0.1"));
  EXPECT_EQ(find(v4, "10.40.0.0/16"), nullptr) << "belongs in table 100";
  auto t100 = routes(IpFamily::kV4, 100);
  const netlink::Route* in100 = find(t100, "10.40.0.0/16");
  ASSERT_NE(in100, nullptr);
  EXPECT_EQ(in100->gateway, ip("10.10.0.1"));

  auto v6 = routes(IpFamily::kV6);
  const netlink::Route* def6 = find(v6, "::/0");
  ASSERT_NE(def6, nullptr);
  EXPECT_EQ(def6->gateway, ip("fd10::1"));
  const netlink::Route* r6 = find(v6, "fd20::/48");
  ASSERT_NE(r6, nullptr);
  EXPECT_EQ(r6->gateway, ip("fd10::1"));

  // CHECK passes on what was configured (the table-100 route is looked up in table 100).
  std::vector<spec::IpConfig> mine(r.ips.begin(), r.ips.begin() + 2);
  Status vi = validateInterfaceIps(*sock_, "ct0", mine);
  EXPECT_TRUE(vi) << vi.error().toString();
  Status vr = validateRoutes(*sock_, r.routes);
  EXPECT_TRUE(vr) << vr.error().toString();
}

TEST_F(Iface, ValidatorsReportWhatIsMissingWithGoTexts) {
  spec::Result r = baseResult();
  r.ips = {ipc(1, "10.10.0.5/24", "10.10.0.1"), ipc(1, "fd10::5/64", "fd10::1")};
  spec::Route tabled = route("10.40.0.0/16");
  tabled.table = 100;
  r.routes = {route("10.20.0.0/16", "10.10.0.254"), route("0.0.0.0/0"), tabled};
  ASSERT_TRUE(configure(r));
  ASSERT_TRUE(validateInterfaceIps(*sock_, "ct0", r.ips));
  ASSERT_TRUE(validateRoutes(*sock_, r.routes));

  // A route with another gateway than the kernel's is not a match.
  Status other_gw = validateRoutes(*sock_, {route("10.20.0.0/16", "10.10.0.253")});
  ASSERT_FALSE(other_gw);
  EXPECT_EQ(other_gw.error().msg,
            "Expected Route {Dst:{IP:10.20.0.0 Mask:ffff0000} GW:10.10.0.253 MTU:0 AdvMSS:0 "
            "Priority:0 Table:<nil> Scope:<nil>} not found in routing table");

  netlink::Route k;
  k.dst = pfx("10.40.0.0/16");
  k.table = 100;
  ASSERT_TRUE(netlink::delRoute(*sock_, k));
  Status gone = validateRoutes(*sock_, r.routes);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().msg,
            "Expected Route {Dst:{IP:10.40.0.0 Mask:ffff0000} GW:<nil> MTU:0 AdvMSS:0 "
            "Priority:0 Table:100 Scope:<nil>} not found in routing table");

  ASSERT_TRUE(netlink::delAddress(*sock_, ct0_, pfx("fd10::5/64")));
  Status no_addr = validateInterfaceIps(*sock_, "ct0", r.ips);
  ASSERT_FALSE(no_addr);
  EXPECT_EQ(no_addr.error().msg, "Failed to match addr fd10::5/64 on interface ct0");

  // Same address, other prefix length: not a match either.
  Status other_len = validateInterfaceIps(*sock_, "ct0", {ipc(1, "10.10.0.5/16")});
  ASSERT_FALSE(other_len);
  EXPECT_EQ(other_len.error().msg, "Failed to match addr 10.10.0.5/16 on interface ct0");

  // The address is there but its prefix route is not (Go's "gateway" lookup).
  netlink::Route prefix_route;
  prefix_route.dst = pfx("10.10.0.0/24");
  prefix_route.dev = ct0_;
  prefix_route.scope = RT_SCOPE_LINK;
  ASSERT_TRUE(netlink::delRoute(*sock_, prefix_route));
  Status no_prefix = validateInterfaceIps(*sock_, "ct0", {r.ips[0]});
  ASSERT_FALSE(no_prefix);
  EXPECT_EQ(no_prefix.error().msg, "Failed to find Gateway 10.10.0.1 for interface ct0");

  Status no_link = validateInterfaceIps(*sock_, "nope0", r.ips);
  ASSERT_FALSE(no_link);
  EXPECT_EQ(no_link.error().msg, "Cannot find container link nope0");

  // Any default route satisfies a default-route entry, whatever its gateway (as Go).
  EXPECT_TRUE(validateRoutes(*sock_, {route("0.0.0.0/0", "10.10.0.77")}));
}

TEST_F(Iface, WrongInterfaceIndexIsRejectedBeforeAnyChange) {
  spec::Result r = baseResult();
  r.ips = {ipc(1, "10.10.0.6/24"), ipc(0, "10.10.0.5/24", "10.10.0.1")};
  Status s = configure(r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg,
            "failed to add IP addr {Interface:0 Address:{IP:10.10.0.5 Mask:ffffff00} "
            "Gateway:10.10.0.1} to \"ct0\": invalid interface index");
  EXPECT_FALSE(addr("10.10.0.6/24")) << "validated before adding anything";

  r.ips = {ipc(7, "fd10::5/64")};
  s = configure(r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg,
            "failed to add IP addr {Interface:7 Address:{IP:fd10::5 "
            "Mask:ffffffffffffffff0000000000000000} Gateway:<nil>} to \"ct0\": invalid "
            "interface index");

  r.interfaces.clear();
  s = configure(r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg, "no interfaces to configure");

  r = baseResult();
  s = netns().run([&] { return configureIface(*sock_, "nope0", r); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg, "failed to lookup \"nope0\": Link not found");
}

TEST_F(Iface, SecondRouteToSameDestinationFollowsRouteAddEcmp) {
  spec::Result r = baseResult();
  r.ips = {ipc(1, "10.10.0.5/24", "10.10.0.1"), ipc(1, "fd10::5/64", "fd10::1")};
  r.routes = {route("10.60.0.0/16", "10.10.0.2"), route("10.60.0.0/16", "10.10.0.3"),
              route("fd60::/48", "fd10::2"), route("fd60::/48", "fd10::3")};
  Status s = configure(r);
  ASSERT_TRUE(s) << s.error().toString();

  // IPv6: one route, both gateways as next hops.
  auto v6 = routes(IpFamily::kV6);
  ASSERT_EQ(std::count_if(v6.begin(), v6.end(),
                          [](const netlink::Route& x) { return x.dst.str() == "fd60::/48"; }),
            1);
  const netlink::Route* m6 = find(v6, "fd60::/48");
  ASSERT_EQ(m6->multipath.size(), 2u);
  EXPECT_EQ(m6->multipath[0].gateway, ip("fd10::2"));
  EXPECT_EQ(m6->multipath[1].gateway, ip("fd10::3"));

  // IPv4: two routes, the later one first.
  std::vector<IpAddress> v4gws;
  for (const netlink::Route& x : routes(IpFamily::kV4)) {
    if (x.dst.str() == "10.60.0.0/16" && x.gateway) v4gws.push_back(*x.gateway);
  }
  EXPECT_EQ(v4gws, (std::vector<IpAddress>{ip("10.10.0.3"), ip("10.10.0.2")}));
  EXPECT_TRUE(validateRoutes(*sock_, r.routes));

  // The very same route again is refused.
  spec::Result again = baseResult();
  again.routes = {route("10.60.0.0/16", "10.10.0.2")};
  s = configure(again);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg,
            "failed to add route '{10.60.0.0 ffff0000} via 10.10.0.2 dev ct0': "
            "file exists");
}

TEST_F(Iface, RouteWithoutAnyGatewayIsADeviceRouteWithItsScope) {
  spec::Result r = baseResult();
  r.ips = {ipc(1, "10.10.0.5/24")};
  spec::Route link_scope = route("10.8.0.0/16");
  link_scope.scope = RT_SCOPE_LINK;
  r.routes = {link_scope};
  ASSERT_TRUE(configure(r));
  auto v4 = routes(IpFamily::kV4);
  const netlink::Route* x = find(v4, "10.8.0.0/16");
  ASSERT_NE(x, nullptr);
  EXPECT_FALSE(x->gateway);
  EXPECT_EQ(x->scope, RT_SCOPE_LINK);
  EXPECT_EQ(x->dev, ct0_);
}

TEST_F(Iface, DadWaitsUntilAddressesSettle) {
  spec::Result r = baseResult();
  r.ips = {ipc(1, "fd10::5/64", "fd10::1")};
  ASSERT_TRUE(netns().run([] { return sysctl::set("net/ipv6/conf/ct0/accept_dad", "1"); }));
  const auto start = std::chrono::steady_clock::now();
  Status s = configure(r, {.dad = true});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(s) << s.error().toString();
  auto a6 = addr("fd10::5/64");
  ASSERT_TRUE(a6);
  EXPECT_FALSE(a6->flags & IFA_F_NODAD);
  for (const netlink::Address& a : addrs(IpFamily::kV6)) {
    EXPECT_FALSE(a.flags & IFA_F_TENTATIVE) << a.cidr();
  }
  // DAD really ran (one probe takes RetransTimer = 1 s) and we waited for it.
  EXPECT_GT(took, std::chrono::milliseconds(500));
  EXPECT_LT(took, std::chrono::seconds(6));
}

TEST_F(Iface, DadFailureIsAnError) {
  // The peer already owns the address: DAD on ct0 hears its answer.
  netlink::AddressOptions nodad{.flags = IFA_F_NODAD};
  ASSERT_TRUE(netlink::addAddress(*sock_, peer_, pfx("fd10::5/64"), nodad));
  ASSERT_TRUE(netns().run([] { return sysctl::set("net/ipv6/conf/ct0/accept_dad", "1"); }));
  spec::Result r = baseResult();
  r.ips = {ipc(1, "fd10::5/64", "fd10::1")};
  Status s = configure(r, {.dad = true});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().msg, "link ct0 has address fd10::5 in DADFAILED state");
}

TEST_F(Iface, LeftDownWhenNotUp) {
  spec::Result r = baseResult();
  Status s = configure(r, {.up = false});
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_FALSE(netlink::getLinkByName(*sock_, "ct0")->isUp());
  s = configure(r);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_TRUE(netlink::getLinkByName(*sock_, "ct0")->isUp());
}

}  // namespace
}  // namespace cni::pluginkit
