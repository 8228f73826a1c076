// tests/netns/netlink_bench_test.cc — measures one pod's link work over our netlink layer:
// veth created with the peer directly in the pod netns (host end UP, enslaved, MTU, peer MAC,
// link group, all in one RTM_NEWLINK), then in the pod: peer up, address (nodad), default route.
// Median of 50 (deletion between rounds is not timed). Asserts only a loose sanity bound: the
// number is reported (gtest property "veth_configure_median_us") for comparison with the
// kernel floor in docs (~1.3 ms for the link steps).
#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/route.h"
#include "tests/testutil/netns_fixture.h"

namespace cni::netlink {
namespace {

using testutil::NetNsTest;
using testutil::TestNetNs;

TEST_F(NetNsTest, BenchCreateAndConfigureOneVethIntoAPodNetns) {
  TestNetNs pod("benchpod");
  ASSERT_TRUE(pod.ok());
  auto host = netns().run([] { return Socket::open(); });
  auto in_pod = pod.run([] { return Socket::open(); });
  ASSERT_TRUE(host && in_pod);
  ASSERT_TRUE(createBridge(*host, BridgeOptions{.name = "cni0", .up = true}));
  const int br = getLinkByName(*host, "cni0")->index;
  const IpPrefix addr = IpPrefix::parse("10.22.0.5/16").value();
  const IpAddress gw = IpAddress::parse("10.22.0.1").value();
  const auto mac = parseMac("0a:58:0a:16:00:05").value();

  constexpr int kRounds = 50;
  std::vector<double> us;
  for (int i = 0; i < kRounds; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    Status s = createVeth(*host, VethOptions{.host_name = "vethbench",
                                             .peer_name = "eth0",
                                             .peer_netns_fd = pod.ns().fd(),
                                             .mtu = 1450,
                                             .peer_mac = mac,
                                             .host_master = br,
                                             .host_up = true,
                                             .host_group = 7});
    ASSERT_TRUE(s) << s.error().toString();
    auto eth0 = getLinkByName(*in_pod, "eth0");
    ASSERT_TRUE(eth0);
    ASSERT_TRUE(setLinkUp(*in_pod, eth0->index));
    ASSERT_TRUE(addAddress(*in_pod, eth0->index, addr, AddressOptions{.flags = IFA_F_NODAD}));
    Status r = addRoute(
        *in_pod,
        Route{.dst = IpPrefix::parse("0.0.0.0/0").value(), .gateway = gw, .dev = eth0->index});
    ASSERT_TRUE(r) << r.error().toString();
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ASSERT_EQ(deleteLinkByName(*host, "vethbench").value(), DeleteResult::kDeleted);
  }
  std::sort(us.begin(), us.end());
  const double median = (us[kRounds / 2 - 1] + us[kRounds / 2]) / 2;
  const double p90 = us[kRounds * 9 / 10];
  RecordProperty("veth_configure_median_us", static_cast<int>(median));
  RecordProperty("veth_configure_p90_us", static_cast<int>(p90));
  std::cout << "[ MEASURE  ] create+configure veth into pod netns: median " << median << " us, p90 "
            << p90 << " us, min " << us.front() << " us (n=" << kRounds << ")\n";
  EXPECT_LT(median, 50'000.0) << "far above the ~2 ms kernel floor: something is very wrong";
}

}  // namespace
}  // namespace cni::netlink
