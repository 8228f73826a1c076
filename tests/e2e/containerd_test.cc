// tests/e2e/containerd_test.cc — a real CRI runtime drives our plugins: Debian's containerd 1.6
// runs pod sandboxes whose networking is entirely cnikit's (<build>/cni-bin: loopback, bridge,
// host-local, portmap, bandwidth), through the CRI API a kubelet uses.
//
// The node is tests/e2e/cri/cri_node.sh: containerd in a throwaway "node" netns and its own
// mount namespace, a "client" netns wired to it, everything else under a temp dir (see the
// script's banner). Each plugin execution is recorded (CNI_TRACE) so a failure shows exactly
// what containerd sent and what the plugin answered.
//
// What containerd does that unit tests cannot fake: loopback first with its own 0.3.1 conf;
// runtimeConfig with capitalised keys (HostPort, IngressRate, ...) built from the CRI request
// (port_mappings; the kubernetes.io/{ingress,egress}-bandwidth annotations); concurrent ADDs; a
// DEL on StopPodSandbox (netns + prevResult) and another on RemovePodSandbox (CNI_NETNS="", no
// prevResult); its own result cache (go-cni, /var/lib/cni/results, here inside the temp dir).
//
// Without containerd, runc, python3-grpcio or python3-protobuf the test skips, naming the
// packages; with them, anything else missing (protobuf-compiler, gcc, ...) or going wrong fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "tests/e2e/cri/cri_node.h"
#include "tests/e2e/e2e_fixture.h"

namespace cni::e2e {
namespace {

namespace fs = std::filesystem;
using cri::CniCall;
using testutil::readFile;

constexpr int kContainerPort = 8080;
const std::string kOurPlugins[] = {"loopback", "bridge", "host-local", "portmap", "bandwidth"};

struct Pod {
  std::string name, id, ip, ip6, netns, host_veth, ifb;
  int pid = 0, host_port = 0;
  std::string ingress, egress;  // annotation values ("" = none)
  double run_ms = 0, stop_ms = 0, remove_ms = 0;
};

class ContainerdCriTest : public ::testing::Test {
 protected:
  explicit ContainerdCriTest(bool dual_stack = false) : dual_stack_(dual_stack) {}

  void SetUp() override {
    if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network and mount namespaces)";
    if (std::string m = cri::missingRuntimePackages(); !m.empty()) {
      GTEST_SKIP() << "containerd CRI harness needs: apt-get install -y " << m;
    }
    const std::string broken = cri::missingHarnessPackages();
    ASSERT_EQ(broken, "") << "containerd is installed but the harness lacks: apt-get install -y "
                          << broken;
    for (const std::string& p : kOurPlugins) {
      ASSERT_TRUE(fs::exists(ourPluginDir() + "/" + p))
          << ourPluginDir() << "/" << p << " missing: build the cni-bin target";
    }
    static int counter = 0;
    const int tag = ::getpid() * 10 + counter++ % 10;
    node_.emplace(state_.path() / "node");
    auto r = node_->up({{"CNI_BIN", ourPluginDir()},
                        {"TAG", std::to_string(tag)},
                        {"CNI_TRACE", "1"},
                        {"IPV6", dual_stack_ ? "1" : "0"}});
    ASSERT_EQ(r.status, 0) << "cri_node.sh up failed:\n"
                           << r.out << r.err << "\ncontainerd log:\n"
                           << node_->logTail();
    prefix_ = var("POD_SUBNET").substr(0, var("POD_SUBNET").rfind('.'));
    prefix6_ = var("POD_SUBNET6").substr(0, var("POD_SUBNET6").find('/'));  // "<...>::"
    ASSERT_EQ(prefix6_.empty(), !dual_stack_);
  }

  void TearDown() override {
    if (!node_) return;
    if (HasFailure()) {
      std::printf("---- containerd log (tail)\n%s\n", node_->logTail(40).c_str());
      for (const CniCall& c : node_->trace()) {
        if (c.rc != 0) std::printf("---- failed plugin call\n%s", c.describe().c_str());
      }
    }
    const std::string node_ns = node_->var("NODE_NS"), client_ns = node_->var("CLIENT_NS");
    auto r = node_->down();
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_FALSE(fs::exists("/run/netns/" + node_ns));
    EXPECT_FALSE(fs::exists("/run/netns/" + client_ns));
  }

