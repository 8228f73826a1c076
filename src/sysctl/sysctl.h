// src/sysctl/sysctl.h — reading and writing kernel parameters under /proc/sys.
//
// Keys are accepted in both sysctl(8) forms:
//   * slashed "net/ipv4/conf/eth0.100/forwarding": used as a path, dots are literal;
//   * dotted  "net.ipv4.conf.eth0/100.forwarding": '.' separates components and a '/' stands
//     for a dot inside a component (procps' rule), so interface names with dots are expressible.
// ifaceKey() builds the slashed form for per-interface keys, which sidesteps the question.
//
// /proc/sys/net is per network namespace, resolved when the file is opened: call these inside
// NetNs::run() for per-netns values (ip_forward, conf.<iface>.*). `root` exists for tests.
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/common/ip.h"

namespace cni::sysctl {

inline constexpr std::string_view kProcSys = "/proc/sys";

// "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; slashed keys are returned unchanged (minus a
// leading '/'). Fails (kInvalidNetworkConfig) on empty keys, empty components and "..".
Expected<std::string> keyToPath(std::string_view key);
// "net/<ipv4|ipv6>/conf/<ifname>/<leaf>" (ifname may contain dots).
std::string ifaceKey(IpFamily family, std::string_view ifname, std::string_view leaf);

// The value with one trailing newline removed.
Expected<std::string> get(std::string_view key, std::string_view root = kProcSys);
// Writes `value` (no newline needed). Errors name the key and the errno text.
Status set(std::string_view key, std::string_view value, std::string_view root = kProcSys);
// Go's sysctl.Sysctl(name, value): set, then read back what the kernel kept.
Expected<std::string> setAndGet(std::string_view key, std::string_view value,
                                std::string_view root = kProcSys);

// Enables forwarding for one family in the current netns: net.ipv4.ip_forward=1 or
// net.ipv6.conf.all.forwarding=1. Skips the write when already "1" (as Go's ip.EnableForward),
// which also keeps it working where /proc/sys is read-only but forwarding is already on.
Status enableIpForward(IpFamily family, std::string_view root = kProcSys);

}  // namespace cni::sysctl
