// tests/netns/portmap_test.cc — the portmap plugin chained after our bridge, as libcni chains
// it (the bridge's ADD result is portmap's prevResult, runtimeConfig.portMappings injected), in
// a node namespace with REAL traffic between namespaces the test creates:
//   * an "external" client namespace on a veth to the node reaches <node addr>:<hostPort>;
//   * hairpin: pods on the same bridge reach the pod through the node's bridge address, and
//     must see the reply come from the node (masquerade), not from the pod;
//   * the node itself reaches the pod through 127.0.0.1:<hostPort> (route_localnet + SNAT);
//   * UDP, SCTP-free (the kernel here may lack sctp), hostIP mappings, IPv6.
// A tiny TCP/UDP echo server runs in the pod and answers "<tag>|<peer address>", so each
// connection also says which source address the pod saw.
// The same traffic scenario runs against the Go reference (/usr/lib/cni/portmap 1.1.1, iptables
// backend) in its own node namespace and must give the same observations (differential).
// Also: ADD -> CHECK -> DEL -> DEL, DEL without runtimeConfig/prevResult, containerd's
// capitalised keys, stale UDP conntrack flush, GC, and bad input that changes nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "src/common/unique_fd.h"
#include "src/nft/conntrack.h"
#include "tests/netns/node_world.h"
#include "tests/testutil/run.h"

namespace cni::plugintest {
namespace {

using testutil::TestNetNs;

constexpr std::string_view kNet = "pmnet";
constexpr std::string_view kBridge = "cnipm0";
constexpr std::string_view kRefDir = "/usr/lib/cni";

// --- a tiny echo server and clients, living in namespaces -----------------------------------

std::string peerText(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  }
  std::string s = buf;
  if (s.starts_with("::ffff:") && s.find('.') != std::string::npos) s = s.substr(7);
  return s;
}

// Dual-stack TCP + UDP on one port (IPV6_V6ONLY off), answering "<tag>|<peer>".
class EchoServer {
 public:
  EchoServer(const TestNetNs& ns, uint16_t port, std::string tag) : tag_(std::move(tag)) {
    auto fds = ns.run([&]() -> Expected<std::pair<UniqueFd, UniqueFd>> {
      auto make = [&](int type) -> Expected<UniqueFd> {
        UniqueFd fd(::socket(AF_INET6, type | SOCK_CLOEXEC, 0));
        if (!fd) return failErrno(ErrorCode::kInternal, "socket", errno);
        int zero = 0, one = 1;
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
          return failErrno(ErrorCode::kInternal, "bind", errno);
        }
        if (type == SOCK_STREAM && ::listen(fd.get(), 16) != 0) {
          return failErrno(ErrorCode::kInternal, "listen", errno);
        }
        return fd;
      };
      CNI_ASSIGN_OR_RETURN(UniqueFd tcp, make(SOCK_STREAM));
      CNI_ASSIGN_OR_RETURN(UniqueFd udp, make(SOCK_DGRAM));
      return std::pair{std::move(tcp), std::move(udp)};
    });
    EXPECT_TRUE(fds) << fds.error().toString();
    if (!fds) return;
    tcp_ = std::move(fds->first);
    udp_ = std::move(fds->second);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p[2] = {{tcp_.get(), POLLIN, 0}, {udp_.get(), POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents & POLLIN) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        UniqueFd c(::accept4(tcp_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
        if (c) {
          pollfd q{c.get(), POLLIN, 0};
          char buf[64];
          if (::poll(&q, 1, 1000) > 0 && ::recv(c.get(), buf, sizeof buf, 0) > 0) {
            std::string reply = tag_ + "|" + peerText(peer);
            (void)!::send(c.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
          }
        }
      }
      if (p[1].revents & POLLIN) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        char buf[64];
        if (::recvfrom(udp_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len) >=
            0) {
          std::string reply = tag_ + "|" + peerText(peer);
          (void)!::sendto(udp_.get(), reply.data(), reply.size(), 0,
                          reinterpret_cast<sockaddr*>(&peer), len);
        }
      }
    }
  }