  std::string gateway() const { return prefix_ + ".1"; }
  std::string gateway6() const { return prefix6_ + "1"; }
  std::string var(const std::string& k) const { return node_->var(k); }
  fs::path leaseDir() const { return fs::path(var("IPAM_DIR")) / var("NETWORK"); }
  fs::path cachePath(const std::string& network, const std::string& id,
                     const std::string& ifname) const {
    return fs::path(var("CNI_CACHE_DIR")) / "results" / (network + "-" + id + "-" + ifname);
  }

  // RunPodSandbox + PodSandboxStatus; fills everything but the timings of stop/remove.
  void runPod(Pod& pod) {
    std::string args = "run --name " + pod.name + " --port " + std::to_string(pod.host_port) + ":" +
                       std::to_string(kContainerPort) + " --label " + var("LABEL") +
                       " --cgroup-parent /" + var("CGROUP_PARENT");
    if (!pod.ingress.empty()) {
      args += " --annotation kubernetes.io/ingress-bandwidth=" + pod.ingress;
    }
    if (!pod.egress.empty()) args += " --annotation kubernetes.io/egress-bandwidth=" + pod.egress;
    auto run = node_->cri(args);
    ASSERT_TRUE(run) << run.error();
    pod.id = (*run)["id"];
    pod.run_ms = (*run)["ms"];
    auto st = node_->cri("status " + pod.id);
    ASSERT_TRUE(st) << st.error();
    EXPECT_EQ((*st)["state"], "SANDBOX_READY") << pod.name;
    pod.ip = (*st)["ip"];
    if (dual_stack_) {
      ASSERT_EQ((*st)["additional_ips"].size(), 1u) << *st;
      pod.ip6 = (*st)["additional_ips"][0];
    }
    pod.pid = (*st)["pid"];
    pod.netns = "/proc/" + std::to_string(pod.pid) + "/ns/net";  // containerd's mount is private
    // containerd caches the chain's final result; the host-side names come from there.
    Json cached = Json::parse(readFile(cachePath(var("NETWORK"), pod.id, "eth0")), nullptr, false);
    ASSERT_FALSE(cached.is_discarded()) << "no/invalid go-cni cache entry for " << pod.name;
    for (const Json& i : cached["result"]["interfaces"]) {
      std::string n = i.value("name", "");
      if (i.contains("sandbox")) continue;
      if (n.starts_with("veth")) pod.host_veth = n;
      if (n.starts_with("bwp")) pod.ifb = n;
    }
  }

  void stopAndRemove(Pod& pod) {
    auto stop = node_->cri("stop " + pod.id);
    ASSERT_TRUE(stop) << stop.error();
    pod.stop_ms = (*stop)["ms"];
    auto st = node_->cri("status " + pod.id);
    ASSERT_TRUE(st) << st.error();
    EXPECT_EQ((*st)["state"], "SANDBOX_NOTREADY") << pod.name;
    // A kubelet counts on Stop to reclaim the network (Remove may come much later): the first
    // DEL alone must release everything.
    {
      SCOPED_TRACE("after StopPodSandbox");
      expectReleased(pod);
    }
    auto rm = node_->cri("remove " + pod.id);
    ASSERT_TRUE(rm) << rm.error();
    pod.remove_ms = (*rm)["ms"];
  }

