// tests/e2e/diff_plugins_test.cc — differential tests: the reference plugins (/usr/lib/cni,
// v1.1.1) against ours (build/cni-bin) on the real-world conflists of tests/data/conflists.
//
// Each side runs in its own throwaway "node" netns (bridges, sysctls, nft/iptables rules never
// touch the real host) with its own pod netns, data dir and cache dir; the `cnikit` CLI runs
// *inside* the node netns. Per conflist and side: ADD, CHECK (spec >= 0.4.0), DEL, and a second
// DEL with CNI_NETNS="" and no cached result (containerd's RemovePodSandbox), with a kernel
// snapshot (tests/e2e/kernel_state.h) before ADD, after ADD and after each DEL. Compared:
// outcome and CNI error code, result JSON and cached result (names/MACs normalised), node and pod
// snapshots after ADD (masquerade and port mappings by meaning), node after DEL (the bridge left
// identically), and on each side: pod after DEL == before ADD, node after DEL == before ADD except
// what both implementations deliberately leave, IPAM dir and cache dir empty of allocations.
//
// Ours = CNI_PATH <build>/cni-bin:/usr/lib/cni (a plugin we do not ship falls back to the
// reference). CNIKIT_DIFF_OURS=<dir[:dir]> overrides it; with
// CNIKIT_DIFF_OURS=/usr/lib/cni the suite compares the reference with itself (harness check).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/kernel_state.h"
#include "tests/testutil/netns_fixture.h"

namespace cni::e2e {
namespace {

namespace fs = std::filesystem;
using testutil::shellQuote;

const std::string kConflistDir = std::string(CNIKIT_SOURCE_DIR) + "/tests/data/conflists";

std::string oursCniPath() {
  if (const char* p = std::getenv("CNIKIT_DIFF_OURS"); p != nullptr && *p != '\0') return p;
  return ourPluginDir() + ":" + kReferenceDir;
}
// The first directory of our CNI_PATH: where our main plugins must exist.
std::string oursMainDir() {
  std::string p = oursCniPath();
  return p.substr(0, p.find(':'));
}

// ---------------------------------------------------------------------------------------------
// One side's run.

struct SideRun {
  std::string label, cni_path;
  testutil::TempDir dir;
  std::unique_ptr<testutil::TestNetNs> node, pod;
  Normaliser norm;
  testutil::CmdResult add, check, del, del2;
  bool checked = false;
  Json result, cached_result;
  Snapshot node_pre, pod_pre, node_add, pod_add, node_del, pod_del, node_del2;
  std::vector<std::string> ipam_left, cache_left;
  std::string harness_error;  // the harness itself failed (not a plugin)
};

// Per-run values substituted for the @PLACEHOLDERS@ of the conflists.
std::map<std::string, std::string> templateVars(int case_index) {
  const int pid = ::getpid();
  const std::string b = std::to_string(100 + pid % 100) + "." + std::to_string(case_index * 4);
  char v6[64];
  std::snprintf(v6, sizeof v6, "fd%02x:%x:%x::", pid % 256, pid / 256 % 65536, case_index);
  return {
      {"@BRIDGE@", "ckd" + std::to_string(pid % 100000) + "br"},
      {"@SUBNET4@", "10." + b + ".0/24"},
      {"@GW4@", "10." + b + ".1"},
      {"@SUBNET4B@", "172.20." + std::to_string(case_index) + ".0/24"},
      {"@START4B@", "172.20." + std::to_string(case_index) + ".100"},
      {"@GW4B@", "172.20." + std::to_string(case_index) + ".1"},
      {"@OTHER4@", "192.168." + std::to_string(case_index) + ".1/24"},
      {"@SUBNET6@", std::string(v6) + "/64"},
      {"@GW6@", std::string(v6) + "1"},
  };
}

std::string substitute(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars) {
    for (size_t p = text.find(k); p != std::string::npos; p = text.find(k, p + v.size())) {
      text.replace(p, k.size(), v);
    }
  }
  return text;
}

// Every non-directory (symlinks too: a leaked index entry is one).
std::vector<std::string> regularFiles(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_directory()) out.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs `cmd` inside the named node netns.
testutil::CmdResult inNode(const std::string& node, const std::string& cmd,
                           const std::map<std::string, std::string>& env = {}) {
  return testutil::run("ip netns exec " + node + " " + cmd, env);
}

// A node as on a host: lo up; IPv6 DAD off for new links so the v6 addresses the plugins put on
// the bridge/host veth are final at once (with DAD their local routes appear ~1 s later).
testutil::CmdResult setUpNode(const std::string& node, const std::string& extra) {
  return inNode(node, "sh -c " + shellQuote("ip link set lo up && echo 0 > "
                                            "/proc/sys/net/ipv6/conf/default/accept_dad; " +
                                            extra));
}

// The cnikit CLI inside the node netns, with the side's config dir, cache dir and CNI_PATH.
testutil::CmdResult cnikitInNode(const std::string& node, const fs::path& dir,
                                 const std::string& cni_path, const std::string& cid,
                                 const std::string& verb, const std::string& cap_args = "",
                                 const std::string& cni_args = "") {
  std::string cmd = cnikitBin() + " --json-errors --cache-dir " + (dir / "cache").string() +
                    " --container-id " + cid;
  if (!cap_args.empty()) cmd += " --cap-args " + shellQuote(cap_args);
  if (!cni_args.empty()) cmd += " --cni-args " + shellQuote(cni_args);
  return inNode(node, cmd + " " + verb,
                {{"NETCONFPATH", (dir / "net.d").string()}, {"CNI_PATH", cni_path}});
}

struct Case {
  std::string file;
  std::string cap_args;    // CAP_ARGS JSON (capability args of the runtime)
  std::string cni_args;    // CNI_ARGS (@CID@ = the container ID)
  std::string node_setup;  // shell run in the node netns before ADD (templated)
  bool add_ok = true;      // false: both implementations must refuse it (compare the failure)
  // CHECK must succeed on both sides unless this is set: a known reference defect makes CHECK
  // fail with this message. If the failing plugin is a reference plugin on both sides (portmap)
  // ours fails identically; if it is the bridge, ours may fix it (ours_may_pass_check).
  std::string check_error;
  bool ours_may_pass_check = false;
  // A known reference defect makes its DEL fail with this message (and leave state): ours must
  // succeed and restore the node; the reference's leftovers are not compared.
  std::string reference_del_error;
  // The same for the second DEL (CNI_NETNS="", no cached result): the reference fails it and
  // leaks what the plugins after the failing one would release; ours must succeed.
  std::string reference_del2_error;
  // Deliberate differences of ours, applied to our side before the comparison (commented at
  // each use). Each asserts that the difference it normalises is really there.
  std::function<void(SideRun&)> ours_fixup;
};

class Side {
 public:
  Side(const Case& c, int index, std::string label, std::string cni_path, SideRun& out)
      : c_(c), index_(index), r_(out) {
    r_.label = std::move(label);
    r_.cni_path = std::move(cni_path);
  }

