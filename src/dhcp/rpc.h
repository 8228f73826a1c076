// src/dhcp/rpc.h — the wire protocol between the `dhcp` plugin and `dhcp daemon`.
//
// The reference speaks Go net/rpc (gob over HTTP) on the socket; we do not, so the plugin and the
// daemon must both be cnikit's (the same binary: `cni-bin/dhcp daemon`). The protocol is one
// exchange per connection on a SOCK_STREAM unix socket:
//   plugin -> daemon: one JSON object, then shutdown(SHUT_WR):
//     {"method": "ADD"|"DEL"|"CHECK"|"STATUS", "containerID", "netns" (absolute), "ifname",
//      "args" (CNI_ARGS), "path" (CNI_PATH), "stdin" (the network config, as a string)}
//   daemon -> plugin: one JSON object, then close:
//     {"result": <CNI result, current spec version>}   (ADD; {} for the others)
//     {"error": {"code": N, "msg": "...", "details": "..."}}
// Requests larger than kMaxMessage are refused.
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/common/unique_fd.h"
#include "src/spec/json.h"

namespace cni::dhcp {

inline constexpr size_t kMaxMessage = 1 << 20;
inline constexpr std::string_view kDefaultSocketPath = "/run/cni/dhcp.sock";

// Plugin side: connects, sends `request`, returns the daemon's reply object. A daemon that cannot
// be reached is code 11 (try again later) with the reference's text:
//   error dialing DHCP daemon: dial unix <path>: connect: <errno text>
// An {"error": ...} reply is returned as that error.
Expected<Json> call(const std::string& socket_path, const Json& request);

// Daemon side helpers.
// Reads one request from an accepted connection (to EOF, at most kMaxMessage bytes).
Expected<Json> readMessage(int fd);
// Writes the whole text; failures are ignored by the daemon (the plugin went away).
Status writeAll(int fd, std::string_view text);
Json errorReply(const Error& e);
// A listening socket at `path` (parent directories created 0700; a stale socket file nobody
// listens on is replaced), SOCK_CLOEXEC.
Expected<UniqueFd> listenUnix(const std::string& path);

}  // namespace cni::dhcp