  std::string tag_;
  UniqueFd tcp_, udp_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Expected<sockaddr_storage> sockAddr(const std::string& ip, uint16_t port, socklen_t* len) {
  sockaddr_storage ss{};
  if (ip.find(':') == std::string::npos) {
    auto& a = reinterpret_cast<sockaddr_in&>(ss);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
      return fail(ErrorCode::kInternal, "bad ip " + ip);
    }
    *len = sizeof a;
  } else {
    auto& a = reinterpret_cast<sockaddr_in6&>(ss);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    if (inet_pton(AF_INET6, ip.c_str(), &a.sin6_addr) != 1) {
      return fail(ErrorCode::kInternal, "bad ip " + ip);
    }
    *len = sizeof a;
  }
  return ss;
}

// A socket of the family of `ip`, created in `ns` (it stays there), optionally bound to a port.
UniqueFd clientSocket(const TestNetNs& ns, const std::string& ip, int type,
                      uint16_t bind_port = 0) {
  auto fd = ns.run([&]() -> Expected<UniqueFd> {
    const int family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
    UniqueFd fd(::socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return failErrno(ErrorCode::kInternal, "socket", errno);
    if (bind_port != 0) {
      int one = 1;
      ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_storage ss{};
      socklen_t len = 0;
      CNI_ASSIGN_OR_RETURN(ss, sockAddr(family == AF_INET ? "0.0.0.0" : "::", bind_port, &len));
      if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        return failErrno(ErrorCode::kInternal, "bind", errno);
      }
    }
    return fd;
  });
  EXPECT_TRUE(fd) << fd.error().toString();
  return fd ? std::move(*fd) : UniqueFd();
}

// One TCP request to ip:port from `ns`: the server's reply, or "" (refused / timed out).
std::string tcpAsk(const TestNetNs& ns, const std::string& ip, uint16_t port) {
  UniqueFd fd = clientSocket(ns, ip, SOCK_STREAM);
  if (!fd) return "";
  socklen_t len = 0;
  auto ss = sockAddr(ip, port, &len);
  if (!ss) return "";
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*ss), len) != 0 && errno != EINPROGRESS) {
    return "";
  }
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, 1500) <= 0) return "";
  int err = 0;
  socklen_t el = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &el);
  if (err != 0) return "";
  if (::send(fd.get(), "hi", 2, MSG_NOSIGNAL) != 2) return "";
  p = {fd.get(), POLLIN, 0};
  if (::poll(&p, 1, 1500) <= 0) return "";
  char buf[128];
  ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// One UDP datagram to ip:port on `fd`, and the reply ("" after 1 s).
std::string udpAskOn(int fd, const std::string& ip, uint16_t port) {
  socklen_t len = 0;
  auto ss = sockAddr(ip, port, &len);
  if (!ss) return "";
  if (::sendto(fd, "hi", 2, 0, reinterpret_cast<sockaddr*>(&*ss), len) != 2) return "";
  pollfd p{fd, POLLIN, 0};
  for (int i = 0; i < 2; ++i) {
    if (::poll(&p, 1, 1000) <= 0) return "";
    char buf[128];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
    // An ICMP error (port unreachable) surfaces as a failed recv: that is "no answer".
    if (n < 0 && errno != EAGAIN) return "";
  }
  return "";
}

std::string udpAsk(const TestNetNs& ns, const std::string& ip, uint16_t port) {
  UniqueFd fd = clientSocket(ns, ip, SOCK_DGRAM);
  return fd ? udpAskOn(fd.get(), ip, port) : "";
}

// --- the fixture ------------------------------------------------------------------------------

class PortmapTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ext_ = std::make_unique<TestNetNs>("ext");
    ASSERT_TRUE(ext_->ok());
    // The external client: a veth from the node (192.168.77.1, fd77::1) to `ext`.
    const std::string n = node().name(), e = ext_->name();
    for (const std::string& cmd : {
             "ip -n " + n + " link add pmx0 type veth peer name eth0 netns " + e,
             "ip -n " + n + " addr add 192.168.77.1/24 dev pmx0",
             "ip -n " + n + " addr add fd77::1/64 dev pmx0 nodad",
             "ip -n " + n + " link set pmx0 up",
             "ip -n " + e + " link set lo up",
             "ip -n " + e + " addr add 192.168.77.2/24 dev eth0",
             "ip -n " + e + " addr add fd77::2/64 dev eth0 nodad",
             "ip -n " + e + " link set eth0 up",
             "ip -n " + e + " route add default via 192.168.77.1",
             "ip -n " + e + " -6 route add default via fd77::1",
         }) {
      auto r = testutil::run(cmd);
      ASSERT_EQ(r.status, 0) << cmd << ": " << r.err;
    }
  }

  const TestNetNs& ext() const { return *ext_; }

  std::string bridgeConf(std::string_view version, bool masq, bool v6 = false) const {
    std::string ranges = R"([[{"subnet":"10.99.0.0/24"}])";
    if (v6) ranges += R"(,[{"subnet":"fd99::/64"}])";
    ranges += "]";
    std::string routes = R"([{"dst":"0.0.0.0/0"})";
    if (v6) routes += R"(,{"dst":"::/0"})";
    routes += "]";
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(kNet) +
           R"(","type":"bridge","bridge":")" + std::string(kBridge) +
           R"(","isGateway":true,"hairpinMode":true,"ipMasq":)" + (masq ? "true" : "false") +
           R"(,"ipam":{"type":"host-local","ranges":)" + ranges + R"(,"routes":)" + routes +
           R"(,"dataDir":")" + dataDir() + R"("}})";
  }

  // portmap's stdin as libcni builds it: the plugin's own keys, runtimeConfig, prevResult.
  static std::string portmapConf(std::string_view version, std::string_view mappings,
                                 const Json* prev, std::string_view extra = "") {
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"portmap")" + std::string(extra);
    if (!mappings.empty())
      c += R"(,"runtimeConfig":{"portMappings":)" + std::string(mappings) + "}";
    if (prev) c += R"(,"prevResult":)" + prev->dump();
    return c + "}";
  }

  // Runs portmap from `dir` (ours or the reference) in the node namespace. The reference shells
  // out to iptables, so it gets a PATH; ours runs with the CNI_* variables only.
  Outcome portmap(std::string_view cmd, const TestNetNs* pod, std::string_view cid,
                  const std::string& conf, std::string_view dir = {}) const {
    if (dir.empty() || dir == ourBinDir()) {
      return call("portmap", cmd, pod ? pod->path() : "", cid, conf);
    }
    auto env = cniEnv(cmd, pod ? pod->path() : "", cid, "eth0", dir);
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
    const std::string path = std::string(dir) + "/portmap";
    auto out = node().run([&] { return runProcess(path, {}, env, conf); });
    EXPECT_TRUE(out) << out.error().toString();
    return out ? *out : Outcome{};
  }

  size_t portmapRules() const {
    std::string rs = nftRuleset();
    size_t n = 0;
    for (size_t p = rs.find("comment \"portmap net:"); p != std::string::npos;
         p = rs.find("comment \"portmap net:", p + 1)) {
      ++n;
    }
    return n;
  }

  // What the traffic scenario observes (see TrafficMatchesTheReference).
  struct Observed {
    std::string ext_tcp, ext_udp, hairpin_other, hairpin_self, localhost, host_ip, host_ip_other;
    std::string after_del_tcp, after_del_udp, after_del_localhost;
    bool operator==(const Observed&) const = default;
  };
  friend std::ostream& operator<<(std::ostream& os, const Observed& o) {
    return os << "ext_tcp=" << o.ext_tcp << " ext_udp=" << o.ext_udp
              << " hairpin_other=" << o.hairpin_other << " hairpin_self=" << o.hairpin_self
              << " localhost=" << o.localhost << " host_ip=" << o.host_ip
              << " host_ip_other=" << o.host_ip_other << " after_del_tcp=" << o.after_del_tcp
              << " after_del_udp=" << o.after_del_udp
              << " after_del_localhost=" << o.after_del_localhost;
  }

  // Bridge (ipMasq as given) + portmap from `dir`: pod A serves, pod B is the hairpin client.
  Observed scenario(std::string_view dir, bool masq, bool capitalised = false) {
    Observed o;
    auto& a = addPod();
    auto& b = addPod();
    const std::string bc = bridgeConf("1.0.0", masq);
    Json ra = add("bridge", a.path(), "ctr-a", bc);
    Json rb = add("bridge", b.path(), "ctr-b", bc);
    (void)rb;
    std::string maps =
        R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"},)"
        R"({"hostPort":8053,"containerPort":53,"protocol":"udp"},)"
        R"({"hostPort":8081,"containerPort":80,"protocol":"tcp","hostIP":"192.168.77.1"}])";
    if (capitalised) {
      maps = R"([{"HostPort":8080,"ContainerPort":80,"Protocol":"TCP","HostIP":""},)"
             R"({"HostPort":8053,"ContainerPort":53,"Protocol":"udp","HostIP":""},)"
             R"({"HostPort":8081,"ContainerPort":80,"Protocol":"tcp","HostIP":"192.168.77.1"}])";
    }
    const std::string pc = portmapConf("1.0.0", maps, &ra);
    Outcome add_out = portmap("ADD", &a, "ctr-a", pc, dir);
    EXPECT_EQ(add_out.exit_code, 0) << add_out.out << add_out.err;
    auto res = spec::parseJson(add_out.out, "result");
    EXPECT_TRUE(res && *res == ra) << add_out.out;  // prevResult passed through

    EchoServer server_a(a, 80, "A");
    EchoServer server_a_udp(a, 53, "A");
    o.ext_tcp = tcpAsk(ext(), "192.168.77.1", 8080);
    o.ext_udp = udpAsk(ext(), "192.168.77.1", 8053);
    o.hairpin_other = tcpAsk(b, "10.99.0.1", 8080);
    o.hairpin_self = tcpAsk(a, "10.99.0.1", 8080);
    o.localhost = tcpAsk(node(), "127.0.0.1", 8080);
    o.host_ip = tcpAsk(ext(), "192.168.77.1", 8081);
    o.host_ip_other = tcpAsk(b, "10.99.0.1", 8081);  // hostIP mapping: only that address

    // The reference's CHECK fails on IPv4-only nodes (it also checks ip6tables): not compared.
    if (dir.empty() || dir == ourBinDir()) {
      Outcome chk = portmap("CHECK", &a, "ctr-a", pc, dir);
      EXPECT_EQ(chk.exit_code, 0) << chk.out << chk.err;
    }
    Outcome del = portmap("DEL", &a, "ctr-a", pc, dir);
    EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
    o.after_del_tcp = tcpAsk(ext(), "192.168.77.1", 8080);
    o.after_del_udp = udpAsk(ext(), "192.168.77.1", 8053);
    o.after_del_localhost = tcpAsk(node(), "127.0.0.1", 8080);
    del = portmap("DEL", &a, "ctr-a", pc, dir);
    EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
    return o;
  }

  static Observed expected() {
    Observed o;
    o.ext_tcp = "A|192.168.77.2";  // external clients keep their source address
    o.ext_udp = "A|192.168.77.2";
    o.hairpin_other = "A|10.99.0.1";  // hairpin: masqueraded to the bridge address
    o.hairpin_self = "A|10.99.0.1";   // needs the bridge's hairpinMode
    o.localhost = "A|10.99.0.1";      // 127.0.0.1 masqueraded on its way out
    o.host_ip = "A|192.168.77.2";
    return o;  // host_ip_other and everything after DEL: no answer
  }

 private:
  std::unique_ptr<TestNetNs> ext_;
};

