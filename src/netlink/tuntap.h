// src/netlink/tuntap.h — TUN/TAP devices (`ip tuntap add`).
//
// The kernel has no rtnetlink "create" for tun/tap: a device is made by opening /dev/net/tun
// and TUNSETIFF, then made persistent (TUNSETPERSIST) so it outlives the fd, with owner/group
// set for the process that will attach to it (a VM, a userspace network stack). This is what
// Go's netlink.LinkAdd(&Tuntap{...}) does, and what the tap plugin needs. Once it exists, a tap
// is an ordinary link (kind "tun"): rename, move to a netns, delete with link_set.h.
//
// Works on the calling thread's network namespace (the device is created there); run inside
// NetNs::run for a pod namespace.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "src/common/error.h"

namespace cni::netlink {

enum class TunMode { kTun, kTap };

struct TuntapOptions {
  std::string name;  // required (IFNAMSIZ-1 characters at most)
  TunMode mode = TunMode::kTap;
  bool multi_queue = false;    // IFF_MULTI_QUEUE
  bool vnet_hdr = false;       // IFF_VNET_HDR (virtio-net header, for vhost users)
  std::optional<uid_t> owner;  // TUNSETOWNER
  std::optional<gid_t> group;  // TUNSETGROUP
};

// Creates a persistent device. A name already in use fails with "file exists" (checked first:
// TUNSETIFF on an existing tun/tap would silently attach to it instead). No /dev/net/tun (no
// tun module) fails with its errno text, prefixed "open /dev/net/tun".
Status createTuntap(const TuntapOptions& o);

}  // namespace cni::netlink
