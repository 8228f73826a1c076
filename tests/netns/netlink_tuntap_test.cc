// tests/netns/netlink_tuntap_test.cc — TUN/TAP devices in a throwaway namespace: created
// persistent with the requested mode, queues and owner, then an ordinary link (kind "tun") that
// can be renamed and deleted; a taken name is refused instead of being attached to.
#include <gtest/gtest.h>
#include <net/if.h>

#include <filesystem>

#include "src/netlink/link.h"
#include "src/netlink/link_set.h"
#include "src/netlink/socket.h"
#include "src/netlink/tuntap.h"
#include "tests/testutil/netns_fixture.h"
#include "tests/testutil/run.h"

namespace cni::testutil {
namespace {

class TuntapTest : public NetNsTest {
 protected:
  void SetUp() override {
    NetNsTest::SetUp();
    if (IsSkipped()) return;
    if (!std::filesystem::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun here";
  }
  std::string details(std::string_view dev) {
    return run("ip netns exec " + netns().name() + " ip -d link show " + std::string(dev)).out;
  }
};

TEST_F(TuntapTest, TapWithOwnerIsPersistentAndAnOrdinaryLink) {
  auto made = netns().run([]() -> Status {
    return netlink::createTuntap({.name = "tap0", .owner = 4242, .group = 4243});
  });
  ASSERT_TRUE(made) << made.error().toString();
  auto link = netns().run([]() -> Expected<netlink::Link> {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::getLinkByName(s, "tap0");
  });
  ASSERT_TRUE(link) << link.error().toString();
  EXPECT_EQ(link->kind, "tun");
  EXPECT_EQ(link->mac.size(), 6u);  // a tap is an Ethernet device
  const std::string d = details("tap0");
  EXPECT_NE(d.find("type tap"), std::string::npos) << d;
  EXPECT_NE(d.find("persist on"), std::string::npos) << d;
  EXPECT_NE(d.find("user 4242"), std::string::npos)
      << d;  // ids without a passwd entry print as numbers
  EXPECT_NE(d.find("group 4243"), std::string::npos) << d;

  // A second create with the same name is refused (TUNSETIFF would attach to it).
  auto again = netns().run([]() -> Status { return netlink::createTuntap({.name = "tap0"}); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().msg, "file exists");

  auto renamed_and_gone = netns().run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_TRY(netlink::setLinkName(s, link->index, "tapx"));
    CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, "tapx"));
    CNI_ASSIGN_OR_RETURN(auto r, netlink::deleteLink(s, l.index));
    if (r != netlink::DeleteResult::kDeleted) return fail(ErrorCode::kInternal, "not deleted");
    CNI_ASSIGN_OR_RETURN(auto left, netlink::findLinkByName(s, "tapx"));
    if (left) return fail(ErrorCode::kInternal, "still there");
    return {};
  });
  EXPECT_TRUE(renamed_and_gone) << renamed_and_gone.error().toString();
}

TEST_F(TuntapTest, MultiQueueTunWithoutEthernetAddress) {
  auto made = netns().run([]() -> Status {
    return netlink::createTuntap(
        {.name = "tun0", .mode = netlink::TunMode::kTun, .multi_queue = true});
  });
  ASSERT_TRUE(made) << made.error().toString();
  const std::string d = details("tun0");
  EXPECT_NE(d.find("type tun"), std::string::npos) << d;
  EXPECT_NE(d.find("multi_queue"), std::string::npos) << d;
  auto bad = netns().run(
      []() -> Status { return netlink::createTuntap({.name = std::string(IFNAMSIZ, 'x')}); });
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace cni::testutil
