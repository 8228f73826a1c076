// plugins/main/host_device.cc — the host-device plugin (reference doc §6.6): moves an existing
// node interface into the pod namespace under CNI_IFNAME, and back on DEL.
//
//   ADD    the device (by `device` name, `hwaddr`, `kernelpath`, `pciBusID` or
//          runtimeConfig.deviceID — a PCI or auxiliary device) is moved into a private
//          temporary namespace, renamed to CNI_IFNAME there with its original name saved as the
//          link alias, moved into the pod namespace and set up. The temporary namespace is the
//          reference's way to rename without colliding with names in either namespace (and
//          without the udev races a temporary name caused). Then IPAM (optional). Every
//          failure undoes the steps taken: the device returns to the node under its name and
//          up state, the lease is released. A device bound to a DPDK driver (vfio-pci,
//          uio_pci_generic, igb_uio) is not a netdev: nothing moves, the result only reports it.
//   DEL    IPAM release, then the reverse trip: pod -> temporary namespace -> renamed to the
//          alias, alias cleared -> node namespace, left down (its previous state is unknown).
//   CHECK  IPAM CHECK, the pod interface exists with the prevResult's MAC, addresses, routes.
//   GC / STATUS: the IPAM plugin's, when there is one.
//
// Differences from Go, on purpose (DEL must be idempotent, SPEC "DEL"):
//   * an empty or vanished CNI_NETNS releases the IPAM lease and succeeds (Go returns before
//     the IPAM DEL on an empty CNI_NETNS, leaking the address — plugins#1196 — and fails on a
//     vanished path). When the runtime deletes the namespace first, the kernel moves a physical
//     device back to the initial namespace by itself (under its pod name); virtual devices
//     (veth, ...) are destroyed with the namespace. Nothing is left for DEL to do either way.
//   * the interface no longer being in the pod (a repeated DEL) is success, not "failed to find".
//   * a failure after the move (IPAM, addresses) moves the device back (Go leaves it in the pod).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <thread>

#include "src/common/rollback.h"
#include "src/common/unique_fd.h"
#include "src/netlink/link.h"
#include "src/netlink/link_set.h"
#include "src/netns/netns.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/iface.h"
#include "src/pluginkit/ipam_exec.h"
#include "src/pluginkit/plain_error.h"
#include "src/pluginkit/pod_link.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/go_text.h"
#include "src/spec/version.h"

