// src/pluginkit/pod_link.cc — the shared steps of the one-link plugins (see pod_link.h).
#include "src/pluginkit/pod_link.h"

#include <cctype>

#include "src/netlink/link_set.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/pluginkit/plain_error.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"
#include "src/sysctl/sysctl.h"

namespace cni::pluginkit {
namespace {

using netlink::Socket;

// Go's message `text` in the plugin's wording.
std::string worded(const CheckWording& w, std::string text) {
  if (w.lower && !text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return std::string(w.prefix) + text;
}

}  // namespace

Expected<netns::NetNs> openPodNetns(std::string_view path) {
  auto ns = netns::NetNs::open(path);
  if (!ns) return fail(plainError(ns.error(), "failed to open netns " + spec::goQuote(path)));
  return std::move(*ns);
}

void undoPodLink(Rollback& undo, const netns::NetNs& pod, std::string ifname) {
  undo.add([&pod, ifname = std::move(ifname)] {
    (void)pod.run([&]() -> Status {
      CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
      CNI_TRY(netlink::deleteLinkByName(s, ifname));
      return {};
    });
  });
}

Expected<spec::Result> ipamAddWithUndo(const std::string& ipam_type, const skel::CmdArgs& args,
                                       Rollback& undo, std::string_view ctx) {
  auto ipam = ipamAdd(ipam_type, args);
  if (!ipam) return fail(ctx.empty() ? ipam.error() : plainError(ipam.error(), ctx));
  undo.add([ipam_type, &args] { (void)ipamDel(ipam_type, args); });
  if (ipam->ips.empty()) return fail(plainError("IPAM plugin returned missing IP config"));
  for (spec::IpConfig& ipc : ipam->ips) ipc.interface = 0;
  return std::move(*ipam);
}

Status configurePodIface(const netns::NetNs& pod, const std::string& ifname,
                         const spec::Result& result, Notify notify) {
  return pod.run([&]() -> Status {
    if (notify.arp) (void)sysctl::set(sysctl::ifaceKey(IpFamily::kV4, ifname, "arp_notify"), "1");
    if (notify.ndisc) {
      (void)sysctl::set(sysctl::ifaceKey(IpFamily::kV6, ifname, "ndisc_notify"), "1");
    }
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    return configureIface(s, ifname, result);
  });
}

Status setPodLinkUp(const netns::NetNs& pod, const std::string& ifname) {
  return pod.run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    auto l = netlink::getLinkByName(s, ifname);
    if (!l) {
      return fail(plainError(l.error(), "failed to find interface name " + spec::goQuote(ifname)));
    }
    if (Status st = netlink::setLinkUp(s, l->index); !st) {
      return fail(plainError(st.error(), "failed to set " + spec::goQuote(ifname) + " UP"));
    }
    return {};
  });
}

Status deletePodLink(const skel::CmdArgs& args) {
  if (args.netns.empty()) return {};
  CNI_ASSIGN_OR_RETURN(auto ns, netns::NetNs::openIfExists(args.netns));
  if (!ns) return {};  // the runtime removed the namespace first: the link went with it
  return ns->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(auto gone, netlink::deleteLinkByName(s, args.ifname));
    (void)gone;  // kNotFound: a repeated DEL
    return {};
  });
}

Expected<PrevPodIface> prevPodIface(const skel::NetConf& net, const skel::CmdArgs& args,
                                    CheckWording w) {
  if (!net.has_prev_result) return fail(plainError(worded(w, "Required prevResult missing")));
  CNI_ASSIGN_OR_RETURN(auto prev, spec::parsePrevResult(net.raw));
  PrevPodIface out;
  CNI_ASSIGN_OR_RETURN(out.result, spec::convertResult(*prev, spec::kCurrentVersion));
  for (const spec::Interface& intf : out.result.interfaces) {
    if (intf.name == args.ifname && intf.sandbox == args.netns) out.iface = intf;
  }
  if (out.iface.sandbox != args.netns) {
    // Go says "Sandbox" here whatever its other messages look like, except macvlan.
    return fail(plainError(worded({.lower = w.lower}, "Sandbox in prevResult ") +
                           out.iface.sandbox + " doesn't match configured netns: " + args.netns));
  }
  return out;
}

Expected<netlink::Link> checkPodLink(Socket& sock, const spec::Interface& iface,
                                     std::string_view kind, CheckWording w) {
  auto l = netlink::getLinkByName(sock, iface.name);
  if (!l) {
    return fail(plainError(
        worded(w, "Container Interface name in prevResult: " + iface.name + " not found")));
  }
  if (!kind.empty() && l->kind != kind) {
    return fail(plainError(worded({.lower = w.lower}, "Error: Container interface ") + l->name +
                           " not of type " + std::string(kind)));
  }
  if (!iface.mac.empty() && iface.mac != l->macString()) {
    return fail(plainError(worded(w, "Interface " + iface.name + " Mac " + iface.mac +
                                         " doesn't match container Mac: " + l->macString())));
  }
  return std::move(*l);
}

Expected<netlink::Link> lookupMaster(Socket& sock, std::string_view name) {
  auto m = netlink::getLinkByName(sock, name);
  if (!m) {
    return fail(
        plainError("failed to lookup master " + spec::goQuote(name) + ": " + m.error().msg));
  }
  return std::move(*m);
}

Expected<std::string> renameTempLink(const netns::NetNs& pod, std::string_view tmp,
                                     const std::string& ifname, std::string_view kind) {
  return pod.run([&]() -> Expected<std::string> {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, tmp));
    if (Status st = netlink::setLinkName(s, l.index, ifname); !st) {
      (void)netlink::deleteLink(s, l.index);
      return fail(plainError(
          st.error(), "failed to rename " + std::string(kind) + " to " + spec::goQuote(ifname)));
    }
    auto now = netlink::getLinkByName(s, ifname);
    if (!now) {
      return fail(plainError(
          now.error(), "failed to refetch " + std::string(kind) + " " + spec::goQuote(ifname)));
    }
    return now->macString();
  });
}

Status ipamGcIfAny(const skel::NetConf& net, const skel::CmdArgs& args) {
  if (net.ipam_type.empty()) return {};
  return ipamGc(net.ipam_type, args);
}

Status ipamStatusIfAny(const skel::NetConf& net, const skel::CmdArgs& args) {
  if (net.ipam_type.empty()) return {};
  return ipamStatus(net.ipam_type, args);
}

}  // namespace cni::pluginkit
