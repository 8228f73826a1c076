// src/pluginkit/pod_link.h — the steps every "one link in the pod" plugin shares (macvlan,
// ipvlan, vlan, dummy, tap, host-device): what Go's plugins repeat in each main package.
//
//   ADD    open CNI_NETNS (Go's error text), undo = delete CNI_IFNAME in the pod, IPAM ADD
//          with its undo, every IP on interface 0, the notify sysctls, configureIface
//   DEL    delete CNI_IFNAME in the pod when the namespace and the link are still there
//   CHECK  the prevResult in the current version and its container interface; the link's
//          kind and MAC against it (the wording of each plugin is kept: Go's texts differ)
//   GC / STATUS  the IPAM plugin's, when there is one
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/common/rollback.h"
#include "src/netlink/link.h"
#include "src/netlink/socket.h"
#include "src/netns/netns.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/result.h"

namespace cni::pluginkit {

// NetNs::open(CNI_NETNS), failing as Go does: `failed to open netns "<path>": <why>`.
Expected<netns::NetNs> openPodNetns(std::string_view path);

// Registers, in `undo`, the deletion of link `ifname` inside `pod` (which must outlive `undo`).
void undoPodLink(Rollback& undo, const netns::NetNs& pod, std::string ifname);

// IPAM ADD through `ipam_type` with its release registered in `undo`; a result without IPs
// fails as Go does ("IPAM plugin returned missing IP config"). Every IP is put on interface 0.
// `ctx` prefixes an IPAM failure (vlan: "failed to execute IPAM delegate").
Expected<spec::Result> ipamAddWithUndo(const std::string& ipam_type, const skel::CmdArgs& args,
                                       Rollback& undo, std::string_view ctx = {});

// Gratuitous ARP / unsolicited NA when the link comes up, as the reference sets before
// configuring addresses (so neighbours learn the new MAC at once).
struct Notify {
  bool arp = false;
  bool ndisc = false;
};
// configureIface(CNI_IFNAME, result) inside `pod`, after the requested notify sysctls.
Status configurePodIface(const netns::NetNs& pod, const std::string& ifname,
                         const spec::Result& result, Notify notify = {});

// L2 only (no IPAM): sets CNI_IFNAME up inside `pod`, with Go's texts.
Status setPodLinkUp(const netns::NetNs& pod, const std::string& ifname);

// DEL's link step: deletes CNI_IFNAME in CNI_NETNS. An empty or vanished CNI_NETNS or a missing
// link is success (DEL is idempotent; the runtime may have removed the namespace first).
Status deletePodLink(const skel::CmdArgs& args);

// How a plugin words its CHECK failures (Go's texts differ between plugins).
struct CheckWording {
  std::string_view prefix;  // "vlan: ", "dummy: ", or ""
  bool lower = false;       // macvlan starts its messages in lower case
};

// CHECK's prologue: prevResult present (else "<prefix>Required prevResult missing"), converted to
// the current version, and the interface named CNI_IFNAME whose sandbox is CNI_NETNS (else
// "Sandbox in prevResult ... doesn't match configured netns: ...").
struct PrevPodIface {
  spec::Result result;
  spec::Interface iface;
};
Expected<PrevPodIface> prevPodIface(const skel::NetConf& net, const skel::CmdArgs& args,
                                    CheckWording w = {});

// Inside the pod (on `sock`): the link of `iface` exists, is of `kind` (skipped when empty) and
// has the prevResult's MAC (when it has one). Returns the link.
Expected<netlink::Link> checkPodLink(netlink::Socket& sock, const spec::Interface& iface,
                                     std::string_view kind, CheckWording w = {});

// Runs f(sock) on a socket of the namespace the master (lower) device lives in: the node's, or
// the pod's with linkInContainer (Go's netns.Do around the master lookup).
template <class F>
auto inMasterNs(bool link_in_container, const netns::NetNs* pod, F&& f) {
  using R = decltype(f(std::declval<netlink::Socket&>()));
  auto body = [&]() -> R {
    CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
    return f(sock);
  };
  if (link_in_container && pod != nullptr) return R(pod->run(body));
  return body();
}

// The master device, failing with Go's text `failed to lookup master "<name>": <why>`.
Expected<netlink::Link> lookupMaster(netlink::Socket& sock, std::string_view name);

// A link just created inside `pod` under the temporary name `tmp` is renamed to `ifname` (and
// deleted if that fails), as Go does for macvlan/ipvlan/vlan; returns its MAC. `kind` is the
// word in Go's messages ("failed to rename macvlan to ...").
Expected<std::string> renameTempLink(const netns::NetNs& pod, std::string_view tmp,
                                     const std::string& ifname, std::string_view kind);

// GC and STATUS of a plugin whose only state is its IPAM's: delegated, or nothing without IPAM.
Status ipamGcIfAny(const skel::NetConf& net, const skel::CmdArgs& args);
Status ipamStatusIfAny(const skel::NetConf& net, const skel::CmdArgs& args);

}  // namespace cni::pluginkit
