// src/nft/conntrack.h — the little of ctnetlink (the kernel's conntrack table over
// NETLINK_NETFILTER, subsystem NFNL_SUBSYS_CTNETLINK) that plugins need: flushing the stale
// entries of one L4 destination port.
//
// Why: a UDP client that kept sending to a host port before a DNAT rule existed has a conntrack
// entry that is NOT NATed; new rules never apply to an existing entry, so its packets keep going
// to the host until the entry times out (portmap's "conntrack blackholing"). Deleting the entries
// lets the next packet create a fresh, NATed one.
//
// The kernel's CT_DELETE takes one full tuple (a delete without a tuple flushes the whole
// table), so we dump the family's table, pick the entries whose ORIGINAL tuple matches, and
// delete each by the tuple (and zone) the kernel reported. An entry that expires in between
// (ENOENT) is not an error. The socket belongs to the calling thread's network namespace.
#pragma once

#include <cstddef>
#include <cstdint>

#include "src/common/error.h"
#include "src/common/ip.h"

namespace cni::nft {

// Deletes every conntrack entry of `family` whose original-direction tuple is L4 protocol
// `proto` (IPPROTO_UDP, IPPROTO_TCP, IPPROTO_SCTP) with destination port `dport`. Returns how
// many entries were deleted.
Expected<size_t> deleteConntrackByDport(IpFamily family, uint8_t proto, uint16_t dport);

// Counts the entries deleteConntrackByDport would delete (tests, diagnostics).
Expected<size_t> countConntrackByDport(IpFamily family, uint8_t proto, uint16_t dport);

}  // namespace cni::nft
