// tests/unit/dhcp/packet_test.cc — the DHCPv4 wire format (src/dhcp/packet.h): header layout,
// options (incl. RFC 3396 splitting and RFC 3442 classless routes), lease timers, and the
// messages the client builds (src/dhcp/client.h).
#include "src/dhcp/packet.h"

#include <gtest/gtest.h>

#include "src/dhcp/client.h"

namespace cni::dhcp {
namespace {

using std::chrono::seconds;

TEST(DhcpPacket, EncodeLayoutAndRoundTrip) {
  Packet p;
  p.xid = 0xdeadbeef;
  p.flags = kFlagBroadcast;
  p.ciaddr = {10, 0, 0, 5};
  p.chaddr[0] = 0x02;
  p.chaddr[5] = 0x99;
  p.set(opt::kMessageType, {1});
  p.set(opt::kHostName, {'p', 'o', 'd'});
  std::vector<uint8_t> b = encode(p);
  ASSERT_EQ(b.size(), 300u);  // padded to the BOOTP minimum
  EXPECT_EQ(b[0], 1);         // BOOTREQUEST
  EXPECT_EQ(b[1], 1);         // ethernet
  EXPECT_EQ(b[2], 6);
  EXPECT_EQ((std::vector<uint8_t>(b.begin() + 4, b.begin() + 8)),
            (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(b[10], 0x80);  // broadcast flag, network order
  EXPECT_EQ(b[11], 0x00);
  EXPECT_EQ(b[12], 10);    // ciaddr
  EXPECT_EQ(b[28], 0x02);  // chaddr
  EXPECT_EQ(b[33], 0x99);
  EXPECT_EQ((std::vector<uint8_t>(b.begin() + 236, b.begin() + 240)),
            (std::vector<uint8_t>{99, 130, 83, 99}));
  EXPECT_EQ((std::vector<uint8_t>(b.begin() + 240, b.begin() + 249)),
            (std::vector<uint8_t>{53, 1, 1, 12, 3, 'p', 'o', 'd', 255}));
  auto back = decode(b);
  ASSERT_TRUE(back) << back.error().msg;
  EXPECT_EQ(back->xid, p.xid);
  EXPECT_EQ(back->flags, p.flags);
  EXPECT_EQ(back->ciaddr, p.ciaddr);
  EXPECT_EQ(back->chaddr, p.chaddr);
  EXPECT_EQ(back->options, p.options);
  EXPECT_EQ(back->type(), MessageType::kDiscover);
}

TEST(DhcpPacket, LongOptionIsSplitAndRejoined) {
  Packet p;
  std::vector<uint8_t> big(300);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
  p.set(opt::kClasslessRoutes, big);
  auto b = encode(p);
  EXPECT_EQ(b[240], 121);
  EXPECT_EQ(b[241], 255);
  EXPECT_EQ(b[240 + 2 + 255], 121);
  EXPECT_EQ(b[240 + 2 + 255 + 1], 45);
  auto back = decode(b);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->find(opt::kClasslessRoutes), big);
}

TEST(DhcpPacket, DecodeRejectsMalformed) {
  EXPECT_FALSE(decode(std::vector<uint8_t>(100)));
  std::vector<uint8_t> b(300);
  EXPECT_FALSE(decode(b)) << "no magic cookie";
  b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99;
  b[240] = 3, b[241] = 200;  // option runs past the end
  EXPECT_FALSE(decode(b));
  b[241] = 4;
  b[246] = 0;  // pads after it, then the implicit end
  auto ok = decode(b);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->find(opt::kRouter), (std::vector<uint8_t>{0, 0, 0, 0}));
}

TEST(DhcpPacket, ClasslessRoutesRfc3442) {
  // 0/0 via 10.0.0.1; 10.10.0.0/16 via 10.0.0.2; 192.168.5.0/24 on-link; 1.2.3.4/32 via 10.0.0.3
  std::vector<uint8_t> wire = {0, 10, 0, 0, 1, 16, 10, 10, 10, 0, 0,  2, 24, 192, 168,
                               5, 0,  0, 0, 0, 32, 1,  2,  3,  4, 10, 0, 0,  3};
  auto r = parseClasslessRoutes(wire);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0], (LeaseRoute{{0, 0, 0, 0}, 0, Ipv4{10, 0, 0, 1}}));
  EXPECT_EQ((*r)[1], (LeaseRoute{{10, 10, 0, 0}, 16, Ipv4{10, 0, 0, 2}}));
  EXPECT_EQ((*r)[2], (LeaseRoute{{192, 168, 5, 0}, 24, std::nullopt}));
  EXPECT_EQ((*r)[3], (LeaseRoute{{1, 2, 3, 4}, 32, Ipv4{10, 0, 0, 3}}));
  EXPECT_EQ(encodeClasslessRoutes(*r), wire);
  EXPECT_FALSE(parseClasslessRoutes(std::vector<uint8_t>{33, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_FALSE(parseClasslessRoutes(std::vector<uint8_t>{24, 10, 0, 0, 10}));  // truncated
}

TEST(DhcpPacket, LeaseRoutesPreferOption121) {
  Packet ack;
  ack.set(opt::kRouter, {10, 0, 0, 1});
  ack.set(opt::kStaticRoutes, {172, 16, 0, 0, 10, 0, 0, 9});
  auto legacy = leaseRoutes(ack);
  ASSERT_EQ(legacy.size(), 2u);
  EXPECT_EQ(legacy[0], (LeaseRoute{{172, 16, 0, 0}, 16, Ipv4{10, 0, 0, 9}}));  // class B
  EXPECT_EQ(legacy[1], (LeaseRoute{{0, 0, 0, 0}, 0, Ipv4{10, 0, 0, 1}}));      // default via router
  ack.set(opt::kClasslessRoutes, {8, 44, 10, 0, 0, 7});
  auto classless = leaseRoutes(ack);
  ASSERT_EQ(classless.size(), 1u) << "option 121 replaces 3 and 33 (RFC 3442)";
  EXPECT_EQ(classless[0], (LeaseRoute{{44, 0, 0, 0}, 8, Ipv4{10, 0, 0, 7}}));
  Packet bare;
  EXPECT_TRUE(leaseRoutes(bare).empty());
}

TEST(DhcpPacket, LeaseTimers) {
  Packet ack;
  EXPECT_FALSE(leaseTimes(ack));
  ack.set(opt::kLeaseTime, {0, 0, 0x0e, 0x10});  // 3600
  auto t = leaseTimes(ack);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lease, seconds(3600));
  EXPECT_EQ(t->rebind, seconds(3060));  // 85%
  EXPECT_EQ(t->renew, seconds(1800));   // 50%
  ack.set(opt::kRenewalTime, {0, 0, 0, 100});
  ack.set(opt::kRebindingTime, {0, 0, 1, 0});
  t = leaseTimes(ack);
  EXPECT_EQ(t->renew, seconds(100));
  EXPECT_EQ(t->rebind, seconds(256));
  ack.set(opt::kRebindingTime, {0, 1, 0, 0});      // beyond the lease -> 85%
  ack.set(opt::kRenewalTime, {0, 0, 0x0e, 0x00});  // 3584 > T2 -> 50%
  t = leaseTimes(ack);
  EXPECT_EQ(t->rebind, seconds(3060));
  EXPECT_EQ(t->renew, seconds(1800));
}

TEST(DhcpPacket, MasksNamesAndClientId) {
  EXPECT_EQ(maskLength({255, 255, 255, 0}), 24);
  EXPECT_EQ(maskLength({255, 255, 255, 255}), 32);
  EXPECT_EQ(maskLength({0, 0, 0, 0}), 0);
  EXPECT_EQ(maskLength({255, 0, 255, 0}), std::nullopt);
  EXPECT_EQ(parseOptionName("host-name").value(), 12);
  EXPECT_EQ(parseOptionName("dhcp-client-identifier").value(), 61);
  EXPECT_EQ(parseOptionName("121").value(), 121);
  EXPECT_FALSE(parseOptionName("256"));
  EXPECT_FALSE(parseOptionName("hostname"));
  EXPECT_FALSE(parseOptionName(""));
  EXPECT_EQ(clientIdFor("c1", "net", "eth0"), "c1/net/eth0");
  EXPECT_EQ(clientIdFor(std::string(300, 'x'), "n", "eth0").size(), 254u);
}

ClientConfig testConfig() {
  ClientConfig c;
  c.ifname = "eth0";
  c.client_id = "ctr/net/eth0";
  c.request_list = {1, 3};
  c.provide = {Option{opt::kHostName, {'p', '1'}}};
  return c;
}

TEST(DhcpClientMessages, DiscoverAndRequest) {
  Client c(testConfig());
  c.setMac({2, 0, 0, 0, 0, 7});
  Packet d = c.makeDiscover(42);
  EXPECT_EQ(d.type(), MessageType::kDiscover);
  EXPECT_EQ(d.xid, 42u);
  EXPECT_EQ(d.flags, kFlagBroadcast) << "replies must be broadcast: no address yet";
  EXPECT_EQ(d.chaddr[5], 7);
  std::vector<uint8_t> id{0};
  for (char ch : std::string("ctr/net/eth0")) id.push_back(static_cast<uint8_t>(ch));
  EXPECT_EQ(d.find(opt::kClientId), id);
  EXPECT_EQ(d.find(opt::kParamRequestList), (std::vector<uint8_t>{1, 3}));
  EXPECT_EQ(d.find(opt::kHostName), (std::vector<uint8_t>{'p', '1'}));
  EXPECT_FALSE(d.find(opt::kRequestedIp));

  Packet offer;
  offer.op = 2;
  offer.yiaddr = {10, 1, 0, 20};
  offer.set(opt::kServerId, {10, 1, 0, 1});
  Packet r = c.makeRequest(42, offer);
  EXPECT_EQ(r.type(), MessageType::kRequest);
  EXPECT_EQ(r.ciaddr, (Ipv4{}));
  EXPECT_EQ(r.find(opt::kRequestedIp), (std::vector<uint8_t>{10, 1, 0, 20}));
  EXPECT_EQ(r.find(opt::kServerId), (std::vector<uint8_t>{10, 1, 0, 1}));
  EXPECT_EQ(r.find(opt::kClientId), id);
}

TEST(DhcpClientMessages, RenewAndRelease) {
  Client c(testConfig());
  c.setMac({2, 0, 0, 0, 0, 7});
  Packet ack;
  ack.yiaddr = {10, 1, 0, 20};
  ack.set(opt::kServerId, {10, 1, 0, 1});
  Packet n = c.makeRenew(7, ack);
  EXPECT_EQ(n.type(), MessageType::kRequest);
  EXPECT_EQ(n.ciaddr, ack.yiaddr) << "RENEWING identifies the lease by ciaddr";
  EXPECT_FALSE(n.find(opt::kRequestedIp));
  EXPECT_FALSE(n.find(opt::kServerId));
  Packet rel = c.makeRelease(8, ack);
  EXPECT_EQ(rel.type(), MessageType::kRelease);
  EXPECT_EQ(rel.ciaddr, ack.yiaddr);
  EXPECT_EQ(rel.find(opt::kServerId), (std::vector<uint8_t>{10, 1, 0, 1}));
  EXPECT_TRUE(rel.find(opt::kClientId));
  EXPECT_FALSE(rel.find(opt::kParamRequestList));
}

}  // namespace
}  // namespace cni::dhcp