namespace cni::plugins::host_device {

using pluginkit::plainError;
namespace {

namespace fs = std::filesystem;
using netlink::Link;
using netlink::Socket;
using netns::NetNs;

constexpr std::string_view kSysBusPci = "/sys/bus/pci/devices";
constexpr std::string_view kSysBusAuxiliary = "/sys/bus/auxiliary/devices";
// Drivers that hand a NIC to userspace (DPDK): such a device has no netdev to move.
constexpr std::array<std::string_view, 3> kUserspaceDrivers = {"vfio-pci", "uio_pci_generic",
                                                               "igb_uio"};

struct HostDeviceConf {
  skel::NetConf net;
  std::string device;       // "device"
  std::string hwaddr;       // "hwaddr"
  std::string kernel_path;  // "kernelpath"
  std::string pci_addr;     // "pciBusID" (or runtimeConfig.deviceID naming a PCI device)
  std::string aux_device;   // runtimeConfig.deviceID naming an auxiliary device
  bool dpdk = false;
  spec::Dns dns;
};

std::string errnoText(const std::error_code& ec) { return netlink::errnoText(ec.value()); }

// Go hasDpdkDriver: the basename of the PCI device's driver link.
Expected<bool> hasDpdkDriver(const std::string& pci) {
  const fs::path link = fs::path(kSysBusPci) / pci / "driver";
  std::error_code ec;
  fs::path target = fs::canonical(link, ec);
  if (ec) return fail(plainError("lstat " + link.string() + ": " + errnoText(ec)));
  const std::string name = target.filename().string();
  for (std::string_view d : kUserspaceDrivers) {
    if (name == d) return true;
  }
  return false;
}

Expected<HostDeviceConf> loadConf(std::string_view stdin_data) {
  HostDeviceConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError("failed to load netconf: " + net.error().msg));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "NetConf");
  Status s = f.string("device", &c.device);
  if (s) s = f.string("hwaddr", &c.hwaddr);
  if (s) s = f.string("kernelpath", &c.kernel_path);
  if (s) s = f.string("pciBusID", &c.pci_addr);
  std::string device_id;
  if (const Json* rc = spec::findKey(c.net.raw, "runtimeConfig"); s && rc && rc->is_object()) {
    s = pluginkit::FieldReader(*rc, "NetConf.runtimeConfig").string("deviceID", &device_id);
  }
  if (!s) return fail(plainError("failed to load netconf: " + s.error().msg));
  // runtimeConfig.deviceID (device plugins) overrides the static selection.
  if (!device_id.empty()) {
    std::error_code ec;
    if (fs::exists(fs::path(kSysBusPci) / device_id, ec)) {
      c.pci_addr = device_id;
    } else if (fs::exists(fs::path(kSysBusAuxiliary) / device_id, ec)) {
      c.pci_addr.clear();
      c.aux_device = device_id;
    } else {
      return fail(plainError("runtime config DeviceID " + device_id + " not found or unsupported"));
    }
  }
  if (c.device.empty() && c.hwaddr.empty() && c.kernel_path.empty() && c.pci_addr.empty() &&
      c.aux_device.empty()) {
    return fail(plainError(R"(specify either "device", "hwaddr", "kernelpath" or "pciBusID")"));
  }
  if (!c.pci_addr.empty()) {
    auto dpdk = hasDpdkDriver(c.pci_addr);
    if (!dpdk) return fail(plainError(dpdk.error(), "error with host device"));
    c.dpdk = *dpdk;
  }
  if (auto d = pluginkit::configDns(c.net.raw)) c.dns = *d;
  return c;
}

// Go linkFromPath: the first network device listed in a sysfs "net" directory.
Expected<Link> linkFromPath(Socket& sock, const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return fail(plainError("failed to read directory " + dir.string() + ": " +
                           spec::goQuote("open " + dir.string() + ": " + errnoText(ec))));
  }
  std::vector<std::string> names;
  for (const fs::directory_entry& e : it) names.push_back(e.path().filename().string());
  if (names.empty()) {
    return fail(plainError("failed to find network device in path " + dir.string()));
  }
  std::ranges::sort(names);  // os.ReadDir returns entries sorted by name
  return netlink::getLinkByName(sock, names.front());
}

// Go getLink: the node device the config selects.
Expected<Link> findHostDevice(Socket& sock, const HostDeviceConf& c) {
  if (!c.device.empty()) return netlink::getLinkByName(sock, c.device);
  if (!c.hwaddr.empty()) {
    auto mac = netlink::parseMac(c.hwaddr);
    if (!mac) {
      return fail(plainError("failed to parse MAC address " + spec::goQuote(c.hwaddr) + ": " +
                             mac.error().msg));
    }
    CNI_ASSIGN_OR_RETURN(auto links, netlink::listLinks(sock));
    for (Link& l : links) {
      if (l.mac == *mac) return std::move(l);
    }
  } else if (!c.kernel_path.empty()) {
    if (!fs::path(c.kernel_path).is_absolute() || !c.kernel_path.starts_with("/sys/devices/")) {
      return fail(plainError("kernel device path " + spec::goQuote(c.kernel_path) +
                             " must be absolute and begin with /sys/devices/"));
    }
    return linkFromPath(sock, fs::path(c.kernel_path) / "net");
  } else if (!c.pci_addr.empty()) {
    fs::path net_dir = fs::path(kSysBusPci) / c.pci_addr / "net";
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(net_dir, ec))) {
      // virtio devices keep their netdev one level down (…/virtio<N>/net).
      std::vector<fs::path> matches;
      for (const auto& e : fs::directory_iterator(fs::path(kSysBusPci) / c.pci_addr, ec)) {
        if (e.path().filename().string().starts_with("virtio") &&
            fs::exists(e.path() / "net", ec)) {
          matches.push_back(e.path() / "net");
        }
      }
      if (matches.empty())
        return fail(plainError("no net directory under pci device " + c.pci_addr));
      std::ranges::sort(matches);
      net_dir = matches.front();
    }
    return linkFromPath(sock, net_dir);
  } else if (!c.aux_device.empty()) {
    return linkFromPath(sock, fs::path(kSysBusAuxiliary) / c.aux_device / "net");
  }
  return fail(plainError("failed to find physical interface"));
}

