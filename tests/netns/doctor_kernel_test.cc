// tests/netns/doctor_kernel_test.cc — `cnikit doctor`'s kernel family against a
// real node: a NodeWorld node namespace playing the host, pods attached by the
// real plugins (bridge + host-local with ipMasq, then portmap with a port
// mapping), and the result cache written as libcni writes it, so the doctor
// sees the attachments. Each scenario breaks the node the way nodes break in
// the field and asserts the exact findings (check id, severity, subject,
// evidence) and the exit code; a healthy node must give no finding at all.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "src/doctor/check_kernel.h"
#include "src/doctor/doctor.h"
#include "src/libcni/cache.h"
#include "src/netlink/addr.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/nft/list.h"
#include "src/pluginkit/hostport_comment.h"
#include "src/pluginkit/masq.h"
#include "src/sysctl/sysctl.h"
#include "tests/netns/node_world.h"
#include "tests/testutil/run.h"

namespace cni::plugintest {
namespace {

using doctor::Finding;
using doctor::Severity;
using testutil::TestNetNs;

constexpr std::string_view kNet = "dknet";
constexpr std::string_view kBridge = "cnidk0";
constexpr std::string_view kMaps = R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"}])";

std::vector<Finding> kernelFindings(const doctor::Report& r, std::string_view check = "kernel.") {
  std::vector<Finding> out;
  for (const Finding& f : r.findings()) {
    if (f.check.starts_with(check)) out.push_back(f);
  }
  return out;
}

std::string describe(const doctor::Report& r) {
  std::string s;
  for (const Finding& f : r.findings()) {
    s += std::string(doctor::severityName(f.severity)) + " " + f.check + " " + f.subject + ": " +
         f.message + "\n";
    for (const auto& e : f.evidence) s += "    " + e.path + " = " + e.value + "\n";
  }
  for (const auto& src : r.sources()) {
    s += "  source " + src.name + (src.ran ? " ran: " : " skipped: ") + src.detail + "\n";
  }
  return s;
}

class DoctorKernelTest : public NodeWorld {
 protected:
  void SetUp() override {
    NodeWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::filesystem::create_directories(confDir());
    conf_path_ = confDir() + "/10-" + std::string(kNet) + ".conflist";
    std::ofstream(conf_path_) << conflist();
  }

  std::string confDir() const { return files_.path().string() + "/net.d"; }
  std::string cacheDir() const { return files_.path().string() + "/cache"; }

