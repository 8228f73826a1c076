// src/netlink/addr.h — rtnetlink interface addresses (RTM_GETADDR / RTM_NEWADDR / RTM_DELADDR).
//
// Address semantics follow Go's netlink.AddrList, which the reference plugins report from:
// the address of an entry is IFA_LOCAL when present (for IPv4 IFA_ADDRESS is the *peer* on
// point-to-point links), otherwise IFA_ADDRESS; the prefix length comes from the ifaddrmsg.
// Values use the Go-text IP types of src/common/ip.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

struct Address {
  int index = 0;                  // interface index
  IpPrefix prefix;                // address (IFA_LOCAL, else IFA_ADDRESS) + prefix length
  std::optional<IpAddress> peer;  // IFA_ADDRESS when it differs from IFA_LOCAL (point-to-point)
  uint8_t scope = 0;              // RT_SCOPE_UNIVERSE / LINK / HOST
  uint32_t flags = 0;             // IFA_F_* (from IFA_FLAGS when present: all 32 bits)
  std::string label;              // IFA_LABEL (IPv4 only)

  const IpAddress& ip() const { return prefix.address(); }
  IpFamily family() const { return prefix.family(); }
  // "127.0.0.1/8" (Go's net.IPNet.String()).
  std::string cidr() const { return prefix.str(); }
};

// Addresses on interface `index` (0 = all interfaces) of `family` (nullopt = both), in the
// kernel's dump order (IPv4 before IPv6). The kernel filters by index and fails with
// "no such device" when interface `index` does not exist.
Expected<std::vector<Address>> listAddresses(Socket& sock, int index,
                                             std::optional<IpFamily> family = std::nullopt);

// `ip addr add|del <prefix> dev <index>`; add uses scope universe unless given.
Status addAddress(Socket& sock, int index, const IpPrefix& prefix, uint8_t scope = 0);
Status delAddress(Socket& sock, int index, const IpPrefix& prefix);

// Decodes one RTM_NEWADDR message.
Expected<Address> parseAddress(const RawMessage& m);

}  // namespace cni::netlink
