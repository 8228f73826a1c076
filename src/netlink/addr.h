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
#include "src/netlink/outcome.h"
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

// Everything `ip addr add|replace` can say that the plugins use.
struct AddressOptions {
  uint8_t scope = 0;     // RT_SCOPE_UNIVERSE
  uint32_t flags = 0;    // IFA_F_NODAD, IFA_F_NOPREFIXROUTE, ... (sent as IFA_FLAGS: all 32 bits)
  bool replace = false;  // NLM_F_REPLACE instead of NLM_F_EXCL (`ip addr replace`)
  std::optional<IpAddress> peer;       // point-to-point peer (IFA_ADDRESS), else = address
  std::optional<IpAddress> broadcast;  // IPv4 IFA_BROADCAST
  std::string label;                   // IPv4 IFA_LABEL (must start with the device name)
};
// Pass a named AddressOptions (a bare `{}` would be ambiguous with the scope overload).
Status addAddress(Socket& sock, int index, const IpPrefix& prefix, const AddressOptions& opts);
Status replaceAddress(Socket& sock, int index, const IpPrefix& prefix, AddressOptions opts);
// delAddress that reports an absent address (EADDRNOTAVAIL) as kNotFound.
Expected<DeleteResult> removeAddress(Socket& sock, int index, const IpPrefix& prefix);
// The RTM_NEWADDR request addAddress() sends (exposed for byte-level tests).
Message buildAddressRequest(int index, const IpPrefix& prefix, const AddressOptions& opts);

// Decodes one RTM_NEWADDR message.
Expected<Address> parseAddress(const RawMessage& m);

}  // namespace cni::netlink