  std::string bridgePlugin() const {
    return R"({"type":"bridge","bridge":")" + std::string(kBridge) +
           R"(","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local",)"
           R"("ranges":[[{"subnet":"10.77.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}],)"
           R"("dataDir":")" +
           dataDir() + R"("}})";
  }
  std::string conflist() const {
    return R"({"cniVersion":"1.0.0","name":")" + std::string(kNet) + R"(","plugins":[)" +
           bridgePlugin() + R"(,{"type":"portmap","capabilities":{"portMappings":true}}]})";
  }
  // A plugin's stdin as libcni builds it from the list.
  std::string pluginConf(std::string plugin) const {
    plugin.pop_back();
    return plugin + R"(,"cniVersion":"1.0.0","name":")" + std::string(kNet) + "\"}";
  }

  // ADD bridge then portmap (with the port mapping) for `pod`, then the cache
  // entry a runtime writes once the chain returned.
  void attach(const TestNetNs& pod, const std::string& cid) {
    Json res = add("bridge", pod.path(), cid, pluginConf(bridgePlugin()));
    Outcome o = call("portmap", "ADD", pod.path(), cid, portmapConf(res));
    ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
    writeCache(pod, cid, res);
  }
  // The same with the Go reference plugins (/usr/lib/cni, v1.1.1: iptables masquerade and
  // CNI-DN chains). They need PATH for iptables, which NodeWorld's runner does not pass.
  void attachWithReference(const TestNetNs& pod, const std::string& cid) {
    auto exec = [&](const std::string& type, const std::string& stdin_text) {
      return testutil::run("nsenter --net=" + node().path() + " /usr/lib/cni/" + type,
                           {{"CNI_COMMAND", "ADD"},
                            {"CNI_CONTAINERID", cid},
                            {"CNI_NETNS", pod.path()},
                            {"CNI_IFNAME", "eth0"},
                            {"CNI_PATH", "/usr/lib/cni"}},
                           stdin_text);
    };
    auto br = exec("bridge", pluginConf(bridgePlugin()));
    ASSERT_EQ(br.status, 0) << br.out << br.err;
    Json res = Json::parse(br.out);
    auto pm = exec("portmap", portmapConf(res));
    ASSERT_EQ(pm.status, 0) << pm.out << pm.err;
    writeCache(pod, cid, res);
  }
  std::string portmapConf(const Json& prev) const {
    return R"({"cniVersion":"1.0.0","name":")" + std::string(kNet) +
           R"(","type":"portmap","runtimeConfig":{"portMappings":)" + std::string(kMaps) +
           R"(},"prevResult":)" + prev.dump() + "}";
  }
  void writeCache(const TestNetNs& pod, const std::string& cid, const Json& result) const {
    libcni::CacheEntry e;
    e.container_id = cid;
    e.ifname = "eth0";
    e.network_name = std::string(kNet);
    e.netns = pod.path();
    e.capability_args = Json::object({{"portMappings", Json::parse(kMaps)}});
    e.config = conflist();
    e.result = result;
    Status w = libcni::ResultCache(cacheDir()).write(e);
    ASSERT_TRUE(w) << w.error().toString();
  }
  std::string cachePath(const std::string& cid) const {
    return cacheDir() + "/results/" + std::string(kNet) + "-" + cid + "-eth0";
  }

  doctor::Options options() const {
    doctor::Options o;
    o.conf_dir = confDir();
    o.bin_dirs = {ourBinDir()};
    o.cache_dir = cacheDir();
    o.data_dir = dataDir();
    o.node_netns = node().path();
    o.runtime_checks = false;
    return o;
  }
  static doctor::Report diagnose(const doctor::Options& o) {
    return doctor::diagnose(doctor::gather(o));
  }
  doctor::Report diagnose() const { return diagnose(options()); }

  std::string where(std::string_view what) const {
    return std::string(what) + " (netns " + node().path() + ")";
  }

  void setForward(std::string_view v) const {
    Status s = node().run([&] { return sysctl::set("net.ipv4.ip_forward", v); });
    ASSERT_TRUE(s) << s.error().toString();
  }

  // Rules of one nft table in the node (all chains).
  std::vector<nft::RuleInfo> rules(nft::Family f, std::string_view table) const {
    auto r = node().run([&]() -> Expected<std::vector<nft::RuleInfo>> {
      CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
      return nft::listRules(s, f, table);
    });
    EXPECT_TRUE(r) << r.error().toString();
    return r ? *r : std::vector<nft::RuleInfo>{};
  }
  std::vector<nft::RuleInfo> masqRules() const {
    return rules(nft::Family::kInet, pluginkit::kMasqTable);
  }
  std::vector<nft::RuleInfo> hostportRules() const {
    return rules(nft::Family::kIp, pluginkit::kHostportTable);
  }
  static std::vector<uint64_t> handlesWith(const std::vector<nft::RuleInfo>& rs,
                                           const std::string& comment) {
    std::vector<uint64_t> out;
    for (const auto& r : rs) {
      if (r.comment == comment) out.push_back(r.handle);
    }
    return out;
  }
  static std::string masqComment(const std::string& cid) {
    return pluginkit::masqComment(kNet, "eth0", cid);
  }
  static std::string portComment(const std::string& cid) {
    return pluginkit::hostportRuleComment(kNet, cid, "eth0");
  }

  std::string conf_path_;
  testutil::TempDir files_;
};

TEST_F(DoctorKernelTest, HealthyNodeWithTwoPodsHasNoFinding) {
  auto& a = addPod();
  auto& b = addPod();
  attach(a, "dk-a");
  attach(b, "dk-b");
  ASSERT_EQ(handlesWith(masqRules(), masqComment("dk-a")).size(), 1u);
  ASSERT_EQ(handlesWith(hostportRules(), portComment("dk-b")).size(),
            3u);  // DNAT + 2 SNAT

  doctor::Report r = diagnose();
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  EXPECT_EQ(r.exitCode(), 0);
  bool saw = false;
  for (const auto& s : r.sources()) {
    if (s.name != "kernel") continue;
    saw = true;
    EXPECT_TRUE(s.ran);
    // 2 masquerade rules; in ip cni_hostport 4 entry jumps and 3 rules per pod.
    EXPECT_EQ(s.detail, "netns " + node().path() + ": 1 bridge, 12 rules");
  }
  EXPECT_TRUE(saw) << describe(r);
}

