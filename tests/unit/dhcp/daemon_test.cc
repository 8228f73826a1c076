// tests/unit/dhcp/daemon_test.cc — the daemon's CLI (Go flag syntax and durations), the lease
// view the plugin reports (src/dhcp/lease.h leaseInfo) and the plugin<->daemon wire protocol.
#include "src/dhcp/daemon.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "src/dhcp/lease.h"
#include "src/dhcp/rpc.h"
#include "tests/testutil/temp_dir.h"

namespace cni::dhcp {
namespace {

using std::chrono::milliseconds;

TEST(DhcpDaemonFlags, GoDurations) {
  EXPECT_EQ(parseGoDuration("10s").value(), milliseconds(10000));
  EXPECT_EQ(parseGoDuration("1m2s").value(), milliseconds(62000));
  EXPECT_EQ(parseGoDuration("1.5h").value(), milliseconds(5400000));
  EXPECT_EQ(parseGoDuration("250ms").value(), milliseconds(250));
  EXPECT_EQ(parseGoDuration("0").value(), milliseconds(0));
  EXPECT_FALSE(parseGoDuration("10"));
  EXPECT_FALSE(parseGoDuration("s"));
  EXPECT_FALSE(parseGoDuration("3d"));
  EXPECT_FALSE(parseGoDuration(""));
}

TEST(DhcpDaemonFlags, ReferenceCli) {
  std::vector<std::string_view> args = {"-socketpath",  "/tmp/x.sock", "-pidfile=/tmp/p",
                                        "--hostprefix", "/host",       "-broadcast",
                                        "-timeout=3s",  "-resendmax",  "20s"};
  auto o = parseDaemonFlags(args);
  ASSERT_TRUE(o) << o.error().msg;
  EXPECT_EQ(o->socket_path, "/tmp/x.sock");
  EXPECT_EQ(o->pidfile, "/tmp/p");
  EXPECT_EQ(o->host_prefix, "/host");
  EXPECT_TRUE(o->broadcast);
  EXPECT_EQ(o->timeout, milliseconds(3000));
  EXPECT_EQ(o->resend_max, milliseconds(20000));
  auto d = parseDaemonFlags({});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->socket_path, "/run/cni/dhcp.sock");
  EXPECT_EQ(d->timeout, milliseconds(10000));
  EXPECT_EQ(d->resend_max, milliseconds(62000));
  std::vector<std::string_view> bad = {"-nope"};
  EXPECT_FALSE(parseDaemonFlags(bad));
  std::vector<std::string_view> missing = {"-socketpath"};
  EXPECT_FALSE(parseDaemonFlags(missing));
  std::vector<std::string_view> bad_dur = {"-timeout", "ten"};
  EXPECT_FALSE(parseDaemonFlags(bad_dur));
}

TEST(DhcpLeaseInfo, FromAck) {
  Packet ack;
  ack.yiaddr = {10, 9, 0, 33};
  ack.set(opt::kLeaseTime, {0, 0, 0, 120});
  EXPECT_FALSE(leaseInfo(ack)) << "no subnet mask: the reference refuses the lease";
  ack.set(opt::kSubnetMask, {255, 255, 255, 0});
  ack.set(opt::kRouter, {10, 9, 0, 1});
  auto info = leaseInfo(ack);
  ASSERT_TRUE(info) << info.error().msg;
  EXPECT_EQ(info->address, (Ipv4{10, 9, 0, 33}));
  EXPECT_EQ(info->prefix_len, 24);
  EXPECT_EQ(info->gateway, (Ipv4{10, 9, 0, 1}));
  ASSERT_EQ(info->routes.size(), 1u);
  EXPECT_EQ(info->routes[0].prefix_len, 0);
  EXPECT_EQ(info->times.renew, std::chrono::seconds(60));
}

TEST(DhcpRpc, UnreachableDaemonIsTryAgainLater) {
  testutil::TempDir dir;
  auto r = call((dir.path() / "none.sock").string(), Json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTryAgainLater);
  EXPECT_EQ(r.error().msg, "error dialing DHCP daemon: dial unix " +
                               (dir.path() / "none.sock").string() +
                               ": connect: no such file or directory");
}

TEST(DhcpRpc, OneExchangePerConnection) {
  testutil::TempDir dir;
  const std::string path = (dir.path() / "sub" / "d.sock").string();
  auto l = listenUnix(path);
  ASSERT_TRUE(l) << l.error().msg;
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      UniqueFd c(::accept4(l->get(), nullptr, nullptr, SOCK_CLOEXEC));
      auto req = readMessage(c.get());
      ASSERT_TRUE(req);
      Json reply = (*req)["method"] == "ADD"
                       ? Json{{"result", {{"echo", (*req)["stdin"]}}}}
                       : errorReply(Error(ErrorCode::kInternal, "boom", "why"));
      ASSERT_TRUE(writeAll(c.get(), reply.dump()));
    }
  });
  auto ok = call(path, Json{{"method", "ADD"}, {"stdin", "{\"a\":1}"}});
  ASSERT_TRUE(ok) << ok.error().msg;
  EXPECT_EQ((*ok)["result"]["echo"], "{\"a\":1}");
  auto err = call(path, Json{{"method", "DEL"}});
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, ErrorCode::kInternal);
  EXPECT_EQ(err.error().msg, "boom");
  EXPECT_EQ(err.error().details, "why");
  server.join();
  // A second daemon on a live socket must not steal it.
  EXPECT_FALSE(listenUnix(path));
}

}  // namespace
}  // namespace cni::dhcp
