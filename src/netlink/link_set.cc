// src/netlink/link_set.cc — RTM_SETLINK changes and RTM_DELLINK (see link_set.h).
#include "src/netlink/link_set.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <string>
#include <vector>

namespace cni::netlink {
namespace {

Message setLink(int index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  Message m(RTM_SETLINK, 0);
  m.putHeader(ifi);
  return m;
}

Expected<DeleteResult> sendDelete(Socket& sock, Message& m) {
  CNI_ASSIGN_OR_RETURN(Reply r, sock.exchange(m));
  if (r.error == ENODEV) return DeleteResult::kNotFound;
  if (r.error != 0) return fail(kernelError(r.error, std::move(r.ext_ack)));
  return DeleteResult::kDeleted;
}

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Expected<DeleteResult> deleteLink(Socket& sock, int index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  Message m(RTM_DELLINK, 0);
  m.putHeader(ifi);
  return sendDelete(sock, m);
}

Expected<DeleteResult> deleteLinkByName(Socket& sock, std::string_view name) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Message m(RTM_DELLINK, 0);
  m.putHeader(ifi).putString(IFLA_IFNAME, name);
  return sendDelete(sock, m);
}

Expected<DeleteResult> deleteLinkGroup(Socket& sock, uint32_t group) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Message m(RTM_DELLINK, 0);
  m.putHeader(ifi).putU32(IFLA_GROUP, group);
  return sendDelete(sock, m);
}

Status setLinkMaster(Socket& sock, int index, int master_index) {
  Message m = setLink(index);
  m.putU32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  return sock.request(m);
}

Status setLinkNoMaster(Socket& sock, int index) { return setLinkMaster(sock, index, 0); }

Status setLinkMtu(Socket& sock, int index, uint32_t mtu) {
  Message m = setLink(index);
  m.putU32(IFLA_MTU, mtu);
  return sock.request(m);
}

Status setLinkMac(Socket& sock, int index, std::span<const uint8_t> mac) {
  Message m = setLink(index);
  m.putBytes(IFLA_ADDRESS, mac);
  return sock.request(m);
}

Status setLinkName(Socket& sock, int index, std::string_view name) {
  Message m = setLink(index);
  m.putString(IFLA_IFNAME, name);
  return sock.request(m);
}

Status setLinkAlias(Socket& sock, int index, std::string_view alias) {
  Message m = setLink(index);
  m.putString(IFLA_IFALIAS, alias);
  return sock.request(m);
}

Status setLinkGroup(Socket& sock, int index, uint32_t group) {
  Message m = setLink(index);
  m.putU32(IFLA_GROUP, group);
  return sock.request(m);
}

Status setLinkPromisc(Socket& sock, int index, bool on) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = on ? IFF_PROMISC : 0;
  ifi.ifi_change = IFF_PROMISC;
  Message m(RTM_SETLINK, 0);
  m.putHeader(ifi);
  return sock.request(m);
}

Status setLinkNetNsFd(Socket& sock, int index, int netns_fd) {
  Message m = setLink(index);
  m.putU32(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  return sock.request(m);
}

Expected<std::vector<uint8_t>> parseMac(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kDecodingFailure,
                "address " + std::string(text) + ": invalid MAC address");
  };
  if (text.size() != 17) return bad();
  const char sep = text[2];
  if (sep != ':' && sep != '-') return bad();
  std::vector<uint8_t> mac;
  for (size_t i = 0; i < 17; i += 3) {
    int hi = hexVal(text[i]), lo = hexVal(text[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < 17 && text[i + 2] != sep)) return bad();
    mac.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return mac;
}

}  // namespace cni::netlink
