// tests/e2e/cri/cri_node.h — C++ side of the containerd CRI harness (cri_node.sh,
// cri_client.py): bring a throwaway node up and down, call the CRI API, read what the node
// recorded (CNI call trace, env), and exchange bytes over TCP between network namespaces.
//
// Header-only because tests/CMakeLists.txt globs tests/e2e/*.cc into the `e2e` binary and this
// code serves only containerd_test.cc.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <expected>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "src/common/unique_fd.h"
#include "src/netns/netns.h"
#include "src/spec/json.h"
#include "tests/testutil/run.h"
#include "tests/testutil/temp_dir.h"

namespace cni::e2e::cri {

namespace fs = std::filesystem;

inline std::string harnessDir() { return std::string(CNIKIT_SOURCE_DIR) + "/tests/e2e/cri"; }

// The Debian packages of `probes` whose probe fails, space-separated ("" = all there).
struct PackageProbe {
  const char* probe;  // shell; exit 0 = present
  const char* package;
};
inline std::string missingPackages(std::initializer_list<PackageProbe> probes) {
  std::string missing;
  for (const PackageProbe& p : probes) {
    if (testutil::run(std::string(p.probe) + " >/dev/null 2>&1").status != 0) {
      missing += std::string(missing.empty() ? "" : " ") + p.package;
    }
  }
  return missing;
}

// Without these the test skips (CI installs them): the runtime and the client's gRPC stack.
inline std::string missingRuntimePackages() {
  return missingPackages({{"command -v containerd && command -v ctr", "containerd"},
                          {"command -v runc", "runc"},
                          {"/usr/bin/python3 -c 'import grpc'", "python3-grpcio"},
                          {"/usr/bin/python3 -c 'import google.protobuf'", "python3-protobuf"}});
}

// With the runtime installed, these missing is a broken setup: the test fails.
inline std::string missingHarnessPackages() {
  return missingPackages({{"command -v protoc", "protobuf-compiler"},
                          {"command -v nsenter && command -v unshare", "util-linux"},
                          {"command -v cc", "gcc"},
                          {"command -v nft", "nftables"},
                          {"command -v tc", "iproute2"}});
}

// One recorded plugin execution (cri_node.sh CNI_TRACE=1), in execution order.
struct CniCall {
  std::string file;  // trace file stem, for messages
  std::string plugin;
  std::map<std::string, std::string> env;  // CNI_* variables
  std::string stdin_data, stdout_data, stderr_data;
  int rc = -1;  // -1: no exit status recorded (still running or killed)

