// plugins/main/loopback.cc — the loopback plugin: brings `lo` up in the container namespace.
//
// Reference behaviour (plugins/main/loopback, every spec version 0.1.0–1.1.0):
//   ADD   ignores CNI_IFNAME and works on "lo": sets it up, refuses a lo that carries a
//         non-loopback address, and prints either the prevResult (converted to the config's
//         version) or a result describing lo (mac 00:00:00:00:00:00, sandbox = CNI_NETNS, the
//         first IPv4 and first IPv6 address of lo, interface index 0).
//   CHECK fails with "loopback interface is down" unless lo is up.
//   DEL   sets lo down; an empty or no longer existing CNI_NETNS is success.
//   GC/STATUS are not implemented (success, as in Go).
#include <string>

#include "src/common/ip.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/socket.h"
#include "src/netns/netns.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::loopback {
namespace {

constexpr std::string_view kLo = "lo";

struct LoConf {
  skel::NetConf net;
  std::optional<spec::Result> prev_result;
};

// Go wraps these with fmt.Errorf, which turns typed errors into plain ones: skel then reports
// code 999 whatever the inner code was.
Error wrapped(Error e, std::string_view ctx) {
  e.code = ErrorCode::kInternal;
  return std::move(e.withContext(ctx));
}

Expected<LoConf> parseConf(std::string_view stdin_data) {
  LoConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(wrapped(std::move(net.error()), "failed to parse network config"));
  c.net = std::move(*net);
  if (c.net.has_prev_result) {
    auto prev = spec::parsePrevResult(c.net.raw);
    if (!prev) return fail(wrapped(std::move(prev.error()), "failed to parse prevResult"));
    c.prev_result = std::move(**prev);
    // Go also insists that the prevResult converts to the current result version.
    auto current = spec::convertResult(*c.prev_result, spec::kCurrentVersion);
    if (!current) {
      return fail(
          wrapped(std::move(current.error()), "failed to convert result to current version"));
    }
  }
  return c;
}

// The first IPv4 and IPv6 address of lo (what the fresh result reports).
struct LoAddresses {
  std::optional<netlink::Address> v4;
  std::optional<netlink::Address> v6;
};

// Runs inside the container namespace.
Expected<LoAddresses> bringUpLo() {
  CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
  CNI_ASSIGN_OR_RETURN(netlink::Link lo, netlink::getLinkByName(sock, kLo));
  CNI_TRY(netlink::setLinkUp(sock, lo.index));
  LoAddresses out;
  for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    CNI_ASSIGN_OR_RETURN(std::vector<netlink::Address> addrs,
                         netlink::listAddresses(sock, lo.index, family));
    if (addrs.empty()) continue;
    (family == IpFamily::kV4 ? out.v4 : out.v6) = addrs.front();
    // A lo with a routable address is not one we understand: refuse rather than report it.
    for (const netlink::Address& a : addrs) {
      if (!a.ip().isLoopback()) {
        return fail(ErrorCode::kInternal,
                    "loopback interface found with non-loopback address \"" + a.ip().str() + "\"");
      }
    }
  }
  return out;
}

// Go builds a types100 result carrying the *config's* version and prints it with
// PrintResult(result, confVersion): the same-version shortcut of the converter skips any
// conversion, so every non-empty version gets the 1.x shape (no "version" in ips, no "ip4"),
// only the cniVersion string differs. Only an absent cniVersion converts (to 0.1.0's ip4/ip6).
Expected<std::string> freshResult(const skel::CmdArgs& args, const LoConf& conf,
                                  const LoAddresses& addrs) {
  spec::Result r;
  r.cni_version = std::string(spec::kCurrentVersion);
  r.interfaces.push_back(
      spec::Interface{.name = std::string(kLo), .mac = "00:00:00:00:00:00", .sandbox = args.netns});
  for (const auto& a : {addrs.v4, addrs.v6}) {
    if (a) r.ips.push_back(spec::IpConfig{.interface = 0, .address = a->cidr()});
  }
  if (conf.net.cni_version.empty()) {
    CNI_ASSIGN_OR_RETURN(spec::Result converted, spec::convertResult(r, ""));
    return spec::encodeResult(converted);
  }
  OrderedJson j = spec::resultToJson(r);
  j["cniVersion"] = conf.net.cni_version;
  return spec::goMarshal(j, 4);
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(LoConf conf, parseConf(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, netns::NetNs::open(args.netns));
  CNI_ASSIGN_OR_RETURN(LoAddresses addrs, ns.run(bringUpLo));
  if (!conf.prev_result) return freshResult(args, conf, addrs);
  // A chained loopback passes the previous result through, in the config's version.
  CNI_ASSIGN_OR_RETURN(spec::Result out,
                       spec::convertResult(*conf.prev_result, conf.net.cni_version));
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  if (args.netns.empty()) return {};
  // A namespace that is already gone has no lo to take down (kubernetes#43014: DEL may be
  // repeated after the runtime removed the namespace).
  CNI_ASSIGN_OR_RETURN(std::optional<netns::NetNs> ns, netns::NetNs::openIfExists(args.netns));
  if (!ns) return {};
  return ns->run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link lo, netlink::getLinkByName(sock, kLo));
    return netlink::setLinkDown(sock, lo.index);
  });
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, netns::NetNs::open(args.netns));
  return ns.run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link lo, netlink::getLinkByName(sock, kLo));
    if (!lo.isUp()) return fail(ErrorCode::kInternal, "loopback interface is down");
    return {};
  });
}

}  // namespace

// Constant-initialised (no start-up cost); listed in plugins/multicall/registry.cc.
extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "loopback",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
};

}  // namespace cni::plugins::loopback