TEST_F(PortmapTest, TrafficThroughHostPortsHairpinAndLocalhost) {
  Observed o = scenario({}, /*masq=*/false);
  EXPECT_EQ(o, expected());
  EXPECT_EQ(portmapRules(), 0u) << nftRuleset();
}

TEST_F(PortmapTest, TrafficWithBridgeIpMasq) {
  Observed o = scenario({}, /*masq=*/true);
  EXPECT_EQ(o, expected());
  EXPECT_EQ(portmapRules(), 0u) << nftRuleset();
}

TEST_F(PortmapTest, CapitalisedContainerdKeys) {
  Observed o = scenario({}, /*masq=*/false, /*capitalised=*/true);
  EXPECT_EQ(o, expected());
}

// Differential: the Go reference (iptables backend) on the same scenario in its own node.
TEST_F(PortmapTest, TrafficMatchesTheReference) {
  if (!std::filesystem::exists(std::string(kRefDir) + "/portmap")) {
    GTEST_SKIP() << "no reference portmap in " << kRefDir;
  }
  if (testutil::run("command -v iptables").status != 0) GTEST_SKIP() << "no iptables binary";
  Observed o = scenario(kRefDir, /*masq=*/false);
  EXPECT_EQ(o, expected());
}

TEST_F(PortmapTest, RulesLayoutCheckAndDelWithoutRuntimeConfig) {
  auto& a = addPod();
  Json ra = add("bridge", a.path(), "ctr-a", bridgeConf("1.0.0", false));
  const std::string maps = R"([{"hostPort":9090,"containerPort":90,"protocol":"tcp"},)"
                           R"({"hostPort":9091,"containerPort":91,"protocol":"sctp"}])";
  const std::string pc = portmapConf("1.0.0", maps, &ra);
  Outcome o = portmap("ADD", &a, "ctr-a", pc);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  const std::string rs = nftRuleset();
  EXPECT_NE(rs.find("table ip cni_hostport"), std::string::npos) << rs;
  EXPECT_NE(rs.find("chain hostports"), std::string::npos) << rs;
  EXPECT_NE(rs.find("tcp dport 9090 dnat to 10.99.0.2:90"), std::string::npos) << rs;
  EXPECT_NE(rs.find("sctp dport 9091 dnat to 10.99.0.2:91"), std::string::npos) << rs;
  EXPECT_NE(rs.find("fib daddr type local jump hostports"), std::string::npos) << rs;
  // 2 DNAT + hairpin + localhost masquerade.
  EXPECT_EQ(portmapRules(), 4u) << rs;
  // A repeated ADD replaces the attachment's rules rather than doubling them.
  ASSERT_EQ(portmap("ADD", &a, "ctr-a", pc).exit_code, 0);
  EXPECT_EQ(portmapRules(), 4u) << nftRuleset();
  // route_localnet on the bridge: 127.0.0.1-sourced packets may leave through it.
  auto rl = node().run([] {
    return testutil::run("cat /proc/sys/net/ipv4/conf/" + std::string(kBridge) + "/route_localnet");
  });
  ASSERT_TRUE(rl);
  EXPECT_EQ(rl->out, "1\n");

  Outcome chk = portmap("CHECK", &a, "ctr-a", pc);
  EXPECT_EQ(chk.exit_code, 0) << chk.out << chk.err;
  // CHECK notices a missing rule.
  auto handle = node().run([] {
    return testutil::run(
        "nft -a list chain ip cni_hostport hostports | sed -n 's/.*dport 9090.*handle //p'");
  });
  ASSERT_TRUE(handle);
  std::string h = handle->out;
  while (!h.empty() && (h.back() == '\n' || h.back() == ' ')) h.pop_back();
  ASSERT_FALSE(h.empty()) << nftRuleset();
  auto d = node().run(
      [&] { return testutil::run("nft delete rule ip cni_hostport hostports handle " + h); });
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 0) << d->err;
  chk = portmap("CHECK", &a, "ctr-a", pc);
  EXPECT_NE(chk.exit_code, 0) << chk.out;
  EXPECT_NE(chk.out.find("missing hostport rules"), std::string::npos) << chk.out;
  // CHECK needs prevResult.
  chk = portmap("CHECK", &a, "ctr-a", portmapConf("1.0.0", maps, nullptr));
  EXPECT_NE(chk.out.find("Required prevResult missing"), std::string::npos) << chk.out;

  // containerd's second DEL: no runtimeConfig, no prevResult, no netns — still cleans up.
  Outcome del = portmap("DEL", nullptr, "ctr-a", portmapConf("1.0.0", "", nullptr));
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_EQ(portmapRules(), 0u) << nftRuleset();
  del = portmap("DEL", nullptr, "ctr-a", portmapConf("1.0.0", "", nullptr));
  EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
}

