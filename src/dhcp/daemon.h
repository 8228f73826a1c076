// src/dhcp/daemon.h — `dhcp daemon`: the long-running half of the dhcp IPAM plugin.
//
// It serves the protocol of rpc.h on a unix socket and owns one Lease (lease.h) per attachment,
// keyed by the reference's client ID "<containerID>/<network name>/<ifname>":
//   ADD    acquire a lease in <hostprefix><CNI_NETNS> on CNI_IFNAME (or return the existing one)
//          and answer ips [{address, gateway}] + routes (packet.h leaseRoutes);
//   DEL    stop the lease (DHCPRELEASE); an unknown lease is success, as in the reference;
//   CHECK  the lease must be held (the reference re-runs Allocate, i.e. would *acquire* a lease
//          during CHECK; we report "no lease" instead of changing state);
//   GC     releases this network's leases whose attachment is not in cni.dev/valid-attachments;
//   STATUS answers {} (the daemon is up).
// CLI as the reference v1.1.1: daemon [-socketpath P] [-pidfile F] [-hostprefix H] [-broadcast]
// [-timeout D] [-resendmax D] (Go flag syntax: -x v, -x=v, --x; durations "10s", "1m2s").
// SIGINT/SIGTERM remove the socket and the pidfile and exit 0 without releasing leases (as the
// reference: a restarted daemon cannot take them over, the server lets them expire). Logs go
// to stderr. Systemd socket activation (LISTEN_FDS=1) is accepted as the reference does.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::dhcp {

struct DaemonOptions {
  std::string socket_path = "/run/cni/dhcp.sock";
  std::string pidfile;
  std::string host_prefix;
  bool broadcast = false;  // accepted; the broadcast flag is always set (client.h)
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds resend_max{std::chrono::seconds(62)};
};

// Go time.ParseDuration for the units a daemon flag needs (ns us µs ms s m h, decimals,
// sequences like "1m2s").
Expected<std::chrono::milliseconds> parseGoDuration(std::string_view text);
// Parses the arguments after "daemon". Unknown flags fail (Go: exit 2 with usage).
Expected<DaemonOptions> parseDaemonFlags(std::span<const std::string_view> args);

// Runs the daemon until SIGINT/SIGTERM; returns the process exit code.
int runDaemon(const DaemonOptions& opts);
// parseDaemonFlags + runDaemon; what `dhcp daemon ...` calls.
int daemonMain(std::span<const std::string_view> args);

}  // namespace cni::dhcp
