// src/netlink/neigh.h — neighbour (ARP/NDP) entries and bridge FDB entries (RTM_*NEIGH).
//
// Both are ndmsg requests: an IP neighbour has family AF_INET/AF_INET6, NDA_DST = the IP and
// NDA_LLADDR = the MAC; an FDB entry has family AF_BRIDGE, NDA_LLADDR = the MAC, optionally
// NDA_VLAN / NDA_DST (vxlan remote), and says whose table it is with NTF_SELF (the device's own
// table, e.g. a vxlan) or NTF_MASTER (the bridge the port belongs to).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/netlink/message.h"
#include "src/netlink/outcome.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

struct Neighbour {
  int index = 0;                 // interface (bridge port for FDB entries)
  std::optional<IpAddress> ip;   // NDA_DST (IP neighbours; vxlan remote for FDB)
  std::vector<uint8_t> mac;      // NDA_LLADDR
  uint16_t state = 0x80;         // NUD_PERMANENT
  uint8_t flags = 0;             // NTF_SELF, NTF_MASTER, ...
  std::optional<uint16_t> vlan;  // NDA_VLAN (FDB)
  int master = 0;                // NDA_MASTER (FDB dumps)
  bool fdb = false;              // family AF_BRIDGE
};

Message buildNeighbourRequest(uint16_t type, uint16_t flags, const Neighbour& n);
Expected<Neighbour> parseNeighbour(const RawMessage& m);

// `ip neigh replace` (create or update): idempotent, as plugins want for static entries.
Status addNeighbour(Socket& sock, const Neighbour& n);
Expected<DeleteResult> delNeighbour(Socket& sock, const Neighbour& n);
// IP neighbours of `family` on `index` (0 = any interface).
Expected<std::vector<Neighbour>> listNeighbours(Socket& sock, IpFamily family, int index = 0);

// `bridge fdb replace <mac> dev <port> [vlan V] master|self`.
Status addFdbEntry(Socket& sock, int port_index, std::span<const uint8_t> mac,
                   std::optional<uint16_t> vlan = std::nullopt, bool self = false);
Expected<DeleteResult> delFdbEntry(Socket& sock, int port_index, std::span<const uint8_t> mac,
                                   std::optional<uint16_t> vlan = std::nullopt, bool self = false);
// FDB entries of port `index` (0 = every port).
Expected<std::vector<Neighbour>> listFdb(Socket& sock, int index = 0);

}  // namespace cni::netlink
