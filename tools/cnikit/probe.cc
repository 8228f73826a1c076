// tools/cnikit/probe.cc — ICMP echo and TCP echo between namespaces (see probe.h).
#include "tools/cnikit/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/common/unique_fd.h"

namespace cni::tools {
namespace {

using Clock = std::chrono::steady_clock;

uint16_t checksum(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (len & 1) sum += p[len - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

Expected<sockaddr_in> addr4(const std::string& ip, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    return fail(ErrorCode::kInvalidNetworkConfig, "not an IPv4 address: " + ip);
  }
  return sa;
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

Status waitFor(int fd, short events, Clock::time_point deadline, const char* what) {
  pollfd p{fd, events, 0};
  int n = ::poll(&p, 1, remainingMs(deadline));
  if (n < 0) return failErrno(ErrorCode::kIoFailure, what, errno);
  if (n == 0) return fail(ErrorCode::kTryAgainLater, std::string(what) + ": timed out");
  return {};
}

}  // namespace

Expected<std::chrono::microseconds> ping4(const netns::NetNs& from, const std::string& dst,
                                          std::chrono::milliseconds timeout) {
  CNI_ASSIGN_OR_RETURN(sockaddr_in sa, addr4(dst, 0));
  CNI_ASSIGN_OR_RETURN(UniqueFd fd, from.run([]() -> Expected<UniqueFd> {
    UniqueFd s(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
    if (!s) return failErrno(ErrorCode::kIoFailure, "raw ICMP socket", errno);
    return s;
  }));
  const uint16_t id = static_cast<uint16_t>(::getpid());
  unsigned char pkt[64] = {};
  auto* icmp = reinterpret_cast<icmphdr*>(pkt);
  icmp->type = ICMP_ECHO;
  icmp->un.echo.id = htons(id);
  icmp->un.echo.sequence = htons(1);
  std::memcpy(pkt + sizeof(icmphdr), "cnikit-probe", 12);
  icmp->checksum = checksum(pkt, sizeof pkt);
  auto start = Clock::now();
  auto deadline = start + timeout;
  if (::sendto(fd.get(), pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    return failErrno(ErrorCode::kIoFailure, "send ICMP echo to " + dst, errno);
  }
  while (true) {
    CNI_TRY_CTX(waitFor(fd.get(), POLLIN, deadline, "ICMP echo reply"), "ping " + dst);
    unsigned char buf[1500];
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    ssize_t n = ::recvfrom(fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n < 0) return failErrno(ErrorCode::kIoFailure, "receive ICMP", errno);
    auto* ip = reinterpret_cast<iphdr*>(buf);
    size_t hl = ip->ihl * 4u;
    if (static_cast<size_t>(n) < hl + sizeof(icmphdr)) continue;
    auto* reply = reinterpret_cast<icmphdr*>(buf + hl);
    if (reply->type == ICMP_ECHOREPLY && ntohs(reply->un.echo.id) == id &&
        peer.sin_addr.s_addr == sa.sin_addr.s_addr) {
      return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    }
  }
}

Expected<std::chrono::microseconds> tcpEcho(const netns::NetNs& client, const netns::NetNs& server,
                                            const std::string& server_ip, int port,
                                            std::chrono::milliseconds timeout) {
  CNI_ASSIGN_OR_RETURN(sockaddr_in sa, addr4(server_ip, port));
  CNI_ASSIGN_OR_RETURN(UniqueFd listener, server.run([&]() -> Expected<UniqueFd> {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return failErrno(ErrorCode::kIoFailure, "socket", errno);
    int one = 1;
    (void)::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      return failErrno(ErrorCode::kIoFailure, "bind " + server_ip, errno);
    }
    if (::listen(s.get(), 1) != 0) return failErrno(ErrorCode::kIoFailure, "listen", errno);
    return s;
  }));
  CNI_ASSIGN_OR_RETURN(UniqueFd conn, client.run([]() -> Expected<UniqueFd> {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) return failErrno(ErrorCode::kIoFailure, "socket", errno);
    return s;
  }));
  auto start = Clock::now();
  auto deadline = start + timeout;
  if (::connect(conn.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 &&
      errno != EINPROGRESS) {
    return failErrno(ErrorCode::kIoFailure, "connect " + server_ip, errno);
  }
  CNI_TRY(waitFor(listener.get(), POLLIN, deadline, "accept"));
  UniqueFd peer(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!peer) return failErrno(ErrorCode::kIoFailure, "accept", errno);
  CNI_TRY(waitFor(conn.get(), POLLOUT, deadline, "connect"));
  const char msg[] = "hello from another pod";
  if (::send(conn.get(), msg, sizeof msg, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof msg)) {
    return failErrno(ErrorCode::kIoFailure, "send", errno);
  }
  char buf[64];
  CNI_TRY(waitFor(peer.get(), POLLIN, deadline, "server read"));
  ssize_t n = ::recv(peer.get(), buf, sizeof buf, 0);
  if (n <= 0 || ::send(peer.get(), buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) {
    return failErrno(ErrorCode::kIoFailure, "echo", errno);
  }
  CNI_TRY(waitFor(conn.get(), POLLIN, deadline, "client read"));
  char back[64];
  ssize_t m = ::recv(conn.get(), back, sizeof back, 0);
  if (m != static_cast<ssize_t>(sizeof msg) || std::memcmp(back, msg, sizeof msg) != 0) {
    return fail(ErrorCode::kIoFailure, "TCP echo returned different bytes");
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

}  // namespace cni::tools
