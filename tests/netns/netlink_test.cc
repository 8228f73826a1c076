// tests/netns/netlink_test.cc — the netlink layer against the real kernel, in a fresh namespace.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <filesystem>

#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/socket.h"
#include "tests/testutil/netns_fixture.h"

namespace cni::netlink {
namespace {

using testutil::NetNsTest;

bool ipv6Enabled() { return std::filesystem::exists("/proc/sys/net/ipv6"); }

TEST_F(NetNsTest, FreshNamespaceHasLoopbackDownWithoutAddresses) {
  auto r = netns().run([]() -> Expected<std::pair<Link, std::vector<Address>>> {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    EXPECT_NE(sock.portId(), 0u);
    CNI_ASSIGN_OR_RETURN(Link lo, getLinkByName(sock, "lo"));
    CNI_ASSIGN_OR_RETURN(auto addrs, listAddresses(sock, lo.index));
    return std::make_pair(lo, addrs);
  });
  ASSERT_TRUE(r) << r.error().toString();
  const Link& lo = r->first;
  EXPECT_EQ(lo.name, "lo");
  EXPECT_EQ(lo.index, 1);
  EXPECT_EQ(lo.type, ARPHRD_LOOPBACK);
  EXPECT_TRUE(lo.flags & IFF_LOOPBACK);
  EXPECT_FALSE(lo.isUp());
  EXPECT_EQ(lo.mtu, 65536u);
  EXPECT_EQ(lo.mac.size(), 6u);
  EXPECT_EQ(lo.macString(), "00:00:00:00:00:00");
  EXPECT_EQ(lo.kind, "");
  EXPECT_EQ(lo.master, 0);
  EXPECT_TRUE(r->second.empty()) << "lo has no address until it is up";
}

TEST_F(NetNsTest, LookupByIndexAndAbsentLinks) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_ASSIGN_OR_RETURN(Link lo, getLinkByIndex(sock, 1));
    EXPECT_EQ(lo.name, "lo");

    auto missing = getLinkByName(sock, "nosuchlink0");
    EXPECT_FALSE(missing);
    if (!missing) {
      EXPECT_EQ(missing.error().msg, "Link not found");
    }
    auto missing_idx = getLinkByIndex(sock, 4242);
    EXPECT_FALSE(missing_idx);
    if (!missing_idx) {
      EXPECT_EQ(missing_idx.error().msg, "Link not found");
    }

    CNI_ASSIGN_OR_RETURN(auto found, findLinkByName(sock, "nosuchlink0"));
    EXPECT_FALSE(found.has_value());
    CNI_ASSIGN_OR_RETURN(auto found_lo, findLinkByName(sock, "lo"));
    EXPECT_TRUE(found_lo.has_value());

    CNI_ASSIGN_OR_RETURN(std::vector<Link> all, listLinks(sock));
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const Link& l) { return l.name == "lo"; }));
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
}

TEST_F(NetNsTest, SetUpAddsTheLoopbackAddressesAndSetDownRemovesTheFlag) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_TRY(setLinkUp(sock, 1));
    CNI_ASSIGN_OR_RETURN(Link lo, getLinkByIndex(sock, 1));
    EXPECT_TRUE(lo.isUp());

    CNI_ASSIGN_OR_RETURN(auto v4, listAddresses(sock, 1, IpFamily::kV4));
    EXPECT_EQ(v4.size(), 1u);
    if (!v4.empty()) {
      EXPECT_EQ(v4[0].cidr(), "127.0.0.1/8");
      EXPECT_EQ(v4[0].scope, RT_SCOPE_HOST);
      EXPECT_EQ(v4[0].label, "lo");
      EXPECT_TRUE(v4[0].ip().isLoopback());
      EXPECT_EQ(v4[0].family(), IpFamily::kV4);
    }
    if (ipv6Enabled()) {
      CNI_ASSIGN_OR_RETURN(auto v6, listAddresses(sock, 1, IpFamily::kV6));
      EXPECT_EQ(v6.size(), 1u);
      if (!v6.empty()) {
        EXPECT_EQ(v6[0].cidr(), "::1/128");
      }
      // AF_UNSPEC returns both families, IPv4 first (kernel dump order).
      CNI_ASSIGN_OR_RETURN(auto both, listAddresses(sock, 1));
      EXPECT_EQ(both.size(), 2u);
      if (both.size() == 2) {
        EXPECT_EQ(both[0].family(), IpFamily::kV4);
        EXPECT_EQ(both[1].family(), IpFamily::kV6);
      }
    }
    CNI_TRY(setLinkDown(sock, 1));
    CNI_ASSIGN_OR_RETURN(lo, getLinkByIndex(sock, 1));
    EXPECT_FALSE(lo.isUp());
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
}

