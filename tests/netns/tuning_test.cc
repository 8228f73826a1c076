// tests/netns/tuning_test.cc — the tuning meta plugin chained after ptp, as libcni chains it
// (ptp's ADD result becomes tuning's prevResult): sysctls and link attributes changed in the pod
// and restored by DEL, CHECK, the backup file, overrides, bad input changing nothing, GC, and a
// differential run against the Go reference (/usr/lib/cni/tuning) on identical inputs.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "src/common/scope_guard.h"
#include "src/netlink/attr.h"
#include "src/netlink/link_set.h"
#include "src/netlink/socket.h"
#include "src/spec/version.h"
#include "tests/netns/node_world.h"

namespace cni::plugintest {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kNet = "tunenet";
constexpr std::string_view kRefDir = "/usr/lib/cni";

// What tuning can change on the pod's eth0, read back from the kernel.
struct PodLinkState {
  std::string mac;
  uint32_t mtu = 0;
  bool promisc = false;
  bool allmulti = false;
  uint32_t txqlen = 0;
  std::string somaxconn;
  std::string arp_notify;
  bool operator==(const PodLinkState&) const = default;
};

std::ostream& operator<<(std::ostream& o, const PodLinkState& s) {
  return o << "{mac=" << s.mac << " mtu=" << s.mtu << " promisc=" << s.promisc
           << " allmulti=" << s.allmulti << " txqlen=" << s.txqlen << " somaxconn=" << s.somaxconn
           << " arp_notify=" << s.arp_notify << "}";
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.ends_with('\n')) s.pop_back();
  return s;
}

class TuningTest : public NodeWorld {
 protected:
  std::string ptpConf(std::string_view version) const {
    return R"({"cniVersion":")" + std::string(version) + R"(","name":")" + std::string(kNet) +
           R"(","type":"ptp","ipam":{"type":"host-local","subnet":"10.98.0.0/24","dataDir":")" +
           dataDir() + R"("}})";
  }
  std::string ourDataDir() const { return dataDir() + "/tuning"; }
  // The tuning config with `extra` keys and ptp's result as prevResult ("" = none).
  std::string conf(std::string_view version, std::string_view extra, const Json& prev,
                   std::string data_dir = {}) const {
    if (data_dir.empty()) data_dir = ourDataDir();
    std::string c = R"({"cniVersion":")" + std::string(version) + R"(","name":")" +
                    std::string(kNet) + R"(","type":"tuning","dataDir":")" + data_dir + "\"";
    if (!extra.empty()) c += "," + std::string(extra);
    if (!prev.is_null()) c += R"(,"prevResult":)" + prev.dump();
    return c + "}";
  }
  // ptp ADD in `pod` (the chain's first plugin).
  Json chainStart(const testutil::TestNetNs& pod, std::string_view version,
                  std::string_view cid = "ctr1") {
    return add("ptp", pod.path(), cid, ptpConf(version));
  }
  PodLinkState state(const testutil::TestNetNs& pod) const {
    auto r = pod.run([]() -> Expected<PodLinkState> {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, "eth0"));
      PodLinkState st{.mac = l.macString(),
                      .mtu = l.mtu,
                      .promisc = (l.flags & IFF_PROMISC) != 0,
                      .allmulti = (l.flags & IFF_ALLMULTI) != 0};
      ifinfomsg ifi{};
      ifi.ifi_family = AF_UNSPEC;
      ifi.ifi_index = l.index;
      netlink::Message m(RTM_GETLINK, 0);
      m.putHeader(ifi);
      CNI_ASSIGN_OR_RETURN(auto msgs, s.query(m));
      for (const auto& msg : msgs) {
        CNI_ASSIGN_OR_RETURN(netlink::AttrList a, msg.attrs(sizeof(ifinfomsg)));
        if (const netlink::Attr* q = a.find(IFLA_TXQLEN)) st.txqlen = q->u32().value_or(0);
      }
      st.somaxconn = readText("/proc/sys/net/core/somaxconn");
      st.arp_notify = readText("/proc/sys/net/ipv4/conf/eth0/arp_notify");
      return st;
    });
    EXPECT_TRUE(r) << r.error().toString();
    return r ? *r : PodLinkState{};
  }
  void setMtu(const testutil::TestNetNs& pod, uint32_t mtu) const {
    ASSERT_TRUE(pod.run([mtu]() -> Status {
      CNI_ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
      CNI_ASSIGN_OR_RETURN(netlink::Link l, netlink::getLinkByName(s, "eth0"));
      return netlink::setLinkMtu(s, l.index, mtu);
    }));
  }
};