// A node where the Go reference attached the pod (iptables rules, not our nftables tables) is
// healthy too: its CNI-<hash> masquerade chain and CNI-DN-<hash> portmap chain count.
TEST_F(DoctorKernelTest, PodAttachedByTheReferencePluginsIsHealthy) {
  if (!std::filesystem::exists("/usr/lib/cni/bridge")) GTEST_SKIP() << "no reference plugins";
  auto& a = addPod();
  attachWithReference(a, "dk-ref");
  ASSERT_TRUE(handlesWith(masqRules(), masqComment("dk-ref")).empty()) << "iptables, not ours";
  doctor::Report r = diagnose();
  EXPECT_TRUE(r.findings().empty()) << describe(r);

  // And the chain is what makes it so: without it (and its POSTROUTING jump) the pod is
  // reported.
  const std::string chain = doctor::kernel::referenceMasqChain(kNet, "dk-ref");
  auto del =
      testutil::run("nsenter --net=" + node().path() + " sh -c 'iptables -w -t nat -F " + chain +
                    " && n=$(iptables -w -t nat -L POSTROUTING -n --line-numbers | awk \"/" +
                    chain + "/{print \\$1}\") && iptables -w -t nat -D POSTROUTING $n && " +
                    "iptables -w -t nat -X " + chain + "'");
  ASSERT_EQ(del.status, 0) << del.err;
  doctor::Report after = diagnose();
  ASSERT_EQ(kernelFindings(after, "kernel.masquerade-missing").size(), 1u) << describe(after);
}

// The reference's chains of a pod that vanished without DEL are reported by name.
TEST_F(DoctorKernelTest, ReferenceChainsOfAVanishedPodAreStale) {
  if (!std::filesystem::exists("/usr/lib/cni/bridge")) GTEST_SKIP() << "no reference plugins";
  auto gone = std::make_unique<TestNetNs>("dkrefgone");
  ASSERT_TRUE(gone->ok()) << gone->error().toString();
  attachWithReference(*gone, "dk-gone");
  gone.reset();  // the namespace and its veth go; the reference's chains stay
  doctor::Report r = diagnose();
  auto masq = kernelFindings(r, "kernel.masquerade-stale");
  ASSERT_EQ(masq.size(), 1u) << describe(r);
  EXPECT_EQ(masq[0].subject, "nat " + doctor::kernel::referenceMasqChain(kNet, "dk-gone"));
  EXPECT_FALSE(masq[0].repair.has_value());
  auto pm = kernelFindings(r, "kernel.portmap-stale");
  ASSERT_EQ(pm.size(), 1u) << describe(r);
  EXPECT_EQ(pm[0].subject, "nat " + doctor::kernel::referencePortmapChain(kNet, "dk-gone"));
  EXPECT_NE(pm[0].fix.find("iptables -t nat -X " +
                           doctor::kernel::referencePortmapChain(kNet, "dk-gone")),
            std::string::npos);
}

TEST_F(DoctorKernelTest, DisabledKernelChecksSkipTheSource) {
  doctor::Options o = options();
  o.kernel_checks = false;
  doctor::Report r = diagnose(o);
  EXPECT_TRUE(kernelFindings(r).empty()) << describe(r);
  bool saw = false;
  for (const auto& s : r.sources()) {
    if (s.name != "kernel") continue;
    saw = true;
    EXPECT_FALSE(s.ran);
    EXPECT_EQ(s.detail, "kernel checks disabled");
  }
  EXPECT_TRUE(saw);
}