// The entry chains are left alone while they are exactly as we make them (rewriting them costs
// each ADD a grace period at exit), and rewritten as soon as anything in them differs.
TEST_F(PortmapTest, EntryChainsKeptWhenIntactAndRepairedWhenEdited) {
  auto& a = addPod();
  Json ra = add("bridge", a.path(), "ctr-e", bridgeConf("1.0.0", false));
  const std::string pc =
      portmapConf("1.0.0", R"([{"hostPort":9190,"containerPort":90,"protocol":"tcp"}])", &ra);
  auto chain = [&](const std::string& name) {
    auto r = node().run([&] {
      return testutil::run("nft -a list chain ip cni_hostport " + name + " | grep -E 'jump|goto'");
    });
    return r ? r->out : std::string("(node netns failed)");
  };
  ASSERT_EQ(portmap("ADD", &a, "ctr-e", pc).exit_code, 0);
  const std::string pre = chain("prerouting"), out = chain("output");
  ASSERT_NE(pre.find("fib daddr type local jump hostports"), std::string::npos) << pre;
  // Same handles after another ADD: nothing was flushed and re-added.
  ASSERT_EQ(portmap("ADD", &a, "ctr-e", pc).exit_code, 0);
  EXPECT_EQ(chain("prerouting"), pre);
  EXPECT_EQ(chain("output"), out);
  // Edited by hand: output now jumps straight to hostports. The next ADD restores both jumps.
  auto edit = node().run([] {
    return testutil::run(
        "nft flush chain ip cni_hostport output && "
        "nft add rule ip cni_hostport output jump hostports");
  });
  ASSERT_TRUE(edit);
  ASSERT_EQ(edit->status, 0) << edit->err;
  ASSERT_EQ(portmap("ADD", &a, "ctr-e", pc).exit_code, 0);
  std::string fixed = chain("output");
  std::vector<std::string> lines;
  for (size_t p = 0; p < fixed.size();) {
    size_t nl = fixed.find('\n', p);
    std::string l = fixed.substr(p, nl - p);
    l = l.substr(l.find_first_not_of(" \t"));
    lines.push_back(l.substr(0, l.find(" # handle")));
    p = nl == std::string::npos ? fixed.size() : nl + 1;
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"jump hostip_hostports",
                                             "fib daddr type local jump hostports"}))
      << fixed;
  EXPECT_EQ(portmap("CHECK", &a, "ctr-e", pc).exit_code, 0);
  EXPECT_EQ(portmap("DEL", &a, "ctr-e", pc).exit_code, 0);
}