constexpr std::string_view kAllKnobs =
    R"("sysctl":{"net.core.somaxconn":"777","net.ipv4.conf.IFNAME.arp_notify":"1"},)"
    R"("mac":"c2:b0:57:49:47:f1","mtu":1400,"promisc":true,"allmulti":true,"txQLen":333)";

class TuningVersions : public TuningTest, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(TuningVersions, AddCheckDelDelRestoresTheInterface) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  Json prev = chainStart(pod, version);
  const PodLinkState before = state(pod);
  ASSERT_FALSE(before.mac.empty());
  const std::string c = conf(version, kAllKnobs, prev);
  Json r = add("tuning", pod.path(), "ctr1", c);

  // Output = prevResult, with the new MAC for eth0 where the shape has interfaces.
  Json expected = prev;
  if (*spec::versionAtLeast(version, "0.3.0")) {
    ASSERT_EQ(expected["interfaces"][1]["name"], "eth0");
    expected["interfaces"][1]["mac"] = "c2:b0:57:49:47:f1";
  }
  EXPECT_EQ(r, expected) << r.dump();

  const PodLinkState after = state(pod);
  EXPECT_EQ(after.mac, "c2:b0:57:49:47:f1");
  EXPECT_EQ(after.mtu, 1400u);
  EXPECT_TRUE(after.promisc);
  EXPECT_TRUE(after.allmulti);
  EXPECT_EQ(after.txqlen, 333u);
  EXPECT_EQ(after.somaxconn, "777");
  EXPECT_EQ(after.arp_notify, "1");
  // The node's own sysctl is untouched (per-netns write).
  EXPECT_NE(node().run([] { return readText("/proc/sys/net/core/somaxconn"); }).value_or(""),
            "777");
  const std::string backup = ourDataDir() + "/ctr1_eth0.json";
  ASSERT_TRUE(fs::exists(backup));
  auto b = spec::parseJson(readText(backup), "backup");
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)["mac"], before.mac);
  EXPECT_EQ((*b)["mtu"], before.mtu);
  EXPECT_EQ((*b)["promisc"], false);
  EXPECT_EQ((*b)["allmulti"], false);
  EXPECT_EQ((*b)["txQLen"], before.txqlen);

  if (*spec::versionAtLeast(version, "0.4.0")) {
    Outcome o = call("tuning", "CHECK", pod.path(), "ctr1", conf(version, kAllKnobs, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  }
  for (int i = 0; i < 2; ++i) {
    Outcome o = call("tuning", "DEL", pod.path(), "ctr1", conf(version, kAllKnobs, r));
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    EXPECT_EQ(o.out, "");
  }
  const PodLinkState restored = state(pod);
  EXPECT_EQ(restored.mac, before.mac);
  EXPECT_EQ(restored.mtu, before.mtu);
  EXPECT_FALSE(restored.promisc);
  EXPECT_FALSE(restored.allmulti);
  EXPECT_EQ(restored.txqlen, before.txqlen);
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_EQ(call("ptp", "DEL", pod.path(), "ctr1", ptpConf(version)).exit_code, 0);
  // DEL once the interface and then the netns are gone.
  EXPECT_EQ(call("tuning", "DEL", pod.path(), "ctr1", conf(version, kAllKnobs, r)).exit_code, 0);
  EXPECT_EQ(call("tuning", "DEL", "", "ctr1", conf(version, kAllKnobs, r)).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Versions, TuningVersions, ::testing::ValuesIn(spec::kAllVersions),
                         versionTestName);

TEST_F(TuningTest, CheckReportsDrift) {
  auto& pod = addPod();
  Json prev = chainStart(pod, "1.0.0");
  const std::string c = conf("1.0.0", R"("mtu":1400,"sysctl":{"net.core.somaxconn":"901"})", prev);
  Json r = add("tuning", pod.path(), "ctr1", c);
  const std::string chk = conf("1.0.0", R"("mtu":1400,"sysctl":{"net.core.somaxconn":"901"})", r);
  EXPECT_EQ(call("tuning", "CHECK", pod.path(), "ctr1", chk).exit_code, 0);
  setMtu(pod, 1300);
  Outcome o = call("tuning", "CHECK", pod.path(), "ctr1", chk);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.out.find("Error: Tuning configured MTU of eth0 is 1400, current value is 1300"),
            std::string::npos)
      << o.out;
  setMtu(pod, 1400);
  ASSERT_TRUE(pod.run([] {
    std::ofstream("/proc/sys/net/core/somaxconn") << "902";
    return 0;
  }));
  o = call("tuning", "CHECK", pod.path(), "ctr1", chk);
  EXPECT_NE(o.out.find("Error: Tuning configured value of /proc/sys/net/core/somaxconn is 901, "
                       "current value is 902"),
            std::string::npos)
      << o.out;
  o = call("tuning", "CHECK", pod.path(), "ctr1", conf("1.0.0", R"("mtu":1400)", Json()));
  EXPECT_NE(o.out.find("Required prevResult missing"), std::string::npos) << o.out;
}

TEST_F(TuningTest, OverridesFollowTheReferenceOrder) {
  auto& pod = addPod();
  Json prev = chainStart(pod, "1.0.0");
  // CNI_ARGS < runtimeConfig.mac < args.cni.mac.
  setCniArgs("IgnoreUnknown=1;MAC=c2:00:00:00:00:01");
  Json r = add("tuning", pod.path(), "ctr1", conf("1.0.0", R"("mtu":1450)", prev));
  EXPECT_EQ(state(pod).mac, "c2:00:00:00:00:01");
  EXPECT_EQ(r["interfaces"][1]["mac"], "c2:00:00:00:00:01");
  r = add("tuning", pod.path(), "ctr1",
          conf("1.0.0", R"("runtimeConfig":{"mac":"c2:00:00:00:00:02"})", prev));
  EXPECT_EQ(state(pod).mac, "c2:00:00:00:00:02");
  r = add("tuning", pod.path(), "ctr1",
          conf("1.0.0",
               R"("runtimeConfig":{"mac":"c2:00:00:00:00:02"},"mtu":1450,)"
               R"("args":{"cni":{"mac":"c2:00:00:00:00:03","mtu":1420,)"
               R"("sysctl":{"net.core.somaxconn":"555"}}})",
               prev));
  const PodLinkState st = state(pod);
  EXPECT_EQ(st.mac, "c2:00:00:00:00:03");
  EXPECT_EQ(st.mtu, 1420u);
  EXPECT_EQ(st.somaxconn, "555");
  setCniArgs("");
}

// Bad input: the reference's error, and the pod is left exactly as it was.
TEST_F(TuningTest, BadInputChangesNothing) {
  auto& pod = addPod();
  Json prev = chainStart(pod, "1.0.0");
  const PodLinkState before = state(pod);
  struct Case {
    std::string extra;
    std::string error;
  };
  const Case cases[] = {
      {R"("mtu":1300,"sysctl":{"net.core.somaxconn":"999","kernel.hostname":"pwned"})",
       R"(invalid net sysctl key: \"kernel.hostname\")"},
      {R"("mtu":1300,"sysctl":{"net.core.somaxconn":"999","../kernel.hostname":"pwned"})",
       R"(invalid net sysctl key: \"../kernel.hostname\")"},
      {R"("mtu":1300,"sysctl":{"net.core.somaxconn":"999","net.core.zznosuchknob":"1"})",
       "open /proc/sys/net/core/zznosuchknob: "},
      {R"("mtu":1300,"sysctl":{"net.core.somaxconn":"999"},"mac":"zz:zz")",
       "invalid args zz:zz for MAC addr: address zz:zz: invalid MAC address"},
      {R"("sysctl":{"net.core.somaxconn":999})",
       "failed to load netconf: json: cannot unmarshal number into Go struct field "
       "TuningConf.sysctl of type string"},
  };
  for (const Case& tc : cases) {
    Outcome o = call("tuning", "ADD", pod.path(), "ctr1", conf("1.0.0", tc.extra, prev));
    EXPECT_EQ(o.exit_code, 1) << tc.extra;
    EXPECT_NE(o.out.find(tc.error), std::string::npos) << tc.extra << " -> " << o.out;
    EXPECT_EQ(state(pod), before) << tc.extra;
  }
  // Duplicate keys (HEAD's check) and a missing prevResult.
  std::string dup =
      conf("1.0.0", R"("sysctl":{"net.core.somaxconn":"1","net.core.somaxconn":"2"})", prev);
  Outcome o = call("tuning", "ADD", pod.path(), "ctr1", dup);
  EXPECT_NE(o.out.find("duplicated sysctl keys are not allowed"), std::string::npos) << o.out;
  o = call("tuning", "ADD", pod.path(), "ctr1",
           conf("1.0.0", R"("sysctl":{"net.core.somaxconn":"999"})", Json()));
  EXPECT_EQ(o.out, "{\n    \"code\": 999,\n    \"msg\": \"Required prevResult missing\"\n}");
  EXPECT_EQ(state(pod), before);
  EXPECT_FALSE(fs::exists(ourDataDir() + "/ctr1_eth0.json"));
}

// The allowlist is a host-wide file that every tuning ADD reads, so other tests running the
// tuning plugin at the same time (ctest runs tests in parallel) must not see it: the test
// writes it on a tmpfs mounted in a private mount namespace of a forked child, which runs the
// plugin. The host only ever sees an empty /etc/cni/tuning directory (removed afterwards when
// the test made it, /etc/cni too).
TEST_F(TuningTest, AllowlistRestrictsSysctls) {
  const fs::path allow = "/etc/cni/tuning/allowlist.conf";
  if (fs::exists(allow)) GTEST_SKIP() << "the host has its own " << allow;
  const bool made_etc_cni = !fs::exists(allow.parent_path().parent_path());
  const bool made_dir = !fs::exists(allow.parent_path());
  fs::create_directories(allow.parent_path());
  ScopeGuard cleanup([&] {
    std::error_code ec;
    if (made_dir) fs::remove(allow.parent_path(), ec);
    if (made_etc_cni) fs::remove(allow.parent_path().parent_path(), ec);
  });
  auto& pod = addPod();
  Json prev = chainStart(pod, "1.0.0");
  const PodLinkState before = state(pod);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", allow.parent_path().c_str(), "tmpfs", 0, "mode=0755") != 0) {
      std::perror("private allowlist mount");
      ::_exit(2);
    }
    std::ofstream(allow)
        << "^net\\.core\\.somaxconn$\n\n  ^net\\.ipv4\\.conf\\.IFNAME\\.arp_notify$  \n";
    Outcome o = call(
        "tuning", "ADD", pod.path(), "ctr1",
        conf("1.0.0", R"("sysctl":{"net.core.somaxconn":"600","net.ipv4.ip_forward":"1"})", prev));
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_NE(o.out.find("Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls "
                         "are allowed: [^net\\\\.core\\\\.somaxconn$ "
                         "^net\\\\.ipv4\\\\.conf\\\\.IFNAME\\\\.arp_notify$]"),
              std::string::npos)
        << o.out;
    EXPECT_EQ(state(pod), before);
    add("tuning", pod.path(), "ctr1",
        conf("1.0.0",
             R"("sysctl":{"net.core.somaxconn":"600","net.ipv4.conf.IFNAME.arp_notify":"1"})",
             prev));
    EXPECT_EQ(state(pod).somaxconn, "600");
    EXPECT_EQ(state(pod).arp_notify, "1");
    ::_exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the allowlist checks failed in the child (see above)";
  EXPECT_FALSE(fs::exists(allow)) << "the allowlist leaked out of the private mount namespace";
}

