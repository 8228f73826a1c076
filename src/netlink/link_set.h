// src/netlink/link_set.h — changing and deleting existing links (`ip link set|del`).
//
// Changes are RTM_SETLINK on the link's index with exactly one attribute (or flag) each, so a
// failure names the one thing that was refused. Deletion reports an absent link as
// DeleteResult::kNotFound (ENODEV) so DEL paths are idempotent without string matching.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "src/common/error.h"
#include "src/netlink/outcome.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

Expected<DeleteResult> deleteLink(Socket& sock, int index);
Expected<DeleteResult> deleteLinkByName(Socket& sock, std::string_view name);
// Every link of IFLA_GROUP `group` in one RTM_DELLINK: one RCU barrier for the whole batch.
// kNotFound when no link is in the group.
Expected<DeleteResult> deleteLinkGroup(Socket& sock, uint32_t group);

// `ip link set dev X master M` / `nomaster` (master 0).
Status setLinkMaster(Socket& sock, int index, int master_index);
Status setLinkNoMaster(Socket& sock, int index);
Status setLinkMtu(Socket& sock, int index, uint32_t mtu);
Status setLinkMac(Socket& sock, int index, std::span<const uint8_t> mac);
// Renaming needs the link down (EBUSY otherwise), as in the kernel.
Status setLinkName(Socket& sock, int index, std::string_view name);
Status setLinkAlias(Socket& sock, int index, std::string_view alias);
Status setLinkGroup(Socket& sock, int index, uint32_t group);
Status setLinkPromisc(Socket& sock, int index, bool on);
// Moves the link into the namespace `netns_fd` refers to (`ip link set X netns <fd>`). The
// index may change there; look the link up by name in the target namespace afterwards.
Status setLinkNetNsFd(Socket& sock, int index, int netns_fd);

// Parses "aa:bb:cc:dd:ee:ff" (Go net.ParseMAC for 6-byte addresses, either case, ':' or '-').
Expected<std::vector<uint8_t>> parseMac(std::string_view text);

}  // namespace cni::netlink