  void run() {
    vars_ = templateVars(index_);
    vars_["@DATADIR@"] = (r_.dir.path() / "ipam").string();
    const std::string text = substitute(testutil::readFile(kConflistDir + "/" + c_.file), vars_);
    conflist_ = Json::parse(text);
    net_ = conflist_["name"];
    r_.dir.write("net.d/" + c_.file, text);  // verbatim, as the runtime wrote it
    r_.node = std::make_unique<testutil::TestNetNs>("dn");
    r_.pod = std::make_unique<testutil::TestNetNs>("dp");
    if (!r_.node->ok() || !r_.pod->ok()) return harness("cannot create namespaces");
    r_.norm.alias(r_.pod->path(), "/run/netns/POD");
    r_.norm.alias(r_.node->name(), "NODE");
    r_.norm.alias(r_.pod->name(), "POD");
    auto setup = setUpNode(r_.node->name(), substitute(c_.node_setup, vars_));
    if (setup.status != 0) return harness("node setup failed: " + setup.err);
    if (!snap(*r_.node, r_.node_pre) || !snap(*r_.pod, r_.pod_pre)) return;

    r_.add = cnikit("add " + net_ + " " + r_.pod->path());
    if (r_.add.status == 0) {
      r_.result = r_.norm.applyJson(Json::parse(r_.add.out, nullptr, false));
      auto cache = Json::parse(
          testutil::readFile(r_.dir.path() / "cache/results" / (net_ + "-" + cid() + "-eth0")),
          nullptr, false);
      if (cache.is_object()) r_.cached_result = r_.norm.applyJson(cache.value("result", Json()));
    }
    if (!snap(*r_.node, r_.node_add) || !snap(*r_.pod, r_.pod_add)) return;
    if (r_.add.status == 0 && conflist_["cniVersion"] >= std::string("0.4.0")) {
      r_.checked = true;
      r_.check = cnikit("check " + net_ + " " + r_.pod->path());
    }
    r_.del = cnikit("del " + net_ + " " + r_.pod->path());
    if (!snap(*r_.node, r_.node_del) || !snap(*r_.pod, r_.pod_del)) return;
    r_.del2 = cnikit("del " + net_ + " ''");  // CNI_NETNS="", no cached result any more
    if (!snap(*r_.node, r_.node_del2)) return;
    r_.ipam_left = regularFiles(r_.dir.path() / "ipam");
    r_.cache_left = regularFiles(r_.dir.path() / "cache");
  }

 private:
  std::string cid() const {
    return "diff" + std::to_string(::getpid()) + "c" + std::to_string(index_);
  }

  testutil::CmdResult cnikit(const std::string& verb) const {
    return cnikitInNode(r_.node->name(), r_.dir.path(), r_.cni_path, cid(), verb, c_.cap_args,
                        substitute(c_.cni_args, {{"@CID@", cid()}}));
  }

  bool snap(const testutil::TestNetNs& ns, Snapshot& out) {
    auto s = snapshotNetns(ns.name(), r_.norm);
    if (!s) {
      harness(s.error().toString());
      return false;
    }
    out = std::move(*s);
    return true;
  }

  void harness(const std::string& msg) { r_.harness_error = msg; }

