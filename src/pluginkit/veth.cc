// src/pluginkit/veth.cc — see veth.h.
#include "src/pluginkit/veth.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>

#include "src/netlink/link_create.h"
#include "src/netlink/outcome.h"
#include "src/sysctl/sysctl.h"

namespace cni::pluginkit {

std::string randomVethName() {
  uint8_t b[4] = {};
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n > 0)
      got += static_cast<size_t>(n);
    else if (errno != EINTR)
      break;
  }
  char name[16];
  std::snprintf(name, sizeof name, "veth%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
  return name;
}

Expected<netlink::Link> setupVeth(netlink::Socket& host_sock, const VethSpec& spec) {
  const bool random_name = spec.host_name.empty();
  for (int attempt = 0; attempt < 10; ++attempt) {
    netlink::VethOptions o;
    o.host_name = random_name ? randomVethName() : spec.host_name;
    o.peer_name = spec.container_ifname;
    o.peer_netns_fd = spec.container_netns_fd;
    o.mtu = spec.mtu;
    o.peer_mac = spec.container_mac;
    o.host_master = spec.host_master;
    o.host_up = spec.host_up;
    o.txqlen = 0;
    Status created = netlink::createVeth(host_sock, o);
    if (created) {
      (void)sysctl::set(sysctl::ifaceKey(IpFamily::kV6, o.host_name, "accept_ra"), "0");
      auto link = netlink::getLinkByName(host_sock, o.host_name);
      if (!link) {
        return fail(link.error().withContext("failed to lookup \"" + o.host_name + "\""));
      }
      return link;
    }
    if (!netlink::isKernelErrno(created.error(), EEXIST)) {
      return fail(created.error().withContext("failed to make veth pair"));
    }
    // EEXIST names neither end: a taken host name is ours to retry, anything else means the
    // pod already has an interface of that name.
    CNI_ASSIGN_OR_RETURN(auto existing, netlink::findLinkByName(host_sock, o.host_name));
    if (!existing || !random_name) {
      return fail(ErrorCode::kInternal,
                  "container veth name provided (" + spec.container_ifname + ") already exists");
    }
  }
  return fail(ErrorCode::kInternal, "failed to find a unique veth name");
}

}  // namespace cni::pluginkit