  std::string get(const std::string& k) const {
    auto it = env.find(k);
    return it == env.end() ? "" : it->second;
  }
  std::string describe() const {
    std::ostringstream o;
    o << plugin << " " << get("CNI_COMMAND") << " ifname=" << get("CNI_IFNAME")
      << " netns=" << get("CNI_NETNS") << " rc=" << rc << "\n  stdin: " << stdin_data
      << "\n  stdout: " << stdout_data << "\n  stderr: " << stderr_data << "\n";
    return o.str();
  }
};

inline std::vector<CniCall> readTrace(const fs::path& dir) {
  std::vector<std::string> stems;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".env") stems.push_back(e.path().stem().string());
  }
  std::sort(stems.begin(), stems.end());  // <19-digit ns timestamp>-<pid>-<plugin>
  std::vector<CniCall> calls;
  for (const std::string& stem : stems) {
    CniCall c;
    c.file = stem;
    c.plugin = stem.substr(stem.find('-', stem.find('-') + 1) + 1);
    std::istringstream env(testutil::readFile(dir / (stem + ".env")));
    for (std::string line; std::getline(env, line);) {
      if (auto eq = line.find('='); eq != std::string::npos) {
        c.env[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
    c.stdin_data = testutil::readFile(dir / (stem + ".stdin"));
    c.stdout_data = testutil::readFile(dir / (stem + ".stdout"));
    c.stderr_data = testutil::readFile(dir / (stem + ".stderr"));
    if (std::string rc = testutil::readFile(dir / (stem + ".rc")); !rc.empty()) {
      c.rc = std::atoi(rc.c_str());
    }
    calls.push_back(std::move(c));
  }
  return calls;
}

// A node made by cri_node.sh under `dir`, torn down by down() (call it even after a failed
// up(): it undoes whatever exists).
class CriNode {
 public:
  explicit CriNode(fs::path dir) : dir_(std::move(dir)) {}

  testutil::CmdResult up(const std::map<std::string, std::string>& env) {
    auto r = script("up", env);
    std::istringstream in(testutil::readFile(dir_ / "env"));
    for (std::string line; std::getline(in, line);) {
      if (auto eq = line.find('='); eq != std::string::npos) {
        vars_[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
    return r;
  }
  testutil::CmdResult down() { return script("down", {}); }

  // A variable of DIR/env (NODE_NS, CLIENT_NS, NODE_ADDR, POD_SUBNET, ...).
  std::string var(const std::string& k) const {
    auto it = vars_.find(k);
    return it == vars_.end() ? "" : it->second;
  }
  const fs::path& dir() const { return dir_; }

  // cri_client.py <args> through the harness; its one JSON document, or the error text.
  std::expected<Json, std::string> cri(const std::string& args) const {
    auto r = testutil::run(harnessDir() + "/cri_node.sh client " + testutil::shellQuote(dir_) +
                           " " + args);
    if (r.status != 0) return std::unexpected("cri_client " + args + ": " + r.err + r.out);
    Json j = Json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return std::unexpected("cri_client " + args + ": not JSON: " + r.out);
    return j;
  }

  // `cmd` inside the node's network namespace.
  testutil::CmdResult inNode(const std::string& cmd) const {
    return testutil::run("ip netns exec " + var("NODE_NS") + " " + cmd);
  }

  std::vector<CniCall> trace() const { return readTrace(var("TRACE_DIR")); }

  // The last lines of containerd's log, for failure messages.
  std::string logTail(size_t lines = 30) const {
    std::string log = testutil::readFile(dir_ / "containerd.log");
    size_t pos = log.size();
    for (size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) {
      pos = log.rfind('\n', pos - 1);
    }
    return pos == std::string::npos ? log : log.substr(pos + 1);
  }

 private:
  testutil::CmdResult script(const std::string& verb,
                             const std::map<std::string, std::string>& env) const {
    return testutil::run(harnessDir() + "/cri_node.sh " + verb + " " + testutil::shellQuote(dir_),
                         env);
  }

  fs::path dir_;
  std::map<std::string, std::string> vars_;
};

// ---------------------------------------------------------------------------------------------
// TCP between namespaces. A socket belongs to the netns it was created in, whatever thread uses
// it later: only socket() runs inside the namespace (NetNs::run, a short-lived thread).

// An IPv4 or IPv6 (if it has a ':') socket address.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_INET;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

inline SockAddr sockAddr(const std::string& addr, int port) {
  SockAddr a;
  if (addr.find(':') != std::string::npos) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, addr.c_str(), &s6->sin6_addr);
    a.len = sizeof *s6;
    a.family = AF_INET6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, addr.c_str(), &s4->sin_addr);
    a.len = sizeof *s4;
  }
  return a;
}

inline std::string addrText(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  }
  return buf;
}

inline std::expected<UniqueFd, std::string> socketIn(const std::string& ns_path, int family) {
  auto ns = netns::NetNs::open(ns_path);
  if (!ns) return std::unexpected(ns.error().toString());
  auto fd = ns->run([family] { return ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0); });
  if (!fd) return std::unexpected(fd.error().toString());
  if (*fd < 0) return std::unexpected(std::string("socket: ") + std::strerror(errno));
  UniqueFd out(*fd);
  timeval tv{5, 0};  // every later connect/read/write gives up after 5 s
  ::setsockopt(out.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(out.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return out;
}

// Reads until EOF, a newline, or the socket's timeout.
inline std::string readLine(int fd) {
  std::string data;
  char buf[512];
  while (data.find('\n') == std::string::npos) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

// A listener on the wildcard address of `family` (IPv6 only for AF_INET6), port `port`, in the
// netns at `ns_path`; serveOnce (run it on a thread) answers ONE connection with
// "<name> got <request line> from <peer address>\n".
inline std::expected<UniqueFd, std::string> listenIn(const std::string& ns_path, int port,
                                                     int family) {
  auto fd = socketIn(ns_path, family);
  if (!fd) return fd;
  int one = 1;
  ::setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  SockAddr sa = sockAddr(family == AF_INET6 ? "::" : "0.0.0.0", port);
  if (::bind(fd->get(), sa.get(), sa.len) != 0 || ::listen(fd->get(), 4) != 0) {
    return std::unexpected(std::string("bind/listen: ") + std::strerror(errno));
  }
  return fd;
}

inline std::string serveOnce(int listen_fd, const std::string& name) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, 10000) != 1) return "no connection within 10 s";
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  UniqueFd c(::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!c) return std::string("accept: ") + std::strerror(errno);
  timeval tv{5, 0};
  ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = readLine(c.get());
  if (!req.empty() && req.back() == '\n') req.pop_back();
  std::string reply = name + " got " + req + " from " + addrText(peer) + "\n";
  if (::write(c.get(), reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
    return std::string("write: ") + std::strerror(errno);
  }
  return "";
}

// Connects from the netns at `ns_path` to addr:port, sends `line`, returns the reply line.
inline std::expected<std::string, std::string> exchange(const std::string& ns_path,
                                                        const std::string& addr, int port,
                                                        const std::string& line) {
  SockAddr sa = sockAddr(addr, port);
  auto fd = socketIn(ns_path, sa.family);
  if (!fd) return std::unexpected(fd.error());
  if (::connect(fd->get(), sa.get(), sa.len) != 0) {
    return std::unexpected("connect " + addr + " port " + std::to_string(port) + ": " +
                           std::strerror(errno));
  }
  std::string msg = line + "\n";
  if (::write(fd->get(), msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) {
    return std::unexpected(std::string("write: ") + std::strerror(errno));
  }
  std::string reply = readLine(fd->get());
  if (!reply.empty() && reply.back() == '\n') reply.pop_back();
  return reply;
}

}  // namespace cni::e2e::cri