TEST_F(DoctorKernelTest, BridgeDeletedUnderLivePodsIsAnError) {
  auto& a = addPod();
  auto& b = addPod();
  attach(a, "dk-a");
  attach(b, "dk-b");
  auto del = node().run([]() -> Expected<netlink::DeleteResult> {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::deleteLinkByName(s, kBridge);
  });
  ASSERT_TRUE(del) << del.error().toString();

  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.bridge-missing");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, kBridge);
  ASSERT_EQ(f[0].evidence.size(), 3u);
  EXPECT_EQ(f[0].evidence[0].path, where("link cnidk0"));
  EXPECT_EQ(f[0].evidence[0].value, "absent");
  EXPECT_EQ(f[0].evidence[1].path, cachePath("dk-a"));
  EXPECT_EQ(f[0].evidence[1].value, "container dk-a (eth0, netns " + a.path() + "), alive");
  EXPECT_EQ(f[0].evidence[2].path, cachePath("dk-b"));
  EXPECT_EQ(r.exitCode(), 2);
}

TEST_F(DoctorKernelTest, BridgeNotCreatedYetWithoutPodsIsNoFinding) {
  setForward("1");
  doctor::Report r = diagnose();
  EXPECT_TRUE(kernelFindings(r).empty()) << describe(r);
}

TEST_F(DoctorKernelTest, LinkNamedLikeTheBridgeThatIsAVeth) {
  setForward("1");
  Status made = node().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    return netlink::createVeth(s, {.host_name = std::string(kBridge), .peer_name = "dkpeer0"});
  });
  ASSERT_TRUE(made) << made.error().toString();
  auto l = link(node(), kBridge);
  ASSERT_TRUE(l);

  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.not-a-bridge");
  EXPECT_EQ(f[0].severity,
            Severity::kError);  // the active network: every ADD fails
  EXPECT_EQ(f[0].subject, kBridge);
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, where("link cnidk0"));
  EXPECT_EQ(f[0].evidence[0].value, "kind veth, index " + std::to_string(l->index));
  EXPECT_EQ(f[0].evidence[1].path, conf_path_);
  EXPECT_EQ(f[0].evidence[1].value, "bridge cnidk0");
  EXPECT_EQ(r.exitCode(), 2);

  // What the finding claims: the plugin's ADD fails.
  auto& pod = addPod();
  Outcome o = call("bridge", "ADD", pod.path(), "dk-x", pluginConf(bridgePlugin()));
  EXPECT_NE(o.exit_code, 0) << o.out;
}

TEST_F(DoctorKernelTest, StaleBridgeAddressAfterASubnetChange) {
  setForward("1");
  // The bridge of the old subnet, left in place when the config moved
  // to 10.77.0.0/24.
  Status made = node().run([]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    CNI_TRY(netlink::createBridge(s, {.name = std::string(kBridge), .up = true}));
    CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, kBridge));
    return netlink::addAddress(s, l.index, *IpPrefix::parse("10.66.0.1/24"));
  });
  ASSERT_TRUE(made) << made.error().toString();

  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.bridge-gateway-mismatch");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, kBridge);
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, where("link cnidk0"));
  EXPECT_EQ(f[0].evidence[0].value, "address 10.66.0.1/24");
  EXPECT_EQ(f[0].evidence[1].path, conf_path_);
  EXPECT_EQ(f[0].evidence[1].value, "gateway 10.77.0.1/24");
  EXPECT_NE(f[0].fix.find("`ip addr del 10.66.0.1/24 dev cnidk0`"), std::string::npos) << f[0].fix;
  EXPECT_EQ(r.exitCode(), 2);

  // What the finding claims: the plugin's ADD fails on it.
  auto& pod = addPod();
  Outcome o = call("bridge", "ADD", pod.path(), "dk-x", pluginConf(bridgePlugin()));
  EXPECT_NE(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("already has an IP address different from"), std::string::npos) << o.out;
}

TEST_F(DoctorKernelTest, IpForwardOffWithoutPodsIsAWarning) {
  setForward("0");
  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.ip-forward-off");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, "net.ipv4.ip_forward");
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, where("/proc/sys/net/ipv4/ip_forward"));
  EXPECT_EQ(f[0].evidence[0].value, "0");
  EXPECT_EQ(f[0].evidence[1].path, conf_path_);
  EXPECT_EQ(f[0].evidence[1].value,
            "network dknet (bridge, ipMasq, isGateway) "
            "needs forwarding; 0 live pods");
  EXPECT_EQ(r.exitCode(), 1);
}