TEST_F(TuningTest, GcRemovesBackupsOfStaleAttachmentsOnly) {
  auto& a = addPod();
  auto& b = addPod();
  Json pa = chainStart(a, "1.1.0", "ctr-a");
  Json pb = chainStart(b, "1.1.0", "ctr-b");
  add("tuning", a.path(), "ctr-a", conf("1.1.0", R"("mtu":1400)", pa));
  add("tuning", b.path(), "ctr-b", conf("1.1.0", R"("mtu":1400)", pb));
  // A backup the Go plugin could have written (no network field): never collected.
  std::ofstream(ourDataDir() + "/ctr-go_eth0.json") << "{\n \"mtu\": 1500\n}";
  ASSERT_TRUE(fs::exists(ourDataDir() + "/ctr-a_eth0.json"));
  ASSERT_TRUE(fs::exists(ourDataDir() + "/ctr-b_eth0.json"));
  // Another network's GC leaves them alone.
  std::string other = conf("1.1.0", "", Json());
  other.replace(other.find(kNet), kNet.size(), "othernet");
  other.pop_back();
  other += R"(,"cni.dev/valid-attachments":[]})";
  EXPECT_EQ(call("tuning", "GC", "", "", other).exit_code, 0);
  EXPECT_TRUE(fs::exists(ourDataDir() + "/ctr-b_eth0.json"));
  std::string gc = conf("1.1.0", "", Json());
  gc.pop_back();
  gc += R"(,"cni.dev/valid-attachments":[{"containerID":"ctr-a","ifname":"eth0"}]})";
  Outcome o = call("tuning", "GC", "", "", gc);
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_TRUE(fs::exists(ourDataDir() + "/ctr-a_eth0.json"));
  EXPECT_FALSE(fs::exists(ourDataDir() + "/ctr-b_eth0.json"));
  EXPECT_TRUE(fs::exists(ourDataDir() + "/ctr-go_eth0.json"));
}

