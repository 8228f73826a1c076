// fuzz/plugin_decoders.h — the stdin decoders of the plugins whose decoding is file-local.
//
// Most plugins decode their config in an unnamed namespace of their one .cc file. Rather than
// widen each plugin's interface for the fuzzer, every fuzz/plugin_decoders/<plugin>.cc includes
// that plugin's .cc (one plugin per translation unit, so nothing clashes) and exports a
// function that runs exactly the decoding the plugin's verbs start with — never the part that
// opens a namespace, a socket or a file. The fuzzer does not link the plugins' own objects for
// these plugins (nothing references them), so each definition exists once.
//
// Each function returns the decoder's status and aborts on a broken invariant of that plugin.
#pragma once

#include <string_view>

#include "src/common/error.h"

namespace cni::fuzz {

// plugins/ipam/static.cc: loadConf, then the whole ADD and CHECK (static touches nothing: it
// prints the addresses it is given).
Status decodeStatic(std::string_view stdin_data, std::string_view cni_args);
// plugins/ipam/dhcp.cc: loadConf (the socket path; the RPC is not made).
Status decodeDhcp(std::string_view stdin_data);
// plugins/main/loopback.cc: parseConf (prevResult and its conversion to the current version).
Status decodeLoopback(std::string_view stdin_data);
// plugins/main/ptp.cc: loadConf.
Status decodePtp(std::string_view stdin_data);
// plugins/main/dummy.cc: parseConf.
Status decodeDummy(std::string_view stdin_data);
// plugins/main/host_device.cc: loadConf when no PCI or auxiliary device is named (those are
// looked up in /sys), else parseOnly (what GC and STATUS decode).
Status decodeHostDevice(std::string_view stdin_data);
// plugins/main/ipvlan.cc, macvlan.cc, vlan.cc: decodeConf (their loadConf then asks the kernel
// for the master link).
Status decodeIpvlan(std::string_view stdin_data);
Status decodeMacvlan(std::string_view stdin_data);
Status decodeVlan(std::string_view stdin_data);
// plugins/main/tap.cc: loadConf (CNI_ARGS MAC included).
Status decodeTap(std::string_view stdin_data, std::string_view cni_args);
// plugins/meta/bandwidth.cc: loadConf, and the ifb name it derives.
Status decodeBandwidth(std::string_view stdin_data);
// plugins/meta/sbr.cc: parseConf and parseGateways.
Status decodeSbr(std::string_view stdin_data);
// plugins/meta/vrf.cc: parseConf.
Status decodeVrf(std::string_view stdin_data);

}  // namespace cni::fuzz