TEST_F(PortmapTest, DelOnlyTouchesItsOwnAttachmentAndGcRemovesStaleOnes) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string bc = bridgeConf("1.0.0", false);
  Json ra = add("bridge", a.path(), "ctr-a", bc);
  Json rb = add("bridge", b.path(), "ctr-b", bc);
  ASSERT_EQ(portmap("ADD", &a, "ctr-a",
                    portmapConf("1.0.0",
                                R"([{"hostPort":7001,"containerPort":80,"protocol":"tcp"}])", &ra))
                .exit_code,
            0);
  ASSERT_EQ(portmap("ADD", &b, "ctr-b",
                    portmapConf("1.0.0",
                                R"([{"hostPort":7002,"containerPort":80,"protocol":"tcp"}])", &rb))
                .exit_code,
            0);
  EXPECT_EQ(portmapRules(), 6u) << nftRuleset();
  ASSERT_EQ(portmap("DEL", &a, "ctr-a", portmapConf("1.0.0", "", nullptr)).exit_code, 0);
  EXPECT_EQ(portmapRules(), 3u) << nftRuleset();
  EchoServer sb(b, 80, "B");
  EXPECT_EQ(tcpAsk(ext(), "192.168.77.1", 7002), "B|192.168.77.2");

  // GC (spec 1.1.0) with ctr-b valid keeps it; with nothing valid removes it.
  const std::string gc_keep =
      R"({"cniVersion":"1.1.0","name":"pmnet","type":"portmap","cni.dev/valid-attachments":[{"containerID":"ctr-b","ifname":"eth0"}]})";
  Outcome g = portmap("GC", nullptr, "", gc_keep);
  EXPECT_EQ(g.exit_code, 0) << g.out << g.err;
  EXPECT_EQ(portmapRules(), 3u) << nftRuleset();
  const std::string gc_none =
      R"({"cniVersion":"1.1.0","name":"pmnet","type":"portmap","cni.dev/valid-attachments":[]})";
  g = portmap("GC", nullptr, "", gc_none);
  EXPECT_EQ(g.exit_code, 0) << g.out << g.err;
  EXPECT_EQ(portmapRules(), 0u) << nftRuleset();
}