// A fresh, unnamed network namespace (Go ns.TempNetNS): made by unshare() on a throwaway thread
// and kept alive by an fd only, so it disappears with the plugin.
Expected<NetNs> tempNetNs() {
  int fd = -1;
  int err = 0;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) err = errno;
  }).join();
  if (fd < 0) return fail(plainError("failed to create tempNS: " + netlink::errnoText(err)));
  UniqueFd hold(fd);
  return NetNs::open("/proc/self/fd/" + std::to_string(fd));
}

// Runs f(sock) inside `ns` on a socket of that namespace.
template <class F>
auto inNs(const NetNs& ns, F&& f) {
  using R = decltype(f(std::declval<Socket&>()));
  return R(ns.run([&]() -> R {
    CNI_ASSIGN_OR_RETURN(Socket s, Socket::open());
    return f(s);
  }));
}

// Moves the link called `name` in `from` to `to` (best effort, for rollbacks).
void moveBack(const NetNs& from, std::string_view name, const NetNs& to) {
  (void)inNs(from, [&](Socket& s) -> Status {
    CNI_ASSIGN_OR_RETURN(Link l, netlink::getLinkByName(s, name));
    return netlink::setLinkNetNsFd(s, l.index, to.fd());
  });
}

// Go moveLinkIn: node -> temp (rename, alias) -> pod, set up. Returns the pod link.
Expected<Link> moveLinkIn(const Link& host_dev, const NetNs& host, const NetNs& pod,
                          const std::string& ifname) {
  const std::string host_name = host_dev.name;
  CNI_ASSIGN_OR_RETURN(NetNs temp, tempNetNs());
  Rollback undo;
  if (host_dev.isUp()) {
    // Moving a device between namespaces sets it down: restore that on failure.
    undo.add([&] {
      (void)inNs(host, [&](Socket& s) -> Status {
        CNI_ASSIGN_OR_RETURN(Link l, netlink::getLinkByName(s, host_name));
        return netlink::setLinkUp(s, l.index);
      });
    });
  }
  CNI_TRY(inNs(host, [&](Socket& s) -> Status {
    if (Status st = netlink::setLinkNetNsFd(s, host_dev.index, temp.fd()); !st) {
      return fail(
          plainError(st.error(), "failed to move " + spec::goQuote(host_name) + " to tempNS"));
    }
    return {};
  }));
  // A non-empty temporary namespace must never just be dropped: a physical device would go to
  // the initial namespace, a virtual one would be destroyed.
  undo.add([&] { moveBack(temp, host_name, host); });
  CNI_TRY(inNs(temp, [&](Socket& s) -> Status {
    auto dev = netlink::getLinkByName(s, host_name);
    if (!dev) {
      return fail(
          plainError(dev.error(), "failed to find " + spec::goQuote(host_name) + " in tempNS"));
    }
    if (Status st = netlink::setLinkName(s, dev->index, ifname); !st) {
      return fail(plainError(st.error(), "failed to rename host device " +
                                             spec::goQuote(host_name) + " to " +
                                             spec::goQuote(ifname)));
    }
    return {};
  }));
  // Undo steps run in reverse: name and alias back first, then the move back to the node.
  undo.add([&] {
    (void)inNs(temp, [&](Socket& s) -> Status {
      CNI_ASSIGN_OR_RETURN(Link l, netlink::getLinkByName(s, ifname));
      (void)netlink::setLinkAlias(s, l.index, "");
      return netlink::setLinkName(s, l.index, host_name);
    });
  });
  CNI_TRY(inNs(temp, [&](Socket& s) -> Status {
    CNI_ASSIGN_OR_RETURN(Link dev, netlink::getLinkByName(s, ifname));
    if (Status st = netlink::setLinkAlias(s, dev.index, host_name); !st) {
      return fail(plainError(st.error(), "failed to set alias to " + spec::goQuote(host_name)));
    }
    if (Status st = netlink::setLinkNetNsFd(s, dev.index, pod.fd()); !st) {
      return fail(plainError(st.error(), "failed to move " + spec::goQuote(ifname) + " (host: " +
                                             spec::goQuote(host_name) + ") to container NS"));
    }
    return {};
  }));
  undo.add([&] { moveBack(pod, ifname, temp); });
  CNI_ASSIGN_OR_RETURN(
      Link cont, inNs(pod, [&](Socket& s) -> Expected<Link> {
        auto dev = netlink::getLinkByName(s, ifname);
        if (!dev) {
          return fail(plainError(dev.error(),
                                 "failed to find " + spec::goQuote(ifname) + " in container NS"));
        }
        if (Status st = netlink::setLinkUp(s, dev->index); !st) {
          return fail(plainError(st.error(), "failed to set " + spec::goQuote(ifname) + " up"));
        }
        return netlink::getLinkByIndex(s, dev->index);
      }));
  undo.commit();
  return cont;
}

