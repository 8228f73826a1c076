// src/pluginkit/spoofcheck.h — MAC spoof check for a bridge port (bridge `macspoofchk`).
//
// The reference's nftables layout (pkg/link/spoofcheck.go), so either implementation can tear
// down the other's rules:
//   table bridge nat
//     chain PREROUTING { type filter hook prerouting priority -300; policy accept; }
//       iifname "<host veth>" jump cni-br-iface-<id> comment "macspoofchk-<id>"
//     chain cni-br-iface-<id>
//       jump cni-br-iface-<id>-mac comment "macspoofchk-<id>"
//     chain cni-br-iface-<id>-mac
//       ether saddr <container mac> return comment "macspoofchk-<id>"
//       drop comment "macspoofchk-<id>"
// <id> = "<containerID>-<ifname>". Frames entering the bridge from the pod's veth with another
// source MAC are dropped.
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/nft/nfsocket.h"

namespace cni::pluginkit {

std::string spoofCheckId(std::string_view container_id, std::string_view ifname);

// One batch: table, base chain, the two per-port chains and their rules.
Status setupSpoofCheck(std::string_view host_iface, std::string_view container_mac,
                       std::string_view id);
// Removes the jump rule(s) in PREROUTING and both per-port chains; absent = success, and
// nothing is sent when there is nothing to remove.
Status teardownSpoofCheck(std::string_view id);
// The same on the caller's socket (keep it open past the veth deletion: see teardownIpMasq).
Status teardownSpoofCheck(nft::NfSocket& sock, std::string_view id);

}  // namespace cni::pluginkit