TEST_F(DoctorKernelTest, IpForwardOffUnderLivePodsIsAnError) {
  auto& a = addPod();
  attach(a, "dk-a");
  setForward("0");
  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.ip-forward-off");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, "net.ipv4.ip_forward");
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].value, "0");
  EXPECT_EQ(f[0].evidence[1].value,
            "network dknet (bridge, ipMasq, isGateway) needs forwarding; 1 live pod");
  EXPECT_EQ(r.exitCode(), 2);
}

TEST_F(DoctorKernelTest, MasqueradeRuleDeletedForALivePod) {
  auto& a = addPod();
  auto& b = addPod();
  attach(a, "dk-a");
  attach(b, "dk-b");
  auto gone = node().run([]() -> Expected<size_t> {
    CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
    return nft::deleteRulesByComment(s, nft::Family::kInet, pluginkit::kMasqTable,
                                     pluginkit::kMasqChain, masqComment("dk-a"));
  });
  ASSERT_TRUE(gone) << gone.error().toString();
  ASSERT_EQ(*gone, 1u);

  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.masquerade-missing");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, cachePath("dk-a"));
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, where("nft inet cni_plugins_masquerade masq_checks"));
  EXPECT_EQ(f[0].evidence[0].value, "0 rules with comment \"" + masqComment("dk-a") + "\"");
  EXPECT_EQ(f[0].evidence[1].path, cachePath("dk-a"));
  EXPECT_FALSE(f[0].repair);
  EXPECT_EQ(r.exitCode(), 1);
}

TEST_F(DoctorKernelTest, PortmapRuleDeletedForALivePod) {
  auto& a = addPod();
  attach(a, "dk-a");
  auto gone = node().run([]() -> Expected<size_t> {
    CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
    return nft::deleteRulesByComment(s, nft::Family::kIp, pluginkit::kHostportTable,
                                     pluginkit::kHostportChain, portComment("dk-a"));
  });
  ASSERT_TRUE(gone) << gone.error().toString();
  ASSERT_EQ(*gone, 1u);

  doctor::Report r = diagnose();
  auto f = kernelFindings(r);
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].check, "kernel.portmap-missing");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, cachePath("dk-a"));
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].value, "0 rules with comment \"" + portComment("dk-a") + "\"");
  EXPECT_EQ(f[0].evidence[1].value, "capabilityArgs portMappings " + Json::parse(kMaps).dump());
  EXPECT_EQ(r.exitCode(), 1);
}

