// tests/unit/netlink/message_test.cc — the request builder and attribute parser, byte-level.
// Pure computation (no root, no kernel; opening an unbound netlink socket needs no privilege).
#include "src/netlink/message.h"

#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <vector>

#include "src/netlink/attr.h"
#include "src/netlink/socket.h"

namespace cni::netlink {
namespace {

RawMessage received(const Message& m) { return RawMessage(m.bytes()); }

TEST(NetlinkMessage, LayoutHeaderFamilyHeaderAndPaddedAttributes) {
  ifinfomsg ifi{};
  ifi.ifi_index = 7;
  Message m(RTM_NEWLINK, NLM_F_CREATE);
  m.putHeader(ifi).putString(IFLA_IFNAME, "eth0").putU32(IFLA_MTU, 1400).putU8(IFLA_OPERSTATE, 6);
  ASSERT_TRUE(m.status());
  auto bytes = m.bytes();
  // 16 header + 16 ifinfomsg + (4+5 -> 12) + (4+4) + (4+1 -> 8)
  EXPECT_EQ(bytes.size(), 16u + 16u + 12u + 8u + 8u);
  RawMessage r = received(m);
  EXPECT_EQ(r.header().nlmsg_len, bytes.size());
  EXPECT_EQ(r.type(), RTM_NEWLINK);
  EXPECT_EQ(r.header().nlmsg_flags, NLM_F_CREATE | NLM_F_REQUEST);
  EXPECT_EQ(r.familyHeader<ifinfomsg>()->ifi_index, 7);
  auto attrs = r.attrs(sizeof(ifinfomsg));
  ASSERT_TRUE(attrs) << attrs.error().toString();
  ASSERT_EQ(attrs->all().size(), 3u);
  EXPECT_EQ(attrs->find(IFLA_IFNAME)->str(), "eth0");
  EXPECT_EQ(attrs->find(IFLA_IFNAME)->data.size(), 5u) << "NUL-terminated";
  EXPECT_EQ(attrs->find(IFLA_MTU)->u32(), 1400u);
  EXPECT_EQ(attrs->find(IFLA_OPERSTATE)->u8(), 6u);
  EXPECT_FALSE(attrs->find(IFLA_MTU)->u16()) << "wrong-size reads are refused";
  EXPECT_EQ(attrs->find(IFLA_MASTER), nullptr);
}

TEST(NetlinkMessage, NestedAttributesRoundTrip) {
  Message m(RTM_NEWLINK, 0);
  m.putHeader(ifinfomsg{});
  Nest info = m.beginNest(IFLA_LINKINFO);
  m.putString(IFLA_INFO_KIND, "veth");
  Nest data = m.beginNest(IFLA_INFO_DATA);
  m.putU32(1, 0xdeadbeef);
  m.endNest(data);
  m.endNest(info);
  m.putU32(IFLA_MTU, 9000);
  ASSERT_TRUE(m.status());

  RawMessage r = received(m);
  auto top = r.attrs(sizeof(ifinfomsg));
  ASSERT_TRUE(top);
  const Attr* li = top->find(IFLA_LINKINFO);
  ASSERT_NE(li, nullptr) << "NLA_F_NESTED must be masked off the type";
  EXPECT_EQ(top->find(IFLA_MTU)->u32(), 9000u) << "attributes after a nest are not swallowed";
  auto inner = li->nested();
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->find(IFLA_INFO_KIND)->str(), "veth");
  auto deepest = inner->find(IFLA_INFO_DATA)->nested();
  ASSERT_TRUE(deepest);
  EXPECT_EQ(deepest->find(1)->u32(), 0xdeadbeefu);
  // The nest length covers exactly its children.
  EXPECT_EQ(li->data.size(), 12u /* kind "veth\0" */ + 4u + 8u /* data nest */);
}

TEST(NetlinkMessage, OversizedAttributeIsAStickyErrorAndNothingIsWritten) {
  Message m(RTM_NEWLINK, 0);
  m.putHeader(ifinfomsg{});
  const size_t before = m.bytes().size();
  std::vector<uint8_t> big(70000, 0xab);
  m.putBytes(IFLA_IFALIAS, big);
  EXPECT_FALSE(m.status());
  EXPECT_EQ(m.bytes().size(), before);
  EXPECT_NE(m.status().error().msg.find("attribute too long"), std::string::npos);
  // Later puts work but the first error stays.
  m.putU32(IFLA_MTU, 1);
  EXPECT_NE(m.status().error().msg.find("attribute too long"), std::string::npos);
}

TEST(NetlinkMessage, MessageSizeLimitAndNestLimitAreEnforced) {
  Message small(RTM_NEWLINK, 0, 64);
  small.putHeader(ifinfomsg{});
  small.putBytes(IFLA_IFALIAS, std::vector<uint8_t>(40, 1));
  EXPECT_FALSE(small.status());
  EXPECT_NE(small.status().error().msg.find("exceeds 64 bytes"), std::string::npos);

  Message m(RTM_NEWLINK, 0, 1 << 20);
  m.putHeader(ifinfomsg{});
  Nest n = m.beginNest(IFLA_LINKINFO);
  for (int i = 0; i < 3; ++i) m.putBytes(IFLA_INFO_DATA, std::vector<uint8_t>(30000, 1));
  EXPECT_TRUE(m.status());
  m.endNest(n);
  EXPECT_FALSE(m.status());
  EXPECT_NE(m.status().error().msg.find("nested attribute too long"), std::string::npos);

  Message unmatched(RTM_NEWLINK, 0);
  unmatched.endNest(Nest{});
  EXPECT_FALSE(unmatched.status());
}

TEST(NetlinkMessage, HeaderMustComeFirstAndStringsMustNotContainNul) {
  Message m(RTM_NEWLINK, 0);
  m.putU32(IFLA_MTU, 1);
  m.putHeader(ifinfomsg{});
  EXPECT_FALSE(m.status());

  Message s(RTM_NEWLINK, 0);
  s.putHeader(ifinfomsg{}).putString(IFLA_IFNAME, std::string_view("a\0b", 3));
  EXPECT_FALSE(s.status());
}

TEST(NetlinkMessage, SocketRefusesAMessageWithAnError) {
  auto sock = Socket::open();
  ASSERT_TRUE(sock) << sock.error().toString();  // no privileges needed to open/bind
  Message m(RTM_GETLINK, 0);
  m.putHeader(ifinfomsg{}).putBytes(IFLA_IFALIAS, std::vector<uint8_t>(70000, 0));
  auto r = sock->exchange(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("attribute too long"), std::string::npos);
}

TEST(NetlinkAttrs, MalformedStreamsAreErrorsNotCrashes) {
  // nla_len 3 (< header), nla_len past the end, trailing garbage of header size.
  std::vector<uint8_t> too_short = {3, 0, 1, 0};
  EXPECT_FALSE(AttrList::parse(too_short));
  std::vector<uint8_t> past_end = {12, 0, 1, 0, 1, 2, 3, 4};
  EXPECT_FALSE(AttrList::parse(past_end));
  std::vector<uint8_t> ok_then_pad = {5, 0, 2, 0, 'x', 0, 0, 0, 0, 0};
  auto a = AttrList::parse(ok_then_pad);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->find(2)->str(), "x");
  EXPECT_TRUE(AttrList::parse({}));
  // Last one wins on duplicates.
  std::vector<uint8_t> dup = {8, 0, 1, 0, 1, 0, 0, 0, 8, 0, 1, 0, 2, 0, 0, 0};
  EXPECT_EQ(AttrList::parse(dup)->find(1)->u32(), 2u);
}

TEST(NetlinkErrors, ErrnoTextIsGoStyle) {
  EXPECT_EQ(errnoText(ENODEV), "no such device");
  EXPECT_EQ(errnoText(EEXIST), "file exists");
  Error e = kernelError(EINVAL, "Attribute failed policy validation");
  EXPECT_EQ(e.code, ErrorCode::kInternal);
  EXPECT_EQ(e.toString(), "invalid argument; Attribute failed policy validation");
}

}  // namespace
}  // namespace cni::netlink
