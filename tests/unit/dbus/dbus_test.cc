// tests/unit/dbus/dbus_test.cc — the minimal D-Bus client (src/dbus) against the wire format
// and against a real, private dbus-daemon: SASL EXTERNAL + Hello, bus methods (ListNames,
// NameHasOwner, RequestName), a method call delivered to a second connection of ours playing
// firewalld (arguments checked on the receiving side), method-return and error replies, and
// timeouts / unreachable buses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "src/dbus/connection.h"
#include "src/dbus/message.h"
#include "tests/unit/dbus/private_bus.h"

namespace cni::dbus {
namespace {

using namespace std::chrono_literals;

TEST(DbusMessage, RoundTripKeepsHeaderAndBody) {
  Message m = Message::methodCall("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1",
                                  "org.fedoraproject.FirewallD1.zone", "addSource");
  BodyWriter w;
  w.string("trusted").string("10.88.0.2/32").boolean(true).uint32(7).stringArray({"a", "bc"});
  w.byte(9).int32(-3);
  w.into(m);
  m.serial = 42;
  auto bytes = encode(m);
  ASSERT_TRUE(bytes) << bytes.error().toString();
  // Fixed header: little-endian, method call, version 1, body length, serial.
  EXPECT_EQ((*bytes)[0], 'l');
  EXPECT_EQ((*bytes)[1], 1);
  EXPECT_EQ((*bytes)[3], 1);
  EXPECT_EQ(bytes->size() % 8, m.body.size() % 8);
  auto size = messageSize(*bytes);
  ASSERT_TRUE(size && *size);
  EXPECT_EQ(**size, bytes->size());
  auto d = decode(*bytes);
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_EQ(d->type, MessageType::kMethodCall);
  EXPECT_EQ(d->serial, 42u);
  EXPECT_EQ(d->destination, "org.fedoraproject.FirewallD1");
  EXPECT_EQ(d->path, "/org/fedoraproject/FirewallD1");
  EXPECT_EQ(d->interface, "org.fedoraproject.FirewallD1.zone");
  EXPECT_EQ(d->member, "addSource");
  EXPECT_EQ(d->signature, "ssbuasyi");
  BodyReader r(*d);
  EXPECT_EQ(r.string().value_or("?"), "trusted");
  EXPECT_EQ(r.string().value_or("?"), "10.88.0.2/32");
  EXPECT_EQ(r.boolean().value_or(false), true);
  EXPECT_EQ(r.uint32().value_or(0), 7u);
  EXPECT_EQ(r.stringArray().value_or(std::vector<std::string>{}),
            (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(r.byte().value_or(0), 9);
  EXPECT_EQ(r.int32().value_or(0), -3);
  EXPECT_TRUE(r.atEnd());
  EXPECT_FALSE(r.string());  // nothing left
}

TEST(DbusMessage, StringBodyHasTheSpecsLayout) {
  // "s" body "ab": u32 length 2, 'a' 'b', NUL — then a second string aligned to 4.
  Message m;
  BodyWriter w;
  w.string("ab").string("c");
  w.into(m);
  EXPECT_EQ(m.body, (std::vector<uint8_t>{2, 0, 0, 0, 'a', 'b', 0, 0, 1, 0, 0, 0, 'c', 0}));
}

TEST(DbusMessage, ReaderRefusesTypeMismatchAndTruncation) {
  Message m;
  BodyWriter w;
  w.uint32(5);
  w.into(m);
  BodyReader r(m);
  EXPECT_FALSE(r.string());  // signature says 'u'
  m.body.resize(2);
  BodyReader t(m);
  EXPECT_FALSE(t.uint32());
}

TEST(DbusMessage, DecodesBigEndianMessages) {
  // A method return (type 2) in big-endian order, reply serial 5, signature "s", body "ok".
  std::vector<uint8_t> b = {'B', 2, 1, 1, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 0};
  std::vector<uint8_t> fields = {5, 1, 'u', 0, 0, 0, 0, 5, 8, 1, 'g', 0, 1, 's', 0};
  b[12] = 0, b[13] = 0, b[14] = 0, b[15] = static_cast<uint8_t>(fields.size());
  b.insert(b.end(), fields.begin(), fields.end());
  while (b.size() % 8) b.push_back(0);
  for (uint8_t x : std::vector<uint8_t>{0, 0, 0, 2, 'o', 'k', 0}) b.push_back(x);
  auto d = decode(b);
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_EQ(d->type, MessageType::kMethodReturn);
  EXPECT_EQ(d->serial, 9u);
  EXPECT_EQ(d->reply_serial, 5u);
  BodyReader r(*d);
  EXPECT_EQ(r.string().value_or("?"), "ok");
}

TEST(DbusMessage, RefusesGarbage) {
  std::vector<uint8_t> b(16, 0);
  b[0] = 'x';
  EXPECT_FALSE(messageSize(b));
  b[0] = 'l';
  b[3] = 1;
  b[12] = 0xff, b[13] = 0xff, b[14] = 0xff, b[15] = 0x7f;  // absurd header length
  EXPECT_FALSE(messageSize(b));
}

TEST(DbusAddress, PicksTheUnixSocket) {
  EXPECT_EQ(socketPathOf("unix:path=/run/dbus/system_bus_socket"), "/run/dbus/system_bus_socket");
  EXPECT_EQ(socketPathOf("tcp:host=x,port=1;unix:guid=1,path=/tmp/a%20b"), "/tmp/a b");
  EXPECT_EQ(socketPathOf("unix:abstract=/tmp/dbus-x,guid=12"), "@/tmp/dbus-x");
  EXPECT_EQ(socketPathOf("tcp:host=x"), "");
}

TEST(DbusAddress, SystemBusFromEnvironmentOrDefault) {
  const char* old = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  std::string saved = old ? old : "";
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/tmp/x", 1);
  EXPECT_EQ(systemBusAddress(), "unix:path=/tmp/x");
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "", 1);
  EXPECT_EQ(systemBusAddress(), kDefaultSystemBusAddress);
  if (old) {
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", saved.c_str(), 1);
  } else {
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  }
}

TEST(DbusConnection, MissingBusIsAnIoFailureNamingThePath) {
  auto c = Connection::open("unix:path=/nonexistent/cnikit/bus_socket", 500ms);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kIoFailure);
  EXPECT_NE(c.error().msg.find("/nonexistent/cnikit/bus_socket"), std::string::npos);
}

class PrivateBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/dbus-daemon", X_OK) != 0) GTEST_SKIP() << "no dbus-daemon";
    bus_ = std::make_unique<testutil::PrivateBus>();
    ASSERT_TRUE(bus_->ok()) << "dbus-daemon did not start";
  }
  std::unique_ptr<testutil::PrivateBus> bus_;
};