  const Case& c_;
  int index_;
  SideRun& r_;
  std::map<std::string, std::string> vars_;
  Json conflist_;
  std::string net_;
};

// ---------------------------------------------------------------------------------------------
// Comparison.

bool isForwardingSysctl(const std::string& section, const std::string& line) {
  return section == "sysctl" &&
         (line.starts_with("ipv4/ip_forward=") || line.starts_with("ipv6/conf/all/forwarding="));
}

// What a DEL leaves on the node by design, on both sides: the bridge (with its gateway address
// and subnet route) and the forwarding sysctls, as the reference does; the skeleton of the nft
// masquerade table (as iptables keeps its chains); the spoof-check table `bridge nat` with its
// empty PREROUTING base chain (the reference leaves it); the chains of the reference meta
// plugins (portmap, firewall), which they never delete and which are identical on both sides.
bool leftByDesign(const std::string& bridge, const std::string& section, const std::string& line) {
  static const std::regex kMetaChains(R"(CNI-HOSTPORT-|CNI-FORWARD|CNI-ADMIN|CNI-ISOLATION)");
  static const std::regex kBuiltinDecl(R"(^\w+: :[A-Z]+ ACCEPT$)");
  if (mentionsLink(line, bridge) || isForwardingSysctl(section, line)) return true;
  if (section == "masq-infra" || section == "portmap-infra") return true;
  if (section == "nft") {
    return line == "table bridge nat" ||
           line.starts_with("table bridge nat / chain PREROUTING #0: type filter hook prerouting");
  }
  if (section == "iptables" || section == "ip6tables") {
    return std::regex_search(line, kMetaChains) || std::regex_match(line, kBuiltinDecl);
  }
  return false;
}

std::string describe(const testutil::CmdResult& r) {
  return "exit " + std::to_string(r.status) + (r.err.empty() ? "" : ": " + r.err) +
         (r.status == 0 || r.out.empty() ? "" : " stdout: " + r.out);
}

Json errorJson(const testutil::CmdResult& r) {
  auto j = Json::parse(r.err, nullptr, false);
  return j.is_object() ? j : Json::object();
}

void expectSameSnapshots(const Snapshot& a, const Snapshot& b, const std::string& what) {
  auto d = diffSnapshots(a, b, "reference", "ours");
  EXPECT_TRUE(d.empty()) << what << " differs:\n" << d;
}

bool selfTest() { return oursMainDir() == kReferenceDir; }

// The skeleton our nftables masquerade must have (the newer reference's nft backend layout).
void expectMasqSkeleton(const SideRun& r) {
  const auto& infra = r.node_add.section("masq-infra");
  if (infra.empty()) return;
  std::string all;
  for (const auto& l : infra) all += l + "\n";
  for (const char* want :
       {"chain postrouting #0: type nat hook postrouting priority srcnat;",
        ": ip daddr 224.0.0.0/4 return", ": ip6 daddr ff00::/8 return", ": goto masq_checks"}) {
    EXPECT_NE(all.find(want), std::string::npos) << r.label << " masq table lacks " << want << ":\n"
                                                 << all;
  }
}

// A side's node after DEL must equal the node before ADD, but for what is left by design.
void expectRestored(const SideRun& s, const std::string& bridge) {
  auto d = diffSnapshots(s.pod_pre, s.pod_del, "before ADD", "after DEL");
  EXPECT_TRUE(d.empty()) << s.label << ": pod netns not restored by DEL:\n" << d;
  auto keep = [&](const std::string& sec, const std::string& l) {
    return leftByDesign(bridge, sec, l);
  };
  d = diffSnapshots(filterSnapshot(s.node_pre, keep), filterSnapshot(s.node_del, keep),
                    "before ADD", "after DEL");
  EXPECT_TRUE(d.empty()) << s.label << ": node not restored by DEL:\n" << d;
  d = diffSnapshots(s.node_del, s.node_del2, "after DEL", "after 2nd DEL");
  EXPECT_TRUE(d.empty()) << s.label << ": second DEL changed the node:\n" << d;
  for (const auto& f : s.ipam_left) {
    std::string base = fs::path(f).filename();
    // lock and last_reserved_ip.N are no allocations (the reference keeps them too); our lease
    // index keeps only its `stamp` once no lease is left (an entry file would be a leak).
    EXPECT_TRUE(base == "lock" || base.starts_with("last_reserved_ip.") ||
                (fs::path(f).parent_path().filename() == ".cnikit-index" && base == "stamp"))
        << s.label << ": IPAM data dir keeps " << f;
  }
  EXPECT_TRUE(s.cache_left.empty()) << s.label << ": cache keeps " << s.cache_left.front();
}

// Deliberate (newer reference): pkg/ipam ConfigureIface of the current reference plugins sets
// keep_addr_on_down=1 on the container interface when it adds an IPv6 address, so the addresses
// survive a down/up; 1.1.1 does not. Ours follows the newer reference: its value is mapped to
// 1.1.1's when (and only when) the pod interface really has an IPv6 address.
void newerReferenceKeepAddrOnDown(const SideRun& ref, SideRun& ours) {
  auto& sysctls = ours.pod_add.sections["sysctl"];
  for (auto& line : sysctls) {
    if (!line.ends_with("/keep_addr_on_down=1")) continue;
    std::string link = line.substr(10, line.find('/', 10) - 10);  // ipv6/conf/<link>/...
    bool has_v6 = false;
    for (const auto& a : ours.pod_add.section("addr")) {
      has_v6 |= a.starts_with("addr " + link + " inet6 ");
    }
    const auto& ref_sysctls = ref.pod_add.section("sysctl");
    const std::string ref_line = "ipv6/conf/" + link + "/keep_addr_on_down=0";
    if (has_v6 &&
        std::find(ref_sysctls.begin(), ref_sysctls.end(), ref_line) != ref_sysctls.end()) {
      line = ref_line;
    }
  }
  std::sort(sysctls.begin(), sysctls.end());
}

void compare(const Case& c, SideRun& ref, SideRun& ours, const std::string& bridge) {
  ASSERT_EQ(ref.harness_error, "") << "reference side: " << ref.harness_error;
  ASSERT_EQ(ours.harness_error, "") << "our side: " << ours.harness_error;
  if (std::getenv("CNIKIT_DIFF_DUMP") != nullptr) {  // for investigating a difference
    for (const SideRun* s : {&ref, &ours}) {
      std::printf("==== %s: result\n%s\n==== %s: node after ADD\n%s==== %s: pod after ADD\n%s",
                  s->label.c_str(), s->result.dump(2).c_str(), s->label.c_str(),
                  s->node_add.text().c_str(), s->label.c_str(), s->pod_add.text().c_str());
    }
  }

  // Outcomes. A failed ADD must fail the same way (same CNI error code; messages are printed).
  for (SideRun* s : {&ref, &ours}) {
    EXPECT_EQ(s->add.status == 0, c.add_ok) << s->label << " ADD: " << describe(s->add);
  }
  if (ref.add.status != 0 && ours.add.status != 0) {
    const Json re = errorJson(ref.add), oe = errorJson(ours.add);
    EXPECT_EQ(re.value("code", -1), oe.value("code", -1))
        << "reference: " << ref.add.err << "ours: " << ours.add.err;
    // Informative (the wording may differ; the code may not).
    std::printf(
        "[   INFO   ] %s: ADD fails on both sides (code %d)\n"
        "             reference: %s\n             ours:      %s\n",
        c.file.c_str(), re.value("code", -1), re.value("msg", "").c_str(),
        oe.value("msg", "").c_str());
  }
  if (ref.checked) {
    if (c.check_error.empty()) {
      EXPECT_EQ(ref.check.status, 0) << "reference CHECK: " << describe(ref.check);
      EXPECT_EQ(ours.check.status, 0) << "ours CHECK: " << describe(ours.check);
    } else {
      EXPECT_NE(ref.check.err.find(c.check_error), std::string::npos)
          << "reference CHECK (known defect expected): " << describe(ref.check);
      if (c.ours_may_pass_check && ours.check.status == 0) {
        std::printf("[   INFO   ] %s: our CHECK passes where the reference's fails (%s)\n",
                    c.file.c_str(), c.check_error.c_str());
      } else {
        EXPECT_EQ(errorJson(ours.check), errorJson(ref.check))
            << "ours CHECK: " << describe(ours.check);
      }
    }
  }
  // In a self-test (ours = the reference) our side has the reference's defects too.
  for (SideRun* s : selfTest() ? std::vector{&ref, &ours} : std::vector{&ref}) {
    if (c.reference_del_error.empty()) {
      EXPECT_EQ(s->del.status, 0) << s->label << " DEL: " << describe(s->del);
      if (c.reference_del2_error.empty()) {
        EXPECT_EQ(s->del2.status, 0) << s->label << " DEL without netns: " << describe(s->del2);
      } else {
        EXPECT_NE(s->del2.err.find(c.reference_del2_error), std::string::npos)
            << s->label
            << " DEL without netns (known reference defect expected): " << describe(s->del2);
      }
    } else {
      EXPECT_NE(s->del.err.find(c.reference_del_error), std::string::npos)
          << s->label << " DEL (known reference defect expected): " << describe(s->del);
    }
  }
  if (!selfTest()) {
    EXPECT_EQ(ours.del.status, 0) << "ours DEL: " << describe(ours.del);
    EXPECT_EQ(ours.del2.status, 0) << "ours DEL without netns: " << describe(ours.del2);
  }

  expectMasqSkeleton(ours);
  if (!selfTest()) {
    newerReferenceKeepAddrOnDown(ref, ours);
    if (c.ours_fixup) c.ours_fixup(ours);
  }

  EXPECT_EQ(ref.result.dump(2), ours.result.dump(2)) << "ADD result (normalised)";
  EXPECT_EQ(ref.cached_result.dump(2), ours.cached_result.dump(2)) << "cached ADD result";

  // Kernel state after ADD. The masquerade backend differs by design (iptables vs nftables):
  // its meaning is compared in section `masq`; the nft skeleton exists on our side only.
  auto no_infra = [](const std::string& section, const std::string&) {
    return section == "masq-infra" || section == "portmap-infra";
  };
  if (c.add_ok || selfTest()) {
    expectSameSnapshots(filterSnapshot(ref.node_add, no_infra),
                        filterSnapshot(ours.node_add, no_infra), "node after ADD");
    expectSameSnapshots(ref.pod_add, ours.pod_add, "pod after ADD");
  } else {
    // Deliberate: our failed ADD rolls back what it did (veth, addresses, IPAM lease) at once;
    // the reference leaves the veth pair configured until the runtime's DEL. So after a failed
    // ADD ours must look like before it (but for what is left by design, e.g. the bridge).
    auto keep = [&](const std::string& sec, const std::string& l) {
      return leftByDesign(bridge, sec, l);
    };
    auto d = diffSnapshots(filterSnapshot(ours.node_pre, keep), filterSnapshot(ours.node_add, keep),
                           "before ADD", "after failed ADD");
    EXPECT_TRUE(d.empty()) << "ours: node not restored by the failed ADD:\n" << d;
    d = diffSnapshots(ours.pod_pre, ours.pod_add, "before ADD", "after failed ADD");
    EXPECT_TRUE(d.empty()) << "ours: pod not restored by the failed ADD:\n" << d;
  }
  if (c.reference_del_error.empty()) {
    expectSameSnapshots(filterSnapshot(ref.node_del, no_infra),
                        filterSnapshot(ours.node_del, no_infra),
                        "node after DEL (what is left, the bridge included)");
    if (c.reference_del2_error.empty()) expectRestored(ref, bridge);
  }
  const bool ref_defects = !c.reference_del_error.empty() || !c.reference_del2_error.empty();
  if (!ref_defects || !selfTest()) expectRestored(ours, bridge);
}

// ---------------------------------------------------------------------------------------------
// The cases. What each file is and what is expected: tests/data/conflists/README.md.

const std::string kPortMapLower =
    R"({"portMappings":[{"hostPort":38080,"containerPort":80,"protocol":"tcp"}]})";
// containerd sends runtimeConfig keys capitalised (Go's case-insensitive decoding accepts them).
const std::string kPortMapContainerd =
    R"({"portMappings":[{"HostPort":38081,"ContainerPort":80,"Protocol":"tcp","HostIP":""}]})";
// portmap 1.1.1 CHECK always looks for its IPv6 DNAT chain/rules (with the IPv4 rules' content),
// even for IPv4-only pods, and fails; ours checks what it wrote and passes.
const std::string kPortmapCheckDefect = "could not check ipv6 dnat";
// bridge CHECK runs `ipam.ExecCheck(ipam.type)` even when ipam is {} (L2-only): the reference
// (1.1.1 and current) fails with this.
const std::string kL2CheckDefect = "no plugin name provided";

// Our firewall's per-IP rules carry one more match than the reference's, a comment naming the
// attachment (so DEL works without prevResult and GC can find them): dropped before comparing,
// after checking it is there.
void stripFirewallComments(SideRun& ours) {
  static const std::regex kComment(R"( -m comment --comment "cnikit firewall: [^"]*")");
  int stripped = 0;
  for (auto& line : ours.node_add.sections["iptables"]) {
    std::string plain = std::regex_replace(line, kComment, "");
    stripped += plain != line;
    line = std::move(plain);
  }
  std::sort(ours.node_add.sections["iptables"].begin(), ours.node_add.sections["iptables"].end());
  EXPECT_EQ(stripped, 2) << "our firewall rules (-d ctstate, -s) should carry our comment";
}

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {.file = "bridge-basic.conflist"},
      {.file = "bridge-v031.conflist"},
      {.file = "bridge-v040.conflist"},
      {.file = "bridge-default-gateway.conflist"},
      {.file = "bridge-dualstack.conflist"},
      // Two IPv4 addresses masqueraded: the reference puts both in one CNI-<hash> chain
      // (ACCEPT subnet1, MASQUERADE, ACCEPT subnet2: the second subnet is never exempted) and
      // its DEL fails deleting that chain while the second address' jump still uses it.
      // Ours gives each address its own rule exempting its own subnet (the newer reference's
      // nftables layout): deliberate. The normalisation maps ours to the reference's meaning
      // (every address exempts the first address' subnet only) after checking that ours is the
      // intended one.
      {.file = "bridge-two-rangesets.conflist",
       .reference_del_error = "CHAIN_DEL failed",
       .ours_fixup =
           [](SideRun& ours) {
             auto& masq = ours.node_add.sections["masq"];
             ASSERT_EQ(masq.size(), 2u);
             static const std::regex kTuple(R"(^masq src=(\S+) exempt=(\S+)( .*)$)");
             std::smatch first, second;
             ASSERT_TRUE(std::regex_match(masq[0], first, kTuple)) << masq[0];
             ASSERT_TRUE(std::regex_match(masq[1], second, kTuple)) << masq[1];
             // sorted: 10.x (range set 0) before 172.20.x (range set 1)
             EXPECT_TRUE(second[1].str().starts_with("172.20.") &&
                         second[2].str().starts_with("172.20."))
                 << "ours must exempt the second address' own subnet: " << masq[1];
             masq[1] =
                 "masq src=" + second[1].str() + " exempt=" + first[2].str() + second[3].str();
           }},
      // Two IPv4 gateways on one bridge are refused ("already has an IP address different
      // from ..."), after the veth got its addresses. The reference's DEL then fails for ever:
      // it tears down masquerade rules it never created (iptables: chain does not exist).
      {.file = "bridge-two-gateways.conflist",
       .add_ok = false,
       .reference_del_error = "does not exist"},
      {.file = "podman.conflist",
       .cap_args = kPortMapLower,
       .cni_args = "IgnoreUnknown=1;K8S_POD_NAME=diffpod",
       .check_error = kPortmapCheckDefect,
       .ours_may_pass_check = true,
       .ours_fixup = stripFirewallComments},
      {.file = "containerd.conflist",
       .cap_args = kPortMapContainerd,
       .cni_args = "K8S_POD_INFRA_CONTAINER_ID=@CID@;K8S_POD_UID=0b6e9c4e;IgnoreUnknown=1;"
                   "K8S_POD_NAMESPACE=default;K8S_POD_NAME=diffpod",
       .check_error = kPortmapCheckDefect,
       .ours_may_pass_check = true},
      {.file = "bridge-hairpin.conflist"},
      // tuning 1.1.1 CHECK reads the sysctl keys without replacing IFNAME (fixed later): it
      // fails; ours checks the interface's keys and passes. (txQLen is a later key: the diff
      // conflist leaves it out, tests/netns/tuning_test.cc covers it.)
      {.file = "bridge-tuning.conflist",
       .check_error = "/conf/IFNAME/",
       .ours_may_pass_check = true},
      // sbr moves the pod's routes from the main table into its own: ptp's CHECK, which looks
      // for the gateway route in the main table, then fails on both sides (reference defect:
      // sbr after ptp cannot pass CHECK). The reference sbr's DEL without netns fails opening
      // its lock file (and the ptp DEL after it never runs, leaking the lease); ours succeeds.
      {.file = "ptp-sbr.conflist",
       .check_error = "Failed to find Gateway",
       .reference_del2_error = "no such file or directory"},
      {.file = "bridge-promisc.conflist"},
      {.file = "bridge-mtu1400.conflist"},
      // The bridge exists with another IPv4 address: replaced with forceAddress ...
      {.file = "bridge-force-address.conflist",
       .node_setup = "ip link add @BRIDGE@ type bridge && ip addr add @OTHER4@ dev @BRIDGE@"},
      // ... refused without it (nothing may be left but the pre-existing bridge).
      {.file = "bridge-address-conflict.conflist",
       .node_setup = "ip link add @BRIDGE@ type bridge && ip addr add @OTHER4@ dev @BRIDGE@",
       .add_ok = false},
      {.file = "bridge-l2only.conflist"},
      {.file = "bridge-macspoofchk.conflist"},
      // This kernel has no bridge VLAN filtering (EOPNOTSUPP): both must fail the same way.
      {.file = "bridge-vlan100.conflist", .add_ok = false},
      // Reference 1.1.1 ignores disableContainerInterface (added in v1.5); the oracle for it is
      // the newer reference: the container veth stays down. Everything else is equal.
      {.file = "bridge-disable-container-iface.conflist",
       .check_error = kL2CheckDefect,
       .ours_may_pass_check = true,
       .ours_fixup =
           [](SideRun& ours) {
             for (auto& line : ours.pod_add.sections["link"]) {
               if (!line.starts_with("link eth0 ")) continue;
               EXPECT_EQ(line.find(",UP"), std::string::npos)
                   << "disableContainerInterface: eth0 must stay down: " << line;
               line = std::regex_replace(line, std::regex("flags=BROADCAST,MULTICAST "),
                                         "flags=BROADCAST,MULTICAST,UP ");
             }
           }},
      {.file = "bridge-enabledad.conflist"},
      {.file = "ptp-masq.conflist"},
      {.file = "ptp-dualstack.conflist"},
  };
  return kCases;
}