// The pod's netns was removed without DEL (a crashed runtime, a reboot): its
// cache entry and its rules stay. The doctor reports every rule, --fix deletes
// exactly those, and the live pod's rules are untouched.
TEST_F(DoctorKernelTest, PodRemovedWithoutDelLeavesStaleRulesThatFixRemoves) {
  auto dead = std::make_unique<TestNetNs>("dkdead");
  ASSERT_TRUE(dead->ok()) << dead->error().toString();
  auto& live = addPod();
  attach(*dead, "dk-dead");
  attach(live, "dk-live");
  const std::string dead_path = dead->path();
  const auto live_masq = handlesWith(masqRules(), masqComment("dk-live"));
  const auto live_ports = handlesWith(hostportRules(), portComment("dk-live"));
  const auto dead_masq = handlesWith(masqRules(), masqComment("dk-dead"));
  const auto dead_ports = handlesWith(hostportRules(), portComment("dk-dead"));
  ASSERT_EQ(live_masq.size(), 1u);
  ASSERT_EQ(live_ports.size(), 3u);
  ASSERT_EQ(dead_masq.size(), 1u);
  ASSERT_EQ(dead_ports.size(), 3u);
  dead.reset();  // umount + unlink: the namespace and its veth go, nothing else
                 // does

  doctor::Report r = diagnose();
  auto masq = kernelFindings(r, "kernel.masquerade-stale");
  auto ports = kernelFindings(r, "kernel.portmap-stale");
  EXPECT_EQ(kernelFindings(r).size(), 4u) << describe(r);
  ASSERT_EQ(masq.size(), 1u) << describe(r);
  ASSERT_EQ(ports.size(), 3u) << describe(r);
  const std::string masq_rule =
      "inet cni_plugins_masquerade masq_checks handle " + std::to_string(dead_masq[0]);
  EXPECT_EQ(masq[0].severity, Severity::kWarning);
  EXPECT_EQ(masq[0].subject, masq_rule);
  ASSERT_EQ(masq[0].evidence.size(), 2u);
  EXPECT_EQ(masq[0].evidence[0].path, where("nft " + masq_rule));
  EXPECT_EQ(masq[0].evidence[0].value, "comment \"" + masqComment("dk-dead") + "\"");
  EXPECT_EQ(masq[0].evidence[1].path, cachePath("dk-dead"));
  EXPECT_EQ(masq[0].evidence[1].value,
            "cache entry " + cachePath("dk-dead") + ": netns " + dead_path + " is gone");
  ASSERT_TRUE(masq[0].repair);
  EXPECT_EQ(masq[0].repair->action, "delete-rule");
  EXPECT_EQ(masq[0].repair->target, masq_rule + " (comment \"" + masqComment("dk-dead") + "\")");
  std::vector<std::string> port_subjects;
  for (const auto& f : ports) {
    EXPECT_EQ(f.severity, Severity::kWarning);
    EXPECT_TRUE(f.repair);
    port_subjects.push_back(f.subject);
  }
  std::vector<std::string> want_subjects;
  for (const auto& rule : hostportRules()) {
    if (rule.comment == portComment("dk-dead")) {
      want_subjects.push_back("ip cni_hostport " + rule.chain + " handle " +
                              std::to_string(rule.handle));
    }
  }
  std::sort(port_subjects.begin(), port_subjects.end());
  std::sort(want_subjects.begin(), want_subjects.end());
  EXPECT_EQ(port_subjects, want_subjects);
  EXPECT_GE(r.exitCode(), 1);

  r.runRepairs(true);
  size_t done = 0;
  for (const auto& o : r.repairs()) {
    if (!o.check.starts_with("kernel.")) continue;
    EXPECT_EQ(o.status, "done") << o.target << ": " << o.message;
    ++done;
  }
  EXPECT_EQ(done, 4u);
  EXPECT_TRUE(handlesWith(masqRules(), masqComment("dk-dead")).empty());
  EXPECT_TRUE(handlesWith(hostportRules(), portComment("dk-dead")).empty());
  EXPECT_EQ(handlesWith(masqRules(), masqComment("dk-live")), live_masq);
  EXPECT_EQ(handlesWith(hostportRules(), portComment("dk-live")), live_ports);

  doctor::Report again = diagnose();
  EXPECT_TRUE(kernelFindings(again).empty()) << describe(again);
}

// A rule with no cache entry may be an ADD in flight (the cache entry is
// written after the chain returns): while a young host-local lease names the
// container it is not called stale.
TEST_F(DoctorKernelTest, RuleWithoutCacheEntryIsStaleOnlyAfterTheGrace) {
  auto& a = addPod();
  attach(a, "dk-a");
  Status rm = libcni::ResultCache(cacheDir()).remove(kNet, "dk-a", "eth0");
  ASSERT_TRUE(rm) << rm.error().toString();

  doctor::Report young = diagnose();
  EXPECT_TRUE(kernelFindings(young).empty()) << describe(young);

  doctor::Options o = options();
  o.grace = std::chrono::seconds(0);
  doctor::Report old = diagnose(o);
  auto masq = kernelFindings(old, "kernel.masquerade-stale");
  ASSERT_EQ(masq.size(), 1u) << describe(old);
  ASSERT_EQ(masq[0].evidence.size(), 2u);
  EXPECT_EQ(masq[0].evidence[1].path, cacheDir() + "/results");
  EXPECT_EQ(masq[0].evidence[1].value,
            "no cache entry for network dknet, container dk-a, eth0 and no "
            "recent host-local "
            "lease for it");
  EXPECT_TRUE(masq[0].repair);
  EXPECT_EQ(kernelFindings(old, "kernel.portmap-stale").size(), 3u) << describe(old);
}

}  // namespace
}  // namespace cni::plugintest
