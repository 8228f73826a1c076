// src/pluginkit/masq.h — IP masquerade for pod addresses (bridge/ptp `ipMasq`), in nftables.
//
// Byte-for-byte the layout of the Go reference's nftables backend (pkg/ip ipmasq_nftables):
//   table inet cni_plugins_masquerade (comment "Masquerading for plugins from
//       github.com/containernetworking/plugins")
//     chain masq_checks (comment "Masquerade traffic from certain IPs to any (non-multicast) IP
//         outside their subnet")
//       ip saddr <ip> ip daddr != <subnet> masquerade comment "<instance hash>, net: <net>,
//           if: <ifname>, id: <cid>"                        (one rule per pod address)
//     chain postrouting { type nat hook postrouting priority srcnat; }
//       ip daddr 224.0.0.0/4 return; ip6 daddr ff00::/8 return; goto masq_checks
// <instance hash> = hex(sha512(net))[0:16] + "-" + hex(sha512(ifname + ":" + cid))[0:16]; the
// comment is cut at 128 bytes. Teardown and GC find rules by that prefix, so they need neither
// the addresses nor the link (the reference leaks the rules when the link is already gone; we
// do not). A node switching from the reference finds its rules and removes them the same way.
// `ipMasqBackend: "iptables"` is served by these same rules (no iptables binary needed).
//
// Every operation is one atomic batch that cannot fail on an absent object (look first).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/nft/nfsocket.h"
#include "src/spec/cni_args.h"

namespace cni::pluginkit {

inline constexpr std::string_view kMasqTable = "cni_plugins_masquerade";
inline constexpr std::string_view kMasqChain = "masq_checks";

// hashForNetwork / hashForInstance / commentForInstance of the reference.
std::string masqNetworkHash(std::string_view network);
std::string masqInstanceHash(std::string_view network, std::string_view ifname,
                             std::string_view container_id);
std::string masqComment(std::string_view network, std::string_view ifname,
                        std::string_view container_id);

// ADD: ensures table/chains (postrouting flushed and rewritten, as the reference does), drops
// stale rules of the same instance and adds one rule per address (host bits of each prefix
// give the pod IP, the prefix its subnet). One batch.
Status setupIpMasq(std::string_view network, std::string_view ifname, std::string_view container_id,
                   const std::vector<IpPrefix>& addresses);
// DEL: removes the instance's rules; nothing there = success, and nothing is sent.
Status teardownIpMasq(std::string_view network, std::string_view ifname,
                      std::string_view container_id);
// The same on the caller's socket. Closing a netfilter socket right after a deletion waits for
// nf_tables' deferred destroy (a grace period, ~10-16 ms); a DEL that keeps the socket open
// until after it deleted the pod's veth gets that wait for free under the veth's own grace
// period (docs kernel-floor).
Status teardownIpMasq(nft::NfSocket& sock, std::string_view network, std::string_view ifname,
                      std::string_view container_id);

struct Attachment {
  std::string container_id;
  std::string ifname;
};
// GC: removes the network's rules whose comment is not that of a valid attachment.
// Returns how many rules were removed.
Expected<size_t> gcIpMasq(std::string_view network, const std::vector<Attachment>& valid);

}  // namespace cni::pluginkit