// A UDP client that sent to the host port before the mapping existed has an un-NATed conntrack
// entry; ADD deletes it so the same flow reaches the pod right away.
TEST_F(PortmapTest, AddFlushesStaleUdpConntrackEntries) {
  auto& a = addPod();
  // ipMasq on: the node's nat hooks (and so conntrack) are active before portmap's ADD.
  Json ra = add("bridge", a.path(), "ctr-a", bridgeConf("1.0.0", true));
  UniqueFd client = clientSocket(ext(), "192.168.77.1", SOCK_DGRAM, 40123);
  ASSERT_TRUE(client);
  EXPECT_EQ(udpAskOn(client.get(), "192.168.77.1", 8054), "");  // nobody there yet
  auto before =
      node().run([] { return nft::countConntrackByDport(IpFamily::kV4, IPPROTO_UDP, 8054); });
  ASSERT_TRUE(before) << before.error().toString();
  EXPECT_GE(*before, 1u);

  EchoServer sa(a, 53, "A");
  const std::string pc =
      portmapConf("1.0.0", R"([{"hostPort":8054,"containerPort":53,"protocol":"udp"}])", &ra);
  Outcome o = portmap("ADD", &a, "ctr-a", pc);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  // Same socket, same 5-tuple: answered by the pod.
  EXPECT_EQ(udpAskOn(client.get(), "192.168.77.1", 8054), "A|192.168.77.2");
  ASSERT_EQ(portmap("DEL", &a, "ctr-a", pc).exit_code, 0);
}