std::string mainPluginType(const Case& c) {
  return Json::parse(testutil::readFile(kConflistDir + "/" + c.file))["plugins"][0]["type"];
}

// Why a case cannot run here ("" = it can).
std::string skipReason(const Case& c) {
  if (!testutil::isRoot()) return "needs root (network namespaces)";
  if (!fs::exists(kReferenceDir + "/bridge")) return "reference plugins missing";
  if (!fs::exists(cnikitBin())) return "cnikit CLI not built";
  std::string type = mainPluginType(c);
  if (!fs::exists(oursMainDir() + "/" + type)) {
    return "our " + type + " plugin is not built (" + oursMainDir() + "/" + type + " missing)";
  }
  return "";
}

// All selected cases run up front on a small pool (CNIKIT_DIFF_JOBS, default 4): most of the
// time is spent waiting for execs and RCU grace periods, not on the CPU. Each TEST_P then only
// compares its pair of runs.
struct CaseRun {
  SideRun ref, ours;
};

std::map<int, std::unique_ptr<CaseRun>>& caseRuns() {
  static std::map<int, std::unique_ptr<CaseRun>> runs;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::function<void()>> jobs;
    const auto* unit = ::testing::UnitTest::GetInstance();
    for (int i = 0; i < unit->total_test_suite_count(); ++i) {
      const auto* suite = unit->GetTestSuite(i);
      if (std::string(suite->name()) != "Diff/DiffPlugins") continue;
      for (int j = 0; j < suite->total_test_count(); ++j) {
        const auto* info = suite->GetTestInfo(j);
        if (!info->should_run() || info->value_param() == nullptr) continue;
        const int index = std::stoi(info->value_param());
        const Case& c = cases()[index];
        if (!skipReason(c).empty()) continue;
        auto& run = runs[index] = std::make_unique<CaseRun>();
        auto ref = std::make_shared<Side>(c, index, "reference", kReferenceDir, run->ref);
        auto ours = std::make_shared<Side>(c, index, "ours", oursCniPath(), run->ours);
        // tuning keeps a backup file named by container ID under /run/cni/tuning (outside the
        // node netns): the two sides of such a case must not run at the same time.
        if (testutil::readFile(kConflistDir + "/" + c.file).find("\"tuning\"") !=
            std::string::npos) {
          jobs.push_back([ref, ours] {
            ref->run();
            ours->run();
          });
        } else {
          jobs.push_back([ref] { ref->run(); });
          jobs.push_back([ours] { ours->run(); });
        }
      }
    }
    int workers = 4;
    if (const char* j = std::getenv("CNIKIT_DIFF_JOBS"); j != nullptr) workers = std::atoi(j);
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int w = 0; w < std::max(1, workers); ++w) {
      pool.emplace_back([&] {
        for (size_t k; (k = next++) < jobs.size();) jobs[k]();
      });
    }
    for (auto& t : pool) t.join();
  });
  return runs;
}