  // Everything ADD must have produced for `pod`, in the node and in the pod.
  void expectWired(const Pod& pod) {
    SCOPED_TRACE("pod " + pod.name + " " + pod.id);
    EXPECT_TRUE(pod.ip.starts_with(prefix_ + ".") && pod.ip != gateway()) << pod.ip;
    EXPECT_EQ(readFile(leaseDir() / pod.ip), pod.id + "\r\neth0") << "host-local lease";
    EXPECT_TRUE(fs::exists(cachePath("cni-loopback", pod.id, "lo")));
    ASSERT_FALSE(pod.host_veth.empty());
    auto link = node_->inNode("ip -d -o link show dev " + pod.host_veth);
    EXPECT_NE(link.out.find("master " + var("BRIDGE")), std::string::npos) << link.out;
    EXPECT_NE(link.out.find("hairpin on"), std::string::npos) << link.out;
    // bandwidth: ingress = tbf on the host veth; egress = ingress qdisc + redirect to an ifb
    // with its own tbf.
    auto qd = node_->inNode("tc qdisc show dev " + pod.host_veth);
    if (!pod.ingress.empty()) {
      EXPECT_NE(qd.out.find("qdisc tbf 1: root"), std::string::npos) << qd.out;
      EXPECT_NE(qd.out.find("rate " + pod.ingress + "bit"), std::string::npos) << qd.out;
    }
    if (!pod.egress.empty()) {
      ASSERT_FALSE(pod.ifb.empty()) << "no ifb in the result";
      EXPECT_NE(qd.out.find("qdisc ingress ffff:"), std::string::npos) << qd.out;
      auto f = node_->inNode("tc filter show dev " + pod.host_veth + " parent ffff:");
      EXPECT_NE(f.out.find("Redirect to device " + pod.ifb), std::string::npos) << f.out;
      auto ifb = node_->inNode("ip -d -o link show dev " + pod.ifb);
      EXPECT_NE(ifb.out.find(" ifb "), std::string::npos) << ifb.out;
      auto iq = node_->inNode("tc qdisc show dev " + pod.ifb);
      EXPECT_NE(iq.out.find("rate " + pod.egress + "bit"), std::string::npos) << iq.out;
    }
    auto nft = node_->inNode("nft list table ip cni_hostport");
    EXPECT_NE(nft.out.find("tcp dport " + std::to_string(pod.host_port) + " dnat to " + pod.ip +
                           ":" + std::to_string(kContainerPort)),
              std::string::npos)
        << nft.out;
    if (!pod.ip6.empty()) {
      EXPECT_TRUE(pod.ip6.starts_with(prefix6_) && pod.ip6 != gateway6()) << pod.ip6;
      EXPECT_EQ(readFile(leaseDir() / pod.ip6), pod.id + "\r\neth0") << "host-local v6 lease";
      auto nft6 = node_->inNode("nft list table ip6 cni_hostport");
      EXPECT_NE(nft6.out.find("tcp dport " + std::to_string(pod.host_port) + " dnat to [" +
                              pod.ip6 + "]:" + std::to_string(kContainerPort)),
                std::string::npos)
          << nft6.out;
    }
    // Inside the pod: lo up (our loopback), eth0 with the address, default route via the bridge.
    auto in_pod = testutil::run("nsenter --net=" + pod.netns +
                                " sh -c 'ip -o addr show; ip route show; ip -6 route show'");
    EXPECT_NE(in_pod.out.find("lo    inet 127.0.0.1/8"), std::string::npos) << in_pod.out;
    EXPECT_NE(in_pod.out.find("eth0    inet " + pod.ip + "/24"), std::string::npos) << in_pod.out;
    EXPECT_NE(in_pod.out.find("default via " + gateway() + " dev eth0"), std::string::npos)
        << in_pod.out;
    if (!pod.ip6.empty()) {
      EXPECT_NE(in_pod.out.find("eth0    inet6 " + pod.ip6 + "/64"), std::string::npos)
          << in_pod.out;
      EXPECT_NE(in_pod.out.find("default via " + gateway6() + " dev eth0"), std::string::npos)
          << in_pod.out;
    }
  }

  // A connection from `from_ns` to <node address>:<pod.host_port> reaches a server in the pod
  // (and only that pod: nothing listens elsewhere), which sees the client as `expect_peer`.
  void expectHostPortReaches(const Pod& pod, const std::string& from_ns,
                             const std::string& expect_peer, std::string node_addr = "") {
    if (node_addr.empty()) node_addr = var("NODE_ADDR");
    SCOPED_TRACE("hostPort " + node_addr + " " + std::to_string(pod.host_port) + " -> " + pod.name);
    auto listener = cri::listenIn(pod.netns, kContainerPort, cri::sockAddr(node_addr, 0).family);
    ASSERT_TRUE(listener) << listener.error();
    std::string server_error;
    std::thread server([&] { server_error = cri::serveOnce(listener->get(), pod.name); });
    auto reply = cri::exchange(from_ns, node_addr, pod.host_port, "hello " + pod.name);
    server.join();
    EXPECT_EQ(server_error, "");
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(*reply, pod.name + " got hello " + pod.name + " from " + expect_peer);
  }

