// tests/netns/netlink_route_test.cc — addresses (nodad, noprefixroute, replace), routes with
// every attribute, rules, neighbours and FDB entries against the real kernel. Routes and rules
// are read back by our own list functions AND cross-checked with `ip -d route show` /
// `ip rule show` (iproute2 as an independent decoder of what the kernel stored).
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <algorithm>

#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/neigh.h"
#include "src/netlink/route.h"
#include "src/netlink/rule.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/run.h"

namespace cni::netlink {
namespace {

using testutil::NetNsTest;

IpAddress ip(const char* s) { return IpAddress::parse(s).value(); }
IpPrefix pfx(const char* s) { return IpPrefix::parse(s).value(); }

// A namespace with veth r0 <-> r0p, both up, and 10.1.0.2/24 + fd00::2/64 (nodad) on r0.
class NetlinkRoutes : public NetNsTest {
 protected:
  void SetUp() override {
    NetNsTest::SetUp();
    if (IsSkipped()) return;
    auto s = netns().run([] { return Socket::open(); });
    ASSERT_TRUE(s);
    sock_.emplace(std::move(*s));
    ASSERT_TRUE(
        createVeth(*sock_, VethOptions{.host_name = "r0", .peer_name = "r0p", .host_up = true}));
    r0_ = getLinkByName(*sock_, "r0")->index;
    ASSERT_TRUE(setLinkUp(*sock_, getLinkByName(*sock_, "r0p")->index));
    ASSERT_TRUE(addAddress(*sock_, r0_, pfx("10.1.0.2/24")));
    AddressOptions nodad{.flags = IFA_F_NODAD};
    Status a6 = addAddress(*sock_, r0_, pfx("fd00::2/64"), nodad);
    ASSERT_TRUE(a6) << a6.error().toString();
  }
  std::string ip_cmd(const std::string& args) {
    auto r = testutil::run("ip -n " + netns().name() + " " + args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }
  std::optional<Socket> sock_;
  int r0_ = 0;
};

const Route* findRoute(const std::vector<Route>& rs, const char* dst) {
  auto it = std::find_if(rs.begin(), rs.end(), [&](const Route& r) { return r.dst.str() == dst; });
  return it == rs.end() ? nullptr : &*it;
}

TEST_F(NetlinkRoutes, AddressFlagsNodadNoprefixrouteAndReplace) {
  auto v6 = listAddresses(*sock_, r0_, IpFamily::kV6).value();
  auto it =
      std::find_if(v6.begin(), v6.end(), [](const Address& a) { return a.cidr() == "fd00::2/64"; });
  ASSERT_NE(it, v6.end());
  EXPECT_TRUE(it->flags & IFA_F_NODAD);
  EXPECT_FALSE(it->flags & IFA_F_TENTATIVE) << "nodad: usable at once, no DAD wait";

  AddressOptions npr{.flags = IFA_F_NOPREFIXROUTE};
  ASSERT_TRUE(addAddress(*sock_, r0_, pfx("10.2.0.2/24"), npr));
  auto main4 = listRoutes(*sock_, {.family = IpFamily::kV4, .table = RT_TABLE_MAIN}).value();
  EXPECT_EQ(findRoute(main4, "10.2.0.0/24"), nullptr) << "noprefixroute: no subnet route";
  EXPECT_NE(findRoute(main4, "10.1.0.0/24"), nullptr) << "a plain address gets one";
  auto v4 = listAddresses(*sock_, r0_, IpFamily::kV4).value();
  auto a = std::find_if(v4.begin(), v4.end(),
                        [](const Address& x) { return x.cidr() == "10.2.0.2/24"; });
  ASSERT_NE(a, v4.end());
  EXPECT_TRUE(a->flags & IFA_F_NOPREFIXROUTE) << "all 32 flag bits read back via IFA_FLAGS";

  // add is exclusive, replace is not; removal reports absence as a typed kNotFound.
  Status dup = addAddress(*sock_, r0_, pfx("10.2.0.2/24"), npr);
  ASSERT_FALSE(dup);
  EXPECT_TRUE(isKernelErrno(dup.error(), EEXIST));
  // replace creates when absent and updates (no EEXIST, no duplicate) when present.
  ASSERT_TRUE(replaceAddress(*sock_, r0_, pfx("10.3.0.2/24"), AddressOptions{}));
  ASSERT_TRUE(replaceAddress(*sock_, r0_, pfx("10.3.0.2/24"), AddressOptions{}));
  v4 = listAddresses(*sock_, r0_, IpFamily::kV4).value();
  EXPECT_EQ(std::count_if(v4.begin(), v4.end(),
                          [](const Address& x) { return x.cidr() == "10.3.0.2/24"; }),
            1);
  AddressOptions link_scope{.scope = RT_SCOPE_LINK};
  ASSERT_TRUE(addAddress(*sock_, r0_, pfx("10.4.0.2/24"), link_scope));
  v4 = listAddresses(*sock_, r0_, IpFamily::kV4).value();
  a = std::find_if(v4.begin(), v4.end(),
                   [](const Address& x) { return x.cidr() == "10.4.0.2/24"; });
  ASSERT_NE(a, v4.end());
  EXPECT_EQ(a->scope, RT_SCOPE_LINK);
  EXPECT_EQ(removeAddress(*sock_, r0_, pfx("10.2.0.2/24")).value(), DeleteResult::kDeleted);
  EXPECT_EQ(removeAddress(*sock_, r0_, pfx("10.2.0.2/24")).value(), DeleteResult::kNotFound);
}

TEST_F(NetlinkRoutes, Ipv4RoutesWithEveryAttributeReadBackAndMatchIproute2) {
  Route full{.dst = pfx("10.50.0.0/16"),
             .gateway = ip("10.1.0.1"),
             .dev = r0_,
             .src = ip("10.1.0.2"),
             .table = 100,
             .priority = 300,
             .mtu = 1400,
             .advmss = 1360};
  Status s = addRoute(*sock_, full);
  ASSERT_TRUE(s) << s.error().toString();
  Route onlink{.dst = pfx("10.60.0.0/16"),
               .gateway = ip("192.168.99.1"),
               .dev = r0_,
               .table = 100,
               .onlink = true};
  s = addRoute(*sock_, onlink);
  ASSERT_TRUE(s) << s.error().toString();
  Route ecmp{.dst = pfx("10.70.0.0/16"),
             .table = 100,
             .multipath = {NextHop{.gateway = ip("10.1.0.1"), .dev = r0_, .weight = 1},
                           NextHop{.gateway = ip("10.1.0.3"), .dev = r0_, .weight = 5}}};
  s = addRoute(*sock_, ecmp);
  ASSERT_TRUE(s) << s.error().toString();
  Route link{.dst = pfx("10.80.0.0/16"), .dev = r0_, .table = 100, .scope = RT_SCOPE_LINK};
  ASSERT_TRUE(addRoute(*sock_, link));

  auto t100 = listRoutes(*sock_, {.family = IpFamily::kV4, .table = 100}).value();
  ASSERT_EQ(t100.size(), 4u);
  const Route* f = findRoute(t100, "10.50.0.0/16");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->gateway, full.gateway);
  EXPECT_EQ(f->dev, r0_);
  EXPECT_EQ(f->src, full.src);
  EXPECT_EQ(f->table, 100u);
  EXPECT_EQ(f->priority, 300u);
  EXPECT_EQ(f->mtu, 1400u);
  EXPECT_EQ(f->advmss, 1360u);
  EXPECT_EQ(f->scope, RT_SCOPE_UNIVERSE);
  EXPECT_EQ(f->protocol, RTPROT_BOOT);
  EXPECT_FALSE(f->onlink);
  const Route* o = findRoute(t100, "10.60.0.0/16");
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(o->onlink);
  const Route* e = findRoute(t100, "10.70.0.0/16");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->multipath, ecmp.multipath);
  const Route* l = findRoute(t100, "10.80.0.0/16");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->scope, RT_SCOPE_LINK);
  EXPECT_FALSE(l->gateway);
  EXPECT_TRUE(listRoutes(*sock_, {.family = IpFamily::kV4, .table = 101}).value().empty());
  EXPECT_EQ(findRoute(listRoutes(*sock_, {.dev = r0_}).value(), "10.70.0.0/16")->table, 100u)
      << "dev filter also matches next hops";