// Differential: the Go reference then ours on the same pod, same input (own data dirs).
class TuningDiff : public TuningTest, public ::testing::WithParamInterface<std::string_view> {
 protected:
  void SetUp() override {
    TuningTest::SetUp();
    if (IsSkipped()) return;
    if (!fs::exists(std::string(kRefDir) + "/tuning")) GTEST_SKIP() << "no reference tuning";
  }
};

TEST_P(TuningDiff, SameOutputAndKernelStateAsTheReference) {
  const std::string_view version = GetParam();
  auto& pod = addPod();
  Json prev = chainStart(pod, version);
  const PodLinkState before = state(pod);
  const std::string ref_dir = dataDir() + "/tuning-ref";
  const std::string extra =
      R"("sysctl":{"net.core.somaxconn":"777","net.ipv4.conf.eth0.arp_notify":"1"},)"
      R"("mac":"c2:b0:57:49:47:f1","mtu":1400,"promisc":true,"allmulti":true)";
  Outcome ref = call("tuning", "ADD", pod.path(), "ctr1", conf(version, extra, prev, ref_dir),
                     "eth0", kRefDir);
  ASSERT_EQ(ref.exit_code, 0) << ref.out << ref.err;
  const PodLinkState ref_after = state(pod);
  Outcome ref_del = call("tuning", "DEL", pod.path(), "ctr1", conf(version, extra, prev, ref_dir),
                         "eth0", kRefDir);
  EXPECT_EQ(ref_del.exit_code, 0) << ref_del.out;
  const PodLinkState ref_restored = state(pod);
  EXPECT_EQ(ref_restored.mac, before.mac);

  Outcome ours = call("tuning", "ADD", pod.path(), "ctr1", conf(version, extra, prev));
  ASSERT_EQ(ours.exit_code, 0) << ours.out << ours.err;
  EXPECT_EQ(ours.out, ref.out);
  EXPECT_EQ(state(pod), ref_after);
  Outcome ours_del = call("tuning", "DEL", pod.path(), "ctr1", conf(version, extra, prev));
  EXPECT_EQ(ours_del.exit_code, 0);
  EXPECT_EQ(ours_del.out, ref_del.out);
  EXPECT_EQ(state(pod), ref_restored);

  // Errors: same stdout, same exit code.
  const std::string bad[] = {
      conf(version, R"("sysctl":{"kernel.hostname":"x"})", prev, ref_dir),
      conf(version, R"("mac":"zz")", prev, ref_dir),
      conf(version, R"("mtu":"big")", prev, ref_dir),
      conf(version, R"("sysctl":{"net.core.somaxconn":5})", prev, ref_dir),
      conf(version, R"("promisc":true)", Json(), ref_dir),
      conf(version, R"("sysctl":{"net.core.nosuchknob":"1"})", prev, ref_dir),
  };
  for (const std::string& c : bad) {
    Outcome r = call("tuning", "ADD", pod.path(), "ctr1", c, "eth0", kRefDir);
    Outcome o = call("tuning", "ADD", pod.path(), "ctr1", c);
    EXPECT_EQ(o.exit_code, r.exit_code) << c;
    EXPECT_EQ(o.out, r.out) << c;
  }
  if (*spec::versionAtLeast(version, "0.4.0")) {
    // CHECK of a drifted MTU.
    add("tuning", pod.path(), "ctr1", conf(version, R"("mtu":1400)", prev));
    setMtu(pod, 1300);
    const std::string chk = conf(version, R"("mtu":1400)", prev, ref_dir);
    Outcome r = call("tuning", "CHECK", pod.path(), "ctr1", chk, "eth0", kRefDir);
    Outcome o = call("tuning", "CHECK", pod.path(), "ctr1", chk);
    EXPECT_EQ(o.exit_code, r.exit_code);
    EXPECT_EQ(o.out, r.out);
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, TuningDiff,
                         ::testing::Values("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"),
                         versionTestName);

}  // namespace
}  // namespace cni::plugintest