TEST_F(NetNsTest, AddressAddDeleteAndKernelErrorsAsValues) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_TRY(setLinkUp(sock, 1));
    CNI_ASSIGN_OR_RETURN(const IpPrefix p, IpPrefix::parse("10.1.2.3/24"));
    const IpAddress ip = p.address();
    CNI_TRY(addAddress(sock, 1, p));
    CNI_ASSIGN_OR_RETURN(auto v4, listAddresses(sock, 1, IpFamily::kV4));
    auto it = std::find_if(v4.begin(), v4.end(), [&](const Address& a) { return a.ip() == ip; });
    EXPECT_NE(it, v4.end());
    if (it != v4.end()) {
      EXPECT_EQ(it->cidr(), "10.1.2.3/24");
      EXPECT_FALSE(it->ip().isLoopback());
      EXPECT_FALSE(it->peer.has_value()) << "no peer when IFA_LOCAL == IFA_ADDRESS";
    }
    // The kernel's refusal is an Error with Go's errno text; exchange() gives the raw errno.
    Status dup = addAddress(sock, 1, p);
    EXPECT_FALSE(dup);
    if (!dup) {
      EXPECT_EQ(dup.error().msg, "file exists");
    }
    CNI_TRY(delAddress(sock, 1, p));
    CNI_ASSIGN_OR_RETURN(v4, listAddresses(sock, 1, IpFamily::kV4));
    EXPECT_TRUE(std::none_of(v4.begin(), v4.end(), [&](const Address& a) { return a.ip() == ip; }));
    Status gone = delAddress(sock, 1, p);
    EXPECT_FALSE(gone);
    if (!gone) {
      EXPECT_EQ(gone.error().msg, "cannot assign requested address");
    }
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
}

TEST_F(NetNsTest, ExtendedAckTextEndsUpInDetails) {
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    // A link kind the kernel does not know: EOPNOTSUPP plus an explanation in the extended ACK.
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    Message req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    req.putHeader(ifi).putString(IFLA_IFNAME, "bogus0");
    Nest info = req.beginNest(IFLA_LINKINFO);
    req.putString(IFLA_INFO_KIND, "cnikit-no-such-kind");
    req.endNest(info);
    CNI_ASSIGN_OR_RETURN(Reply reply, sock.exchange(req));
    EXPECT_EQ(reply.error, EOPNOTSUPP);
    EXPECT_EQ(reply.ext_ack, "Unknown device type");
    Status s = sock.request(req);
    EXPECT_FALSE(s);
    if (!s) {
      EXPECT_EQ(s.error().msg, "operation not supported");
      EXPECT_EQ(s.error().details, "Unknown device type");
    }
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
}

// Enough addresses that the dump cannot fit one datagram: exercises NLM_F_MULTI handling over
// several recvmsg calls, then checks the socket is still in step (no leftover replies).
TEST_F(NetNsTest, MultipartDumpCollectsEveryPart) {
  constexpr int kCount = 400;
  auto r = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    CNI_TRY(setLinkUp(sock, 1));
    for (int i = 0; i < kCount; ++i) {
      // 10.20.0.1, 10.20.0.2, ... as /32s
      const IpAddress ip = IpAddress::v4(0x0a140000u + static_cast<uint32_t>(i) + 1);
      CNI_ASSIGN_OR_RETURN(IpPrefix p, IpPrefix::make(ip, 32));
      CNI_TRY(addAddress(sock, 1, p));
    }
    CNI_ASSIGN_OR_RETURN(auto v4, listAddresses(sock, 1, IpFamily::kV4));
    EXPECT_EQ(v4.size(), static_cast<size_t>(kCount + 1));  // + 127.0.0.1
    // Strict dump checking makes the kernel apply (and validate) the index filter.
    auto none = listAddresses(sock, 999, IpFamily::kV4);
    EXPECT_FALSE(none);
    if (!none) {
      EXPECT_EQ(none.error().msg, "no such device");
    }
    CNI_ASSIGN_OR_RETURN(Link lo, getLinkByName(sock, "lo"));
    EXPECT_EQ(lo.index, 1);
    return {};
  });
  ASSERT_TRUE(r) << r.error().toString();
}

TEST_F(NetNsTest, SocketsBindToTheNamespaceTheyWereCreatedIn) {
  // Bring lo up inside; the host's lo state must be untouched and visible as before.
  auto inside = netns().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    return setLinkUp(sock, 1);
  });
  ASSERT_TRUE(inside) << inside.error().toString();
  auto host_sock = Socket::open();
  ASSERT_TRUE(host_sock);
  auto host_lo = getLinkByName(*host_sock, "lo");
  ASSERT_TRUE(host_lo);
  EXPECT_TRUE(host_lo->isUp());
  // A socket made in the namespace keeps talking to it when used from this (host) thread.
  auto ns_sock = netns().run([] { return Socket::open(); });
  ASSERT_TRUE(ns_sock);
  auto marker_prefix = IpPrefix::parse("10.77.0.1/32");
  ASSERT_TRUE(marker_prefix);
  const IpAddress marker = marker_prefix->address();
  ASSERT_TRUE(addAddress(*ns_sock, 1, *marker_prefix));
  auto has_marker = [&](Socket& s) {
    auto addrs = listAddresses(s, 1, IpFamily::kV4);
    EXPECT_TRUE(addrs);
    return addrs && std::any_of(addrs->begin(), addrs->end(),
                                [&](const Address& a) { return a.ip() == marker; });
  };
  EXPECT_TRUE(has_marker(*ns_sock));
  EXPECT_FALSE(has_marker(*host_sock)) << "the address must not have landed on the host's lo";
}

}  // namespace
}  // namespace cni::netlink