  // Nothing of the pod anywhere: links, qdiscs' devices, nft rules, lease, caches, process.
  void expectReleased(const Pod& pod) {
    SCOPED_TRACE("pod " + pod.name + " " + pod.id);
    EXPECT_NE(node_->inNode("ip link show dev " + pod.host_veth).status, 0) << "veth left";
    if (!pod.ifb.empty()) {
      EXPECT_NE(node_->inNode("ip link show dev " + pod.ifb).status, 0) << "ifb left";
    }
    auto nft = node_->inNode("nft list table ip cni_hostport");
    EXPECT_EQ(nft.out.find(pod.id), std::string::npos) << nft.out;
    EXPECT_EQ(nft.out.find(pod.ip + ":"), std::string::npos) << nft.out;
    EXPECT_FALSE(fs::exists(leaseDir() / pod.ip)) << "lease left";
    if (!pod.ip6.empty()) {
      EXPECT_FALSE(fs::exists(leaseDir() / pod.ip6)) << "v6 lease left";
      auto nft6 = node_->inNode("nft list table ip6 cni_hostport");
      EXPECT_EQ(nft6.out.find(pod.id), std::string::npos) << nft6.out;
    }
    EXPECT_FALSE(fs::exists(cachePath(var("NETWORK"), pod.id, "eth0")));
    EXPECT_FALSE(fs::exists(cachePath("cni-loopback", pod.id, "lo")));
    EXPECT_NE(readFile("/proc/" + std::to_string(pod.pid) + "/cmdline"),
              std::string("/pause") + '\0')
        << "pause still running";
  }

  // After Stop + Remove: still nothing, and containerd made both DELs (Stop's with the netns
  // and prevResult, Remove's with CNI_NETNS="" and none), all answered with success.
  void expectGone(const Pod& pod, const std::vector<CniCall>& trace) {
    expectReleased(pod);
    SCOPED_TRACE("pod " + pod.name + " " + pod.id);
    std::vector<const CniCall*> mine;
    for (const CniCall& c : trace) {
      if (c.get("CNI_CONTAINERID") == pod.id) mine.push_back(&c);
    }
    ASSERT_FALSE(mine.empty());
    // go-cni attaches lo and the network concurrently: no order between them, but lo is ADDed
    // with containerd's own conf.
    std::map<std::string, std::vector<const CniCall*>> adds, dels;
    for (const CniCall* c : mine) {
      EXPECT_EQ(c->rc, 0) << c->describe();
      (c->get("CNI_COMMAND") == "DEL" ? dels : adds)[c->plugin].push_back(c);
    }
    ASSERT_EQ(adds["loopback"].size(), 1u);
    EXPECT_EQ(adds["loopback"][0]->get("CNI_IFNAME"), "lo");
    EXPECT_NE(adds["loopback"][0]->stdin_data.find("\"cni-loopback\""), std::string::npos);
    for (std::string p : {"bridge", "host-local", "portmap", "bandwidth"}) {
      EXPECT_EQ(adds[p].size(), 1u) << p;
    }
    for (std::string p : {"loopback", "bridge", "portmap", "bandwidth"}) {
      ASSERT_EQ(dels[p].size(), 2u) << p << ": Stop and Remove each DEL once";
      EXPECT_NE(dels[p][0]->get("CNI_NETNS"), "") << p;
      EXPECT_EQ(dels[p][1]->get("CNI_NETNS"), "") << p << ": RemovePodSandbox's DEL";
      if (p != "loopback") {
        EXPECT_NE(dels[p][0]->stdin_data.find("\"prevResult\""), std::string::npos) << p;
        EXPECT_EQ(dels[p][1]->stdin_data.find("\"prevResult\""), std::string::npos) << p;
      }
    }
  }