TEST_F(PortmapTest, DualStack) {
  auto& a = addPod();
  auto& b = addPod();
  const std::string bc = bridgeConf("1.0.0", false, /*v6=*/true);
  Json ra = add("bridge", a.path(), "ctr-a", bc);
  Json rb = add("bridge", b.path(), "ctr-b", bc);
  (void)rb;
  const std::string pc =
      portmapConf("1.0.0",
                  R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"},)"
                  R"({"hostPort":8082,"containerPort":80,"protocol":"tcp","hostIP":"fd77::1"}])",
                  &ra);
  Outcome o = portmap("ADD", &a, "ctr-a", pc);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(nftRuleset().find("table ip6 cni_hostport"), std::string::npos);
  EchoServer sa(a, 80, "A");
  EXPECT_EQ(tcpAsk(ext(), "192.168.77.1", 8080), "A|192.168.77.2");
  // The node's v6 gateway address finishes DAD first: wait (<= 5 s) for plain routing.
  std::string direct;
  for (int i = 0; i < 10 && direct.empty(); ++i) {
    direct = tcpAsk(ext(), "fd99::2", 80);
    if (direct.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(direct, "A|fd77::2");  // routed, no NAT
  EXPECT_EQ(tcpAsk(ext(), "fd77::1", 8080), "A|fd77::2") << nftRuleset();
  EXPECT_EQ(tcpAsk(ext(), "fd77::1", 8082), "A|fd77::2");
  EXPECT_EQ(tcpAsk(ext(), "192.168.77.1", 8082), "");  // a v6 hostIP maps v6 only
  EXPECT_EQ(tcpAsk(b, "fd99::1", 8080), "A|fd99::1");  // v6 hairpin, masqueraded
  Outcome chk = portmap("CHECK", &a, "ctr-a", pc);
  EXPECT_EQ(chk.exit_code, 0) << chk.out << chk.err;
  ASSERT_EQ(portmap("DEL", &a, "ctr-a", pc).exit_code, 0);
  EXPECT_EQ(portmapRules(), 0u) << nftRuleset();
  EXPECT_EQ(tcpAsk(ext(), "fd77::1", 8080), "");
}

TEST_F(PortmapTest, PassThroughWithoutMappingsConvertsToTheConfigVersion) {
  auto& a = addPod();
  Json ra = add("bridge", a.path(), "ctr-a", bridgeConf("0.4.0", false));
  Outcome o = portmap("ADD", &a, "ctr-a", portmapConf("0.4.0", "", &ra));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto r = spec::parseJson(o.out, "result");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, ra);
  EXPECT_EQ(nftRuleset().find("cni_hostport"), std::string::npos);
}

TEST_F(PortmapTest, BadInputIsTheReferenceErrorAndChangesNothing) {
  auto& a = addPod();
  Json ra = add("bridge", a.path(), "ctr-a", bridgeConf("1.0.0", false));
  const std::string before = nftRuleset();
  struct Case {
    std::string conf;
    std::string want;
    int code;
  };
  const std::vector<Case> cases = {
      {portmapConf("1.0.0", R"([{"hostPort":0,"containerPort":80,"protocol":"tcp"}])", &ra),
       "failed to parse config: Invalid host port number: 0", 999},
      {portmapConf("1.0.0", R"([{"hostPort":70000,"containerPort":80,"protocol":"tcp"}])", &ra),
       "failed to parse config: Invalid host port number: 70000", 999},
      {portmapConf("1.0.0", R"([{"hostPort":80,"containerPort":0,"protocol":"tcp"}])", &ra),
       "failed to parse config: Invalid container port number: 0", 999},
      {portmapConf("1.0.0", R"([{"hostPort":80,"containerPort":80,"protocol":"icmp"}])", &ra),
       "failed to parse config: Invalid protocol: \"icmp\"", 999},
      {portmapConf("1.0.0", R"([{"hostPort":80,"containerPort":80,"protocol":"tcp"}])", nullptr),
       "must be called as chained plugin", 999},
      {portmapConf("1.0.0", R"([{"hostPort":80,"containerPort":80,"protocol":"tcp"}])", &ra,
                   R"(,"markMasqBit":40)"),
       "failed to parse config: MasqMarkBit must be between 0 and 31", 999},
      {portmapConf("1.0.0", R"([{"hostPort":80,"containerPort":80,"protocol":"tcp"}])", &ra,
                   R"(,"markMasqBit":5,"externalSetMarkChain":"KUBE-MARK-MASQ")"),
       "failed to parse config: Cannot specify externalSetMarkChain and markMasqBit", 999},
      {portmapConf("1.0.0", R"([{"hostPort":80,"containerPort":80,"protocol":"tcp"}])", &ra,
                   R"(,"conditionsV4":["-s","1.2.3.4"])"),
       "\"conditionsV4\" is not supported", 2},
  };
  for (const Case& c : cases) {
    Outcome o = portmap("ADD", &a, "ctr-a", c.conf);
    EXPECT_NE(o.exit_code, 0) << c.conf;
    auto err = spec::parseJson(o.out, "error");
    ASSERT_TRUE(err) << o.out << o.err;
    EXPECT_EQ((*err)["code"], c.code) << o.out;
    EXPECT_NE((*err)["msg"].get<std::string>().find(c.want), std::string::npos) << o.out;
    EXPECT_EQ(nftRuleset(), before) << c.conf;
  }
  // Accepted iptables-only keys: markMasqBit in range, externalSetMarkChain alone.
  for (std::string_view extra :
       {R"(,"markMasqBit":13)", R"(,"externalSetMarkChain":"KUBE-MARK-MASQ","conditionsV4":[])"}) {
    const std::string pc = portmapConf(
        "1.0.0", R"([{"hostPort":80,"containerPort":80,"protocol":"tcp"}])", &ra, extra);
    Outcome o = portmap("ADD", &a, "ctr-a", pc);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    EXPECT_EQ(portmap("DEL", &a, "ctr-a", pc).exit_code, 0);
  }
}

}  // namespace
}  // namespace cni::plugintest
