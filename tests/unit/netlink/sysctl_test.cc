// tests/unit/netlink/sysctl_test.cc — sysctl key forms, reads/writes against a fake /proc/sys,
// and (root only) that net.* values really are per network namespace.
#include "src/sysctl/sysctl.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

#include "tests/testutil/temp_dir.h"

namespace cni::sysctl {
namespace {

using testutil::TempDir;

TEST(SysctlKeys, DottedAndSlashedFormsMapToTheSamePath) {
  EXPECT_EQ(keyToPath("net.ipv4.ip_forward").value(), "net/ipv4/ip_forward");
  EXPECT_EQ(keyToPath("net/ipv4/ip_forward").value(), "net/ipv4/ip_forward");
  EXPECT_EQ(keyToPath("/net/ipv4/ip_forward").value(), "net/ipv4/ip_forward");
  // Interface names with dots: literal in the slashed form, '/' stands for '.' in the dotted one.
  EXPECT_EQ(keyToPath("net/ipv4/conf/eth0.100/arp_notify").value(),
            "net/ipv4/conf/eth0.100/arp_notify");
  EXPECT_EQ(keyToPath("net.ipv4.conf.eth0/100.arp_notify").value(),
            "net/ipv4/conf/eth0.100/arp_notify");
  EXPECT_EQ(ifaceKey(IpFamily::kV6, "br.0", "accept_ra"), "net/ipv6/conf/br.0/accept_ra");
}

TEST(SysctlKeys, TraversalAndEmptyComponentsAreRefused) {
  for (const char* bad : {"", "/", "net/../../etc/passwd", "net..ipv4", "net/ipv4//x", "net/."}) {
    auto p = keyToPath(bad);
    EXPECT_FALSE(p) << bad;
    if (!p) {
      EXPECT_EQ(p.error().code, ErrorCode::kInvalidNetworkConfig);
    }
  }
}

TEST(SysctlFiles, ReadWriteAndEnableForwardAgainstAFakeRoot) {
  TempDir root;
  root.write("net/ipv4/ip_forward", "0\n");
  root.write("net/ipv6/conf/all/forwarding", "1\n");
  root.write("net/ipv4/conf/eth0.5/arp_notify", "0\n");
  const std::string r = root.path().string();

  EXPECT_EQ(get("net.ipv4.ip_forward", r).value(), "0") << "trailing newline stripped";
  ASSERT_TRUE(enableIpForward(IpFamily::kV4, r));
  EXPECT_EQ(testutil::readFile(root.path() / "net/ipv4/ip_forward"), "1\n");
  // Already on: no write at all (a read-only file must not make it fail).
  std::filesystem::permissions(root.path() / "net/ipv6/conf/all/forwarding",
                               std::filesystem::perms::owner_read);
  EXPECT_TRUE(enableIpForward(IpFamily::kV6, r));

  EXPECT_EQ(setAndGet(ifaceKey(IpFamily::kV4, "eth0.5", "arp_notify"), "1", r).value(), "1");
  EXPECT_EQ(get("net.ipv4.conf.eth0/5.arp_notify", r).value(), "1");

  // A missing key is an error naming the key, never a new file.
  Status s = set("net.ipv4.nope", "1", r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIoFailure);
  EXPECT_NE(s.error().msg.find("net.ipv4.nope"), std::string::npos) << s.error().msg;
  EXPECT_FALSE(std::filesystem::exists(root.path() / "net/ipv4/nope"));
  EXPECT_FALSE(get("net.ipv4.nope", r));
}

// Needs root: a thread in a fresh netns turns forwarding off then on again; the host's value is
// untouched throughout. (A new netns copies init_net's IPv4 value, so it may start at "1".)
TEST(SysctlProc, IpForwardIsPerNetworkNamespace) {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (unshare CLONE_NEWNET)";
  auto host_before = get("net.ipv4.ip_forward");
  ASSERT_TRUE(host_before) << host_before.error().toString();
  const int host_fd = ::open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(host_fd, 0);
  std::string host_while_off, inside_off, inside_after, err;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      err = "unshare failed";
      return;
    }
    auto flip = set("net/ipv4/ip_forward", *host_before == "1" ? "0" : "1");
    if (!flip) err = flip.error().toString();
    inside_off = get("net.ipv4.ip_forward").value_or("?");
    // The fd opened before unshare() still reads the host's value.
    char buf[8] = {};
    if (::pread(host_fd, buf, sizeof buf - 1, 0) > 0) host_while_off = std::string(buf, 1);
    if (Status s = enableIpForward(IpFamily::kV4); !s) err = s.error().toString();
    inside_after = get("net.ipv4.ip_forward").value_or("?");
  });
  t.join();
  ::close(host_fd);
  ASSERT_EQ(err, "");
  EXPECT_EQ(host_while_off, *host_before) << "the write inside did not leak to the host";
  EXPECT_NE(inside_off, *host_before) << "the write inside took effect inside";
  EXPECT_EQ(inside_after, "1");
  EXPECT_EQ(get("net.ipv4.ip_forward").value(), *host_before) << "host value untouched";
}

}  // namespace
}  // namespace cni::sysctl