  const bool dual_stack_;
  testutil::TempDir state_;
  std::optional<cri::CriNode> node_;
  std::string prefix_, prefix6_;
};

class ContainerdCriDualStackTest : public ContainerdCriTest {
 protected:
  ContainerdCriDualStackTest() : ContainerdCriTest(true) {}
};

TEST_F(ContainerdCriTest, PodSandboxesGetOurNetworkAndLeaveNothingBehind) {
  auto v = node_->cri("version");
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ((*v)["runtime_name"], "containerd");
  const std::string client_ns = "/run/netns/" + var("CLIENT_NS");

  // Two pods at once (concurrent ADDs on one bridge and one nft table), different limits.
  Pod a{.name = "pod-a", .host_port = 30080, .ingress = "10M", .egress = "20M"};
  Pod b{.name = "pod-b", .host_port = 30081, .ingress = "30M", .egress = "40M"};
  {
    std::thread ta([&] { runPod(a); });
    std::thread tb([&] { runPod(b); });
    ta.join();
    tb.join();
  }
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(a.ip, b.ip);
  expectWired(a);
  expectWired(b);
  // From outside the node: DNAT to the right pod, the client's address kept (no SNAT).
  expectHostPortReaches(a, client_ns, var("CLIENT_ADDR"));
  expectHostPortReaches(b, client_ns, var("CLIENT_ADDR"));
  // Hairpin: a pod reaching its own hostPort is masqueraded (snat: true), else the reply
  // would short-cut inside the pod and the connection never establish.
  expectHostPortReaches(a, a.netns, gateway());

  // Pod A goes; B is untouched and still serves.
  stopAndRemove(a);
  ASSERT_FALSE(HasFailure());
  expectGone(a, node_->trace());
  expectWired(b);
  expectHostPortReaches(b, client_ns, var("CLIENT_ADDR"));

  // Pod C takes A's hostPort: no stale rule of A's may catch its traffic. Ingress limit only.
  Pod c{.name = "pod-c", .host_port = a.host_port, .ingress = "5M"};
  runPod(c);
  ASSERT_FALSE(HasFailure());
  expectWired(c);
  EXPECT_TRUE(c.ifb.empty()) << "no egress limit, yet an ifb: " << c.ifb;
  expectHostPortReaches(c, client_ns, var("CLIENT_ADDR"));

  stopAndRemove(b);
  stopAndRemove(c);
  ASSERT_FALSE(HasFailure());
  auto trace = node_->trace();
  expectGone(b, trace);
  expectGone(c, trace);

  // The node is back to what `up` made: lo, uplink and the bridge (which CNI leaves in place).
  auto links = node_->inNode("ip -o link show");
  for (std::string_view l : {"veth", "bwp"}) {
    EXPECT_EQ(links.out.find(l), std::string::npos) << links.out;
  }
  auto rules = node_->inNode("nft list table ip cni_hostport");
  EXPECT_EQ(rules.out.find("comment \"portmap"), std::string::npos) << rules.out;
  std::vector<std::string> left;
  for (const fs::path& d :
       {leaseDir(), fs::path(var("CNI_CACHE_DIR")) / "results", fs::path(var("NETNS_DIR"))}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      std::string n = e.path().filename().string();
      if (n != "lock" && !n.starts_with("last_reserved_ip") && !n.starts_with(".")) {
        left.push_back(e.path().string());
      }
    }
  }
  EXPECT_TRUE(left.empty()) << "left behind: " << testing::PrintToString(left);
  EXPECT_TRUE(fs::exists(fs::path(var("CNI_CACHE_DIR")) / "results"))
      << "go-cni's cache did not land in the private /var/lib overlay";

  std::printf(
      "containerd %s CRI, cnikit plugins, ms (traced: see bench/cri.sh for real numbers):\n",
      (*v)["runtime_version"].get<std::string>().c_str());
  for (const Pod* p : {&a, &b, &c}) {
    std::printf("  %-6s RunPodSandbox %6.1f  StopPodSandbox %6.1f  RemovePodSandbox %6.1f\n",
                p->name.c_str(), p->run_ms, p->stop_ms, p->remove_ms);
    RecordProperty(p->name + "_run_ms", static_cast<int>(p->run_ms));
  }
}

// Dual stack (two host-local ranges): containerd reports the IPv6 address as an additional IP,
// portmap forwards the hostPort in both families (table ip6 cni_hostport too), hairpin SNAT
// works for IPv6, and Stop releases both leases.
TEST_F(ContainerdCriDualStackTest, PodServesItsHostPortOverBothFamiliesAndReleasesBoth) {
  const std::string client_ns = "/run/netns/" + var("CLIENT_NS");
  Pod p{.name = "pod-ds", .host_port = 30080, .ingress = "10M", .egress = "10M"};
  runPod(p);
  ASSERT_FALSE(HasFailure());
  expectWired(p);
  expectHostPortReaches(p, client_ns, var("CLIENT_ADDR6"), var("NODE_ADDR6"));
  expectHostPortReaches(p, client_ns, var("CLIENT_ADDR"), var("NODE_ADDR"));
  expectHostPortReaches(p, p.netns, gateway6(), var("NODE_ADDR6"));
  stopAndRemove(p);
  ASSERT_FALSE(HasFailure());
  expectGone(p, node_->trace());
}

}  // namespace
}  // namespace cni::e2e