class DiffPlugins : public ::testing::TestWithParam<int> {};

TEST_P(DiffPlugins, SameResultsAndKernelStateAsReference) {
  const Case& c = cases()[GetParam()];
  if (auto why = skipReason(c); !why.empty()) GTEST_SKIP() << why;
  auto& run = caseRuns().at(GetParam());
  SCOPED_TRACE(c.file);
  compare(c, run->ref, run->ours, templateVars(GetParam())["@BRIDGE@"]);
}

INSTANTIATE_TEST_SUITE_P(Diff, DiffPlugins, ::testing::Range(0, static_cast<int>(cases().size())),
                         [](const ::testing::TestParamInfo<int>& info) {
                           std::string n = cases()[info.param].file;
                           n = n.substr(0, n.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// ---------------------------------------------------------------------------------------------
// Two pods on one bridge (bridge-basic.conflist): each reaches the other and the gateway, on both
// implementations; the node with both attached is the same; DEL of both restores the node.

struct TwoPodRun {
  std::string label, cni_path;
  testutil::TempDir dir;
  std::unique_ptr<testutil::TestNetNs> node, pod_a, pod_b;
  Normaliser norm;
  std::vector<std::string> failures;  // every failed step, with its output
  Json result_a, result_b;
  Snapshot node_pre, node_add, node_del;
};

constexpr int kTwoPodsIndex = 40;  // template index (own subnets)

void runTwoPods(TwoPodRun& r) {
  auto vars = templateVars(kTwoPodsIndex);
  vars["@DATADIR@"] = (r.dir.path() / "ipam").string();
  const std::string text =
      substitute(testutil::readFile(kConflistDir + "/bridge-basic.conflist"), vars);
  const std::string net = Json::parse(text)["name"];
  r.dir.write("net.d/bridge-basic.conflist", text);
  r.node = std::make_unique<testutil::TestNetNs>("dn");
  r.pod_a = std::make_unique<testutil::TestNetNs>("da");
  r.pod_b = std::make_unique<testutil::TestNetNs>("db");
  if (!r.node->ok() || !r.pod_a->ok() || !r.pod_b->ok()) {
    r.failures.push_back("cannot create namespaces");
    return;
  }
  r.norm.alias(r.pod_a->path(), "/run/netns/POD-A");
  r.norm.alias(r.pod_b->path(), "/run/netns/POD-B");
  auto step = [&](const std::string& what, const testutil::CmdResult& res) {
    if (res.status != 0) r.failures.push_back(what + ": " + describe(res));
    return res.status == 0;
  };
  auto snap = [&](Snapshot& out) {
    auto s = snapshotNetns(r.node->name(), r.norm);
    if (s) out = std::move(*s);
    return s ? true : (r.failures.push_back(s.error().toString()), false);
  };
  const std::string pid = std::to_string(::getpid());
  if (!step("node setup", setUpNode(r.node->name(), "")) || !snap(r.node_pre)) return;
  auto add_a = cnikitInNode(r.node->name(), r.dir.path(), r.cni_path, "diff" + pid + "a",
                            "add " + net + " " + r.pod_a->path());
  auto add_b = cnikitInNode(r.node->name(), r.dir.path(), r.cni_path, "diff" + pid + "b",
                            "add " + net + " " + r.pod_b->path());
  if (!step("ADD pod A", add_a) || !step("ADD pod B", add_b)) return;
  auto ip_of = [](const Json& result) {
    std::string a = result["ips"][0]["address"];
    return a.substr(0, a.find('/'));
  };
  auto ra = Json::parse(add_a.out), rb = Json::parse(add_b.out);
  const std::string ip_a = ip_of(ra), ip_b = ip_of(rb), gw = vars["@GW4@"];
  auto ping = [&](const testutil::TestNetNs& from, const std::string& to) {
    step("ping " + from.name() + " -> " + to,
         testutil::run("ip netns exec " + from.name() + " ping -c 1 -W 2 " + to));
  };
  ping(*r.pod_a, ip_b);
  ping(*r.pod_b, ip_a);
  ping(*r.pod_a, gw);
  ping(*r.pod_b, gw);
  r.result_a = r.norm.applyJson(ra);
  r.result_b = r.norm.applyJson(rb);
  if (!snap(r.node_add)) return;
  step("DEL pod A", cnikitInNode(r.node->name(), r.dir.path(), r.cni_path, "diff" + pid + "a",
                                 "del " + net + " " + r.pod_a->path()));
  step("DEL pod B", cnikitInNode(r.node->name(), r.dir.path(), r.cni_path, "diff" + pid + "b",
                                 "del " + net + " " + r.pod_b->path()));
  snap(r.node_del);
}

TEST(DiffTwoPods, ReachEachOtherAndTheGatewayOnBothImplementations) {
  if (auto why = skipReason(cases()[0]); !why.empty()) GTEST_SKIP() << why;
  TwoPodRun ref, ours;
  ref.label = "reference";
  ref.cni_path = kReferenceDir;
  ours.label = "ours";
  ours.cni_path = oursCniPath();
  std::thread t([&] { runTwoPods(ref); });
  runTwoPods(ours);
  t.join();
  for (const TwoPodRun* r : {&ref, &ours}) {
    for (const auto& f : r->failures) ADD_FAILURE() << r->label << ": " << f;
  }
  if (!ref.failures.empty() || !ours.failures.empty()) return;
  EXPECT_EQ(ref.result_a.dump(2), ours.result_a.dump(2)) << "pod A result";
  EXPECT_EQ(ref.result_b.dump(2), ours.result_b.dump(2)) << "pod B result";
  auto no_infra = [](const std::string& section, const std::string&) {
    return section == "masq-infra" || section == "portmap-infra";
  };
  EXPECT_EQ(ref.node_add.section("masq").size(), 2u) << ref.node_add.text();
  expectSameSnapshots(filterSnapshot(ref.node_add, no_infra),
                      filterSnapshot(ours.node_add, no_infra), "node with two pods");
  const std::string bridge = templateVars(kTwoPodsIndex)["@BRIDGE@"];
  for (const TwoPodRun* r : {&ref, &ours}) {
    auto keep = [&](const std::string& sec, const std::string& l) {
      return leftByDesign(bridge, sec, l);
    };
    auto d = diffSnapshots(filterSnapshot(r->node_pre, keep), filterSnapshot(r->node_del, keep),
                           "before ADD", "after DEL");
    EXPECT_TRUE(d.empty()) << r->label << ": node not restored after both DELs:\n" << d;
  }
}

// ---------------------------------------------------------------------------------------------
// The comparison machinery itself.

TEST(DiffKernelState, NormaliserNumbersVethsAndMacsByFirstAppearance) {
  Normaliser n;
  EXPECT_EQ(n.apply("veth1a2b3c4d aa:bb:cc:00:11:22 vethdeadbeef veth1a2b3c4d"),
            "veth1 mac1 veth2 veth1");
  EXPECT_EQ(n.apply("AA:BB:CC:00:11:22 ff:ff:ff:ff:ff:ff 01:00:5e:00:00:01 00:00:00:00:00:00"),
            "mac1 ff:ff:ff:ff:ff:ff 01:00:5e:00:00:01 00:00:00:00:00:00")
      << "same MAC in upper case; broadcast, multicast and zero MACs kept";
  EXPECT_EQ(n.apply("vethdeadbeef0 myveth1a2b3c4d fd00:aa:bb:cc:dd:ee::1"),
            "vethdeadbeef0 myveth1a2b3c4d fd00:aa:bb:cc:dd:ee::1")
      << "no partial words, no pieces of IPv6 addresses";
  n.alias("/run/netns/cnikit-1-2-dp", "/run/netns/POD");
  EXPECT_EQ(n.applyJson(Json::parse(R"({"a":["/run/netns/cnikit-1-2-dp","veth00000000"]})")),
            Json::parse(R"({"a":["/run/netns/POD","veth3"]})"));
}

// The masquerade of one pod written by either backend — the reference's iptables chain or the
// nftables layout of ours — must read as the same `masq` facts, and only the nftables skeleton
// (not a per-pod rule) may remain in `masq-infra`.
TEST(DiffKernelState, MasqueradeMeaningIsTheSameForIptablesAndNftables) {
  if (!testutil::isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  testutil::TestNetNs ipt("mi"), nft("mn");
  ASSERT_TRUE(ipt.ok() && nft.ok());
  const std::string chain = "CNI-0123456789abcdef01234567";
  const std::string comment = R"("name: \"net1\" id: \"cid1\"")";
  auto r = testutil::run(
      "ip netns exec " + ipt.name() + " sh -c " +
      shellQuote("iptables -w -t nat -N " + chain + " && iptables -w -t nat -A " + chain +
                 " -d 10.1.2.0/24 -m comment --comment " + comment + " -j ACCEPT && " +
                 "iptables -w -t nat -A " + chain + " ! -d 224.0.0.0/4 -m comment --comment " +
                 comment + " -j MASQUERADE && iptables -w -t nat -A POSTROUTING -s 10.1.2.3/32 " +
                 "-m comment --comment " + comment + " -j " + chain));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string ruleset = R"(
table inet cni_plugins_masquerade {
  comment "Masquerading for plugins from github.com/containernetworking/plugins"
  chain masq_checks {
    comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"
    ip saddr 10.1.2.3 ip daddr != 10.1.2.0/24 masquerade comment "0123456789abcdef-0123456789abcdef, net: net1, if: eth0, id: cid1"
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip daddr 224.0.0.0/4 return
    ip6 daddr ff00::/8 return
    goto masq_checks
  }
}
)";
  r = testutil::run("ip netns exec " + nft.name() + " nft -f -", {}, ruleset);
  ASSERT_EQ(r.status, 0) << r.err;
  Normaliser n1, n2;
  auto a = snapshotNetns(ipt.name(), n1);
  auto b = snapshotNetns(nft.name(), n2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->section("masq"),
            std::vector<std::string>{"masq src=10.1.2.3 exempt=10.1.2.0/24 mcast-exempt "
                                     "net=net1 id=cid1"})
      << a->text();
  EXPECT_EQ(a->section("masq"), b->section("masq")) << b->text();
  EXPECT_TRUE(a->section("iptables").empty()) << "the chain is fully accounted for";
  EXPECT_TRUE(b->section("nft").empty()) << b->text();
  for (const auto& l : b->section("masq-infra")) {
    EXPECT_EQ(l.find("masquerade comment"), std::string::npos) << l;
  }
}

}  // namespace
}  // namespace cni::e2e
