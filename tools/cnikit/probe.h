// tools/cnikit/probe.h — real traffic between namespaces: ICMP echo and a TCP round trip.
//
// Sockets bind to the network namespace of the thread that creates them, so each socket is made
// inside NetNs::run() and then used from the calling thread.
#pragma once

#include <chrono>
#include <string>

#include "src/common/error.h"
#include "src/netns/netns.h"

namespace cni::tools {

// Sends one ICMP echo request from inside `from` to IPv4 `dst`; returns the round-trip time.
Expected<std::chrono::microseconds> ping4(const netns::NetNs& from, const std::string& dst,
                                          std::chrono::milliseconds timeout);

// Listens on `server_ip`:port inside `server`, connects from inside `client`, sends a message
// and reads the echo back. Returns the round-trip time of the exchange.
Expected<std::chrono::microseconds> tcpEcho(const netns::NetNs& client, const netns::NetNs& server,
                                            const std::string& server_ip, int port,
                                            std::chrono::milliseconds timeout);

}  // namespace cni::tools
