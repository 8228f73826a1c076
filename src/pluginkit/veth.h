// src/pluginkit/veth.h — the veth pair of a pod (Go pkg/ip.SetupVeth, done the fast way).
//
// The reference creates the pair inside the pod namespace and moves the host end out, which
// costs an RCU barrier (~20 ms) per pod. We create it from the host namespace with the peer
// placed directly in the pod namespace (IFLA_NET_NS_FD in VETH_INFO_PEER), the host end already
// UP and enslaved to its bridge in the same message (docs kernel-floor).
//
// As the reference: both ends get txqueuelen 0 (Go's netlink sends the zero value of the field;
// veths have no qdisc of their own, so it only becomes a queue limit once a shaper is
// attached), and the host end accept_ra=0 (its routes are the plugin's).
// Host end names are the reference's: "veth" + 8 random hex digits, retried on collision (10
// attempts, then "failed to find a unique veth name"); a pod-side name already taken in the pod
// namespace is "container veth name provided (eth0) already exists".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/netlink/link.h"
#include "src/netlink/socket.h"

namespace cni::pluginkit {

struct VethSpec {
  std::string container_ifname;        // name inside the pod namespace
  int container_netns_fd = -1;         // the pod namespace (-1 = the host namespace itself)
  uint32_t mtu = 0;                    // both ends; 0 = kernel default
  std::vector<uint8_t> container_mac;  // empty = kernel-chosen
  int host_master = 0;                 // bridge to enslave the host end to (0 = none)
  bool host_up = true;
  std::string host_name;  // "" = random "vethXXXXXXXX"
};

// Creates the pair; returns the host end as the kernel reports it (index, name, MAC).
Expected<netlink::Link> setupVeth(netlink::Socket& host_sock, const VethSpec& spec);

// "veth" + 8 lowercase hex digits from the kernel's random source.
std::string randomVethName();

}  // namespace cni::pluginkit