// Go moveLinkOut: pod -> temp (name from the alias, alias cleared) -> node, left down.
// A link already gone from the pod is success (a repeated DEL).
Status moveLinkOut(const NetNs& host, const NetNs& pod, const std::string& ifname) {
  CNI_ASSIGN_OR_RETURN(
      auto found, inNs(pod, [&](Socket& s) -> Expected<std::optional<Link>> {
        auto dev = netlink::findLinkByName(s, ifname);
        if (!dev) {
          return fail(plainError(dev.error(),
                                 "failed to find " + spec::goQuote(ifname) + " in containerNS"));
        }
        return *dev;
      }));
  if (!found) return {};
  const Link cont = *found;
  if (cont.alias.empty()) {
    return fail(plainError("failed to find original ifname for " + spec::goQuote(ifname) +
                           " (alias is not set)"));
  }
  const std::string host_name = cont.alias;
  CNI_ASSIGN_OR_RETURN(NetNs temp, tempNetNs());
  Rollback undo;
  if (cont.isUp()) {
    undo.add([&] {
      (void)inNs(pod, [&](Socket& s) -> Status {
        CNI_ASSIGN_OR_RETURN(Link l, netlink::getLinkByName(s, ifname));
        return netlink::setLinkUp(s, l.index);
      });
    });
  }
  CNI_TRY(inNs(pod, [&](Socket& s) -> Status {
    if (Status st = netlink::setLinkNetNsFd(s, cont.index, temp.fd()); !st) {
      return fail(plainError(st.error(), "failed to move " + spec::goQuote(ifname) + " to tempNS"));
    }
    return {};
  }));
  undo.add([&] { moveBack(temp, ifname, pod); });
  CNI_TRY(inNs(temp, [&](Socket& s) -> Status {
    auto dev = netlink::getLinkByName(s, ifname);
    if (!dev) {
      return fail(
          plainError(dev.error(), "failed to find " + spec::goQuote(ifname) + " in tempNS"));
    }
    if (Status st = netlink::setLinkName(s, dev->index, host_name); !st) {
      return fail(plainError(st.error(), "failed to rename device " + spec::goQuote(ifname) +
                                             " to " + spec::goQuote(host_name)));
    }
    return {};
  }));
  undo.add([&] {
    (void)inNs(temp, [&](Socket& s) -> Status {
      CNI_ASSIGN_OR_RETURN(Link l, netlink::getLinkByName(s, host_name));
      (void)netlink::setLinkAlias(s, l.index, host_name);
      return netlink::setLinkName(s, l.index, ifname);
    });
  });
  CNI_TRY(inNs(temp, [&](Socket& s) -> Status {
    CNI_ASSIGN_OR_RETURN(Link dev, netlink::getLinkByName(s, host_name));
    if (Status st = netlink::setLinkAlias(s, dev.index, ""); !st) {
      return fail(plainError(st.error(), "failed to unset alias of " + spec::goQuote(host_name)));
    }
    if (Status st = netlink::setLinkNetNsFd(s, dev.index, host.fd()); !st) {
      return fail(
          plainError(st.error(), "failed to move " + spec::goQuote(host_name) + " to hostNS"));
    }
    return {};
  }));
  undo.commit();
  return {};
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(HostDeviceConf c, loadConf(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(NetNs pod, pluginkit::openPodNetns(args.netns));
  CNI_ASSIGN_OR_RETURN(NetNs host, NetNs::current());
  spec::Result result;
  Rollback undo;
  if (!c.dpdk) {
    CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
    auto dev = findHostDevice(sock, c);
    if (!dev) return fail(plainError(dev.error(), "failed to find host device"));
    auto cont = moveLinkIn(*dev, host, pod, args.ifname);
    if (!cont) return fail(plainError(cont.error(), "failed to move link"));
    undo.add([&] { (void)moveLinkOut(host, pod, args.ifname); });
    result.interfaces = {
        spec::Interface{.name = cont->name, .mac = cont->macString(), .sandbox = args.netns}};
  }
  if (!c.net.ipam_type.empty()) {
    CNI_ASSIGN_OR_RETURN(spec::Result ipam,
                         pluginkit::ipamAddWithUndo(c.net.ipam_type, args, undo));
    result.ips = std::move(ipam.ips);
    result.routes = std::move(ipam.routes);
    if (!c.dpdk) CNI_TRY(pluginkit::configurePodIface(pod, args.ifname, result));
    result.dns = c.dns;
  }
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(HostDeviceConf c, loadConf(args.stdin_data));
  std::optional<NetNs> pod;
  if (!args.netns.empty()) {
    CNI_ASSIGN_OR_RETURN(pod, NetNs::openIfExists(args.netns));
  }
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamDel(c.net.ipam_type, args));
  if (!pod || c.dpdk) return {};
  CNI_ASSIGN_OR_RETURN(NetNs host, NetNs::current());
  return moveLinkOut(host, *pod, args.ifname);
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(HostDeviceConf c, loadConf(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(NetNs pod, pluginkit::openPodNetns(args.netns));
  if (!c.net.ipam_type.empty()) CNI_TRY(pluginkit::ipamCheck(c.net.ipam_type, args));
  if (c.dpdk) {
    if (!c.net.has_prev_result) return fail(plainError("Required prevResult missing"));
    CNI_TRY(spec::parsePrevResult(c.net.raw));
    return {};
  }
  CNI_ASSIGN_OR_RETURN(auto prev, pluginkit::prevPodIface(c.net, args));
  return inNs(pod, [&](Socket& s) -> Status {
    CNI_TRY(pluginkit::checkPodLink(s, prev.iface, ""));
    CNI_TRY(pluginkit::validateInterfaceIps(s, args.ifname, prev.result.ips));
    return pluginkit::validateRoutes(s, prev.result.routes);
  });
}

// GC and STATUS only decode the JSON (no device lookup), as Go's cmdStatus.
Expected<skel::NetConf> parseOnly(std::string_view stdin_data) {
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError("failed to load netconf: " + net.error().msg));
  return std::move(*net);
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net, parseOnly(args.stdin_data));
  return pluginkit::ipamGcIfAny(net, args);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net, parseOnly(args.stdin_data));
  return pluginkit::ipamStatusIfAny(net, args);
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "host-device",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::host_device