  const std::string shown = ip_cmd("-d route show table 100");
  EXPECT_NE(shown.find("unicast 10.50.0.0/16 via 10.1.0.1 dev r0 proto boot scope global "
                       "src 10.1.0.2 metric 300 mtu 1400 advmss 1360"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("unicast 10.60.0.0/16 via 192.168.99.1 dev r0 proto boot scope global "
                       "onlink"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("unicast 10.70.0.0/16 proto boot scope global \n"
                       "\tnexthop via 10.1.0.1 dev r0 weight 1 \n"
                       "\tnexthop via 10.1.0.3 dev r0 weight 5"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("unicast 10.80.0.0/16 dev r0 proto boot scope link"), std::string::npos)
      << shown;

  // replace changes the gateway in place; delete is idempotent with a typed kNotFound.
  Route moved = full;
  moved.gateway = ip("10.1.0.9");
  ASSERT_TRUE(replaceRoute(*sock_, moved));
  EXPECT_FALSE(addRoute(*sock_, moved)) << "add is exclusive";
  t100 = listRoutes(*sock_, {.family = IpFamily::kV4, .table = 100}).value();
  EXPECT_EQ(t100.size(), 4u);
  EXPECT_EQ(findRoute(t100, "10.50.0.0/16")->gateway, ip("10.1.0.9"));
  EXPECT_EQ(delRoute(*sock_, moved).value(), DeleteResult::kDeleted);
  EXPECT_EQ(delRoute(*sock_, moved).value(), DeleteResult::kNotFound);
  EXPECT_EQ(delRoute(*sock_, link).value(), DeleteResult::kDeleted);
  EXPECT_EQ(ip_cmd("route show 10.50.0.0/16 table 100"), "");
}

TEST_F(NetlinkRoutes, Ipv6RoutesDefaultAndMultipath) {
  Route r{.dst = pfx("fd00:50::/64"),
          .gateway = ip("fd00::1"),
          .dev = r0_,
          .table = 100,
          .priority = 5};
  Status s = addRoute(*sock_, r);
  ASSERT_TRUE(s) << s.error().toString();
  Route def{.dst = pfx("::/0"),
            .table = 100,
            .multipath = {NextHop{.gateway = ip("fd00::1"), .dev = r0_},
                          NextHop{.gateway = ip("fd00::3"), .dev = r0_}}};
  s = addRoute(*sock_, def);
  ASSERT_TRUE(s) << s.error().toString();
  auto t = listRoutes(*sock_, {.family = IpFamily::kV6, .table = 100}).value();
  const Route* got = findRoute(t, "fd00:50::/64");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->gateway, ip("fd00::1"));
  EXPECT_EQ(got->priority, 5u);
  const Route* d = findRoute(t, "::/0");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->isDefault());
  ASSERT_EQ(d->multipath.size(), 2u);
  EXPECT_EQ(d->multipath[1].gateway, ip("fd00::3"));
  EXPECT_EQ(d->priority, 1024u) << "IPv6 default metric";
  const std::string shown = ip_cmd("-6 -d route show table 100");
  EXPECT_NE(shown.find("unicast fd00:50::/64 via fd00::1 dev r0 proto boot scope global metric 5"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("nexthop via fd00::3 dev r0 weight 1"), std::string::npos) << shown;
  EXPECT_EQ(delRoute(*sock_, r).value(), DeleteResult::kDeleted);
  EXPECT_EQ(delRoute(*sock_, r).value(), DeleteResult::kNotFound);
}

TEST_F(NetlinkRoutes, RulesAddListDelete) {
  Rule r4{.family = IpFamily::kV4,
          .src = pfx("10.1.0.0/24"),
          .dst = pfx("10.9.0.0/16"),
          .table = 100,
          .priority = 1000};
  Status s = addRule(*sock_, r4);
  ASSERT_TRUE(s) << s.error().toString();
  Rule r6{.family = IpFamily::kV6, .src = pfx("fd00::/64"), .table = 2000, .priority = 1001};
  s = addRule(*sock_, r6);
  ASSERT_TRUE(s) << s.error().toString();

  auto rules = listRules(*sock_, IpFamily::kV4).value();
  auto it =
      std::find_if(rules.begin(), rules.end(), [](const Rule& r) { return r.priority == 1000u; });
  ASSERT_NE(it, rules.end());
  EXPECT_EQ(it->src->str(), "10.1.0.0/24");
  EXPECT_EQ(it->dst->str(), "10.9.0.0/16");
  EXPECT_EQ(it->table, 100u);
  EXPECT_TRUE(std::any_of(rules.begin(), rules.end(), [](const Rule& r) {
    return r.priority == 32766u && r.table == RT_TABLE_MAIN && !r.src;
  })) << "the kernel's default 'from all lookup main'";
  auto rules6 = listRules(*sock_, IpFamily::kV6).value();
  EXPECT_TRUE(std::any_of(rules6.begin(), rules6.end(), [](const Rule& r) {
    return r.priority == 1001u && r.table == 2000u && r.src && r.src->str() == "fd00::/64";
  }));
  EXPECT_NE(ip_cmd("rule show").find("1000:\tfrom 10.1.0.0/24 to 10.9.0.0/16 lookup 100"),
            std::string::npos);
  EXPECT_NE(ip_cmd("-6 rule show").find("1001:\tfrom fd00::/64 lookup 2000"), std::string::npos);

  EXPECT_EQ(delRule(*sock_, r4).value(), DeleteResult::kDeleted);
  EXPECT_EQ(delRule(*sock_, r4).value(), DeleteResult::kNotFound);
  EXPECT_EQ(ip_cmd("rule show").find("lookup 100"), std::string::npos);
}

TEST_F(NetlinkRoutes, NeighboursAndFdbEntries) {
  const std::vector<uint8_t> mac = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};
  ASSERT_TRUE(addNeighbour(*sock_, Neighbour{.index = r0_, .ip = ip("10.1.0.77"), .mac = mac}));
  ASSERT_TRUE(addNeighbour(*sock_, Neighbour{.index = r0_, .ip = ip("fd00::77"), .mac = mac}));
  // replace semantics: adding again updates instead of failing.
  ASSERT_TRUE(addNeighbour(*sock_, Neighbour{.index = r0_, .ip = ip("10.1.0.77"), .mac = mac}));
  auto n4r = listNeighbours(*sock_, IpFamily::kV4, r0_);
  ASSERT_TRUE(n4r) << n4r.error().toString();
  auto n4 = *n4r;
  auto it = std::find_if(n4.begin(), n4.end(),
                         [](const Neighbour& n) { return n.ip == ip("10.1.0.77"); });
  ASSERT_NE(it, n4.end());
  EXPECT_EQ(it->mac, mac);
  EXPECT_EQ(it->state, NUD_PERMANENT);
  EXPECT_EQ(it->index, r0_);
  auto n6r = listNeighbours(*sock_, IpFamily::kV6);
  ASSERT_TRUE(n6r) << n6r.error().toString();
  auto n6 = *n6r;
  EXPECT_TRUE(
      std::any_of(n6.begin(), n6.end(), [](const Neighbour& n) { return n.ip == ip("fd00::77"); }));
  EXPECT_NE(ip_cmd("neigh show dev r0").find("10.1.0.77 lladdr 02:aa:bb:cc:dd:01 PERMANENT"),
            std::string::npos);
  Neighbour del{.index = r0_, .ip = ip("10.1.0.77")};
  EXPECT_EQ(delNeighbour(*sock_, del).value(), DeleteResult::kDeleted);
  EXPECT_EQ(delNeighbour(*sock_, del).value(), DeleteResult::kNotFound);

  // FDB: a static entry on a bridge port, in the bridge's table (master).
  ASSERT_TRUE(createBridge(*sock_, BridgeOptions{.name = "br0", .up = true}));
  const int br = getLinkByName(*sock_, "br0")->index;
  ASSERT_TRUE(createVeth(
      *sock_,
      VethOptions{.host_name = "bp", .peer_name = "bpc", .host_master = br, .host_up = true}));
  const int port = getLinkByName(*sock_, "bp")->index;
  Status f = addFdbEntry(*sock_, port, mac);
  ASSERT_TRUE(f) << f.error().toString();
  auto fdbr = listFdb(*sock_, port);
  ASSERT_TRUE(fdbr) << fdbr.error().toString();
  auto fdb = *fdbr;
  auto e = std::find_if(fdb.begin(), fdb.end(), [&](const Neighbour& n) { return n.mac == mac; });
  ASSERT_NE(e, fdb.end());
  EXPECT_TRUE(e->fdb);
  EXPECT_EQ(e->master, br);
  EXPECT_TRUE(e->state & NUD_PERMANENT);
  EXPECT_NE(ip_cmd("link show dev bp").find("master br0"), std::string::npos);
  EXPECT_EQ(delFdbEntry(*sock_, port, mac).value(), DeleteResult::kDeleted);
  EXPECT_EQ(delFdbEntry(*sock_, port, mac).value(), DeleteResult::kNotFound);
}

}  // namespace
}  // namespace cni::netlink