TEST_F(PrivateBusTest, HelloListNamesAndNameHasOwner) {
  auto c = Connection::open(bus_->address(), 2s);
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_TRUE(c->uniqueName().starts_with(":")) << c->uniqueName();
  auto names = c->listNames();
  ASSERT_TRUE(names) << names.error().toString();
  EXPECT_NE(std::ranges::find(*names, "org.freedesktop.DBus"), names->end());
  EXPECT_NE(std::ranges::find(*names, c->uniqueName()), names->end());
  auto owned = c->nameHasOwner("org.fedoraproject.FirewallD1");
  ASSERT_TRUE(owned) << owned.error().toString();
  EXPECT_FALSE(*owned);

  auto fw = Connection::open(bus_->address(), 2s);
  ASSERT_TRUE(fw) << fw.error().toString();
  auto rn = fw->requestName("org.fedoraproject.FirewallD1");
  ASSERT_TRUE(rn) << rn.error().toString();
  EXPECT_EQ(*rn, 1u);  // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
  owned = c->nameHasOwner("org.fedoraproject.FirewallD1");
  ASSERT_TRUE(owned);
  EXPECT_TRUE(*owned);
}

TEST_F(PrivateBusTest, MethodCallReachesTheNameOwnerAndRepliesComeBack) {
  auto client = Connection::open(bus_->address(), 2s);
  auto fw = Connection::open(bus_->address(), 2s);
  ASSERT_TRUE(client && fw);
  ASSERT_EQ(fw->requestName("org.fedoraproject.FirewallD1").value_or(0), 1u);

  // "firewalld": answers the first addSource with a string, the second with ZONE_ALREADY_SET.
  std::vector<std::pair<std::string, std::string>> seen;
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      auto in = fw->receive(3s);
      if (!in) return;
      if (in->type != MessageType::kMethodCall || in->member != "addSource") {
        --i;
        continue;
      }
      EXPECT_EQ(in->interface, "org.fedoraproject.FirewallD1.zone");
      EXPECT_EQ(in->path, "/org/fedoraproject/FirewallD1");
      BodyReader r(*in);
      auto zone = r.string();
      auto ip = r.string();
      seen.emplace_back(zone.value_or("?"), ip.value_or("?"));
      if (i == 0) {
        Message reply = Message::methodReturn(*in);
        BodyWriter w;
        w.string(zone.value_or(""));
        w.into(reply);
        EXPECT_TRUE(fw->send(reply));
      } else {
        EXPECT_TRUE(fw->send(Message::errorReply(*in, "org.fedoraproject.FirewallD1.Exception",
                                                 "ZONE_ALREADY_SET: 10.88.0.2/32")));
      }
    }
  });
  auto call = [&] {
    Message m = Message::methodCall("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1",
                                    "org.fedoraproject.FirewallD1.zone", "addSource");
    BodyWriter w;
    w.string("trusted").string("10.88.0.2/32");
    w.into(m);
    return client->call(std::move(m));
  };
  auto first = call();
  auto second = call();
  server.join();
  ASSERT_TRUE(first) << first.error().toString();
  EXPECT_EQ(first->type, MessageType::kMethodReturn);
  BodyReader r(*first);
  EXPECT_EQ(r.string().value_or("?"), "trusted");
  ASSERT_TRUE(second) << second.error().toString();
  ASSERT_EQ(second->type, MessageType::kError);
  RemoteError e = remoteError(*second);
  EXPECT_EQ(e.name, "org.fedoraproject.FirewallD1.Exception");
  EXPECT_EQ(e.text, "ZONE_ALREADY_SET: 10.88.0.2/32");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, std::string>{"trusted", "10.88.0.2/32"}));
}

TEST_F(PrivateBusTest, CallToAMissingNameIsAnErrorReply) {
  auto c = Connection::open(bus_->address(), 2s);
  ASSERT_TRUE(c);
  Message m = Message::methodCall("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1",
                                  "org.fedoraproject.FirewallD1.zone", "querySource");
  BodyWriter w;
  w.string("trusted").string("10.0.0.1/32");
  w.into(m);
  auto reply = c->call(std::move(m));
  ASSERT_TRUE(reply) << reply.error().toString();
  ASSERT_EQ(reply->type, MessageType::kError);
  EXPECT_EQ(remoteError(*reply).name, "org.freedesktop.DBus.Error.ServiceUnknown");
}

TEST_F(PrivateBusTest, ReceiveTimesOut) {
  auto c = Connection::open(bus_->address(), 2s);
  ASSERT_TRUE(c);
  // Drain up to the NameAcquired signal the daemon sends after Hello (a loaded machine may
  // deliver it later than any short silence would suggest).
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < give_up) {
    auto m = c->receive(500ms);
    if (m && m->member == "NameAcquired") break;
  }
  auto start = std::chrono::steady_clock::now();
  auto r = c->receive(150ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTryAgainLater);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 140ms);
}

}  // namespace
}  // namespace cni::dbus
