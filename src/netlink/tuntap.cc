// src/netlink/tuntap.cc — see tuntap.h.
#include "src/netlink/tuntap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "src/common/unique_fd.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

Status createTuntap(const TuntapOptions& o) {
  if (o.name.empty() || o.name.size() >= IFNAMSIZ) {
    return fail(ErrorCode::kInternal, "invalid tuntap name \"" + o.name + "\"");
  }
  // TUNSETIFF on an existing device attaches instead of failing: look first.
  if (::if_nametoindex(o.name.c_str()) != 0) return fail(kernelError(EEXIST));
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd) return fail(Error(ErrorCode::kInternal, "open /dev/net/tun: " + errnoText(errno)));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, o.name.data(), o.name.size());
  ifr.ifr_flags =
      static_cast<short>((o.mode == TunMode::kTap ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                         (o.multi_queue ? IFF_MULTI_QUEUE : 0) | (o.vnet_hdr ? IFF_VNET_HDR : 0));
  auto ioctlError = [](std::string_view what) {
    return Error(ErrorCode::kInternal, std::string(what) + ": " + errnoText(errno));
  };
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) return fail(ioctlError("TUNSETIFF"));
  if (o.owner && ::ioctl(fd.get(), TUNSETOWNER, static_cast<unsigned long>(*o.owner)) < 0) {
    return fail(ioctlError("TUNSETOWNER"));
  }
  if (o.group && ::ioctl(fd.get(), TUNSETGROUP, static_cast<unsigned long>(*o.group)) < 0) {
    return fail(ioctlError("TUNSETGROUP"));
  }
  // Persistent: the device stays when our fd closes, until it is deleted like any link.
  if (::ioctl(fd.get(), TUNSETPERSIST, 1) < 0) return fail(ioctlError("TUNSETPERSIST"));
  return {};
}

}  // namespace cni::netlink
