// tests/unit/doctor/runtime_test.cc — the runtime side of `cnikit doctor`: journal lines about
// CNI and the CNI DaemonSet pod. journalctl and kubectl are fake shell scripts in a temp tool
// dir (Options::tool_path) that print canned output and record their argv, so each scenario
// asserts the exact findings, the command line the doctor ran, and the exit code.
#include "src/doctor/runtime.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "src/invoke/go_format.h"
#include "tests/testutil/run.h"
#include "tests/unit/doctor/broken_node.h"

namespace cni::doctortest {
namespace {

namespace fs = std::filesystem;
using doctor::Severity;
using namespace std::chrono_literals;

void writeFile(const std::string& path, std::string_view content, int mode = 0644) {
  std::ofstream(path, std::ios::trunc) << content;
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

// RFC 3339 UTC time `ago` in the past, as the API server writes it.
std::string rfc3339(std::chrono::seconds ago) {
  std::time_t t = std::time(nullptr) - ago.count();
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A 64-hex-digit container/sandbox ID, different for each i.
std::string hex64(int i) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%08x%056x", 0x5eed0000 + i, i * 7919 + 1);
  return buf;
}

// A node with a tool dir; fakes record argv to <root>/<tool>[.<unit>].argv.
class RuntimeNode : public BrokenNode {
 public:
  RuntimeNode() { fs::create_directories(tools()); }

  std::string tools() const { return root() + "/tools"; }
  std::string file(std::string_view name) const { return root() + "/" + std::string(name); }

  // journalctl printing <root>/journal.<unit> when it exists.
  void fakeJournalctl() const {
    writeFile(tools() + "/journalctl",
              "#!/bin/sh\nunit=\nprev=\nfor a in \"$@\"; do [ \"$prev\" = -u ] && unit=$a; "
              "prev=$a; done\nprintf '%s\\n' \"$@\" > " +
                  root() + "/journalctl.$unit.argv\n[ -f " + root() + "/journal.$unit ] && cat " +
                  root() + "/journal.$unit\nexit 0\n",
              0755);
  }
  void journal(std::string_view unit, std::string_view content) const {
    writeFile(file("journal." + std::string(unit)), content);
  }
  // kubectl printing `stdout_json` and `stderr_text`, exiting `code`.
  void fakeKubectl(const Json& stdout_json, std::string_view stderr_text = "", int code = 0) const {
    writeFile(file("kubectl.out"), stdout_json.is_null() ? "" : stdout_json.dump());
    writeFile(file("kubectl.err"), stderr_text);
    writeFile(tools() + "/kubectl",
              "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + root() + "/kubectl.argv\ncat " + root() +
                  "/kubectl.out\ncat " + root() + "/kubectl.err >&2\nexit " + std::to_string(code) +
                  "\n",
              0755);
  }
  std::string kubeconfig() const {
    writeFile(file("kubeconfig"), "apiVersion: v1\nkind: Config\n");
    return file("kubeconfig");
  }

  doctor::Options options() const {
    doctor::Options o = BrokenNode::options();
    o.runtime_checks = true;
    o.tool_path = tools();
    o.node_name = "node-a";
    return o;
  }
};

// Only the runtime family, so the exit code is about its findings alone.
doctor::Report runRuntime(const doctor::Options& o) {
  doctor::Context c = doctor::gather(o);
  doctor::Report r;
  doctor::checkRuntime(c, r);
  return r;
}

doctor::Source sourceOf(const doctor::Report& r, std::string_view name) {
  for (const auto& s : r.sources()) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no source " << name;
  return {};
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != hay.npos;
}

// ---------------------------------------------------------------------------------------------
// journal

TEST(DoctorRuntime, AbsentToolsAreSkippedSourcesNotFindings) {
  RuntimeNode n;
  auto r = runRuntime(n.options());
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  auto j = sourceOf(r, "journal");
  EXPECT_FALSE(j.ran);
  EXPECT_EQ(j.detail, "journalctl not found in PATH");
  auto k = sourceOf(r, "kubernetes");
  EXPECT_FALSE(k.ran);
  EXPECT_EQ(k.detail, "kubectl not found");
  EXPECT_EQ(r.exitCode(), 0);
}

TEST(DoctorRuntime, OfflineAndDisabledSkipBothSources) {
  RuntimeNode n;
  n.fakeJournalctl();
  auto o = n.options();
  o.offline = true;
  auto r = runRuntime(o);
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  EXPECT_FALSE(sourceOf(r, "journal").ran);
  EXPECT_TRUE(contains(sourceOf(r, "kubernetes").detail, "offline"));
  EXPECT_FALSE(fs::exists(n.file("journalctl.kubelet.argv")));  // never ran
  o.offline = false;
  o.runtime_checks = false;
  r = runRuntime(o);
  EXPECT_TRUE(contains(sourceOf(r, "journal").detail, "--no-runtime"));
  EXPECT_FALSE(fs::exists(n.file("journalctl.kubelet.argv")));
}

TEST(DoctorRuntime, FiftyPodsOutOfAddressesAreOneErrorGroup) {
  RuntimeNode n;
  n.fakeJournalctl();
  std::string log =
      "I1129 06:00:00.000001    812 kubelet.go:2347] \"SyncLoop ADD\" source=\"api\"\n";
  std::string first, last;
  for (int i = 0; i < 50; ++i) {
    char line[2048];
    // The kubelet's own form: klog header, the pod in three spellings, the sandbox id nested in
    // escaped quotes. Everything but the failure differs from line to line.
    std::snprintf(line, sizeof line,
                  "E1129 06:%02d:%02d.%06d    812 pod_workers.go:1298] \"Error syncing pod, "
                  "skipping\" err=\"failed to \\\"CreatePodSandbox\\\" for \\\"web-%d-7c9f8_shop"
                  "(0f3b2c4d-%04d-4e5f-8a9b-0c1d2e3f4a5b)\\\" with CreatePodSandboxError: "
                  "\\\"Failed to create sandbox for pod \\\\\\\"web-%d-7c9f8_shop(0f3b2c4d-%04d-"
                  "4e5f-8a9b-0c1d2e3f4a5b)\\\\\\\": rpc error: code = Unknown desc = failed to "
                  "setup network for sandbox \\\\\\\"%s\\\\\\\": plugin type=\\\\\\\"bridge\\\\\\\""
                  " failed (add): failed to allocate for range 0: no IP addresses available in "
                  "range set: 10.22.0.1-10.22.0.254\\\"\" pod=\"shop/web-%d-7c9f8\" "
                  "podUID=\"0f3b2c4d-%04d-4e5f-8a9b-0c1d2e3f4a5b\"",
                  i / 60 + 1, i % 60, i * 1013, i, i, i, i, hex64(i).c_str(), i, i);
    log += line;
    log += "\n";
    if (i == 0) first = line;
    last = line;
    if (i % 20 == 0) log += "I1129 06:10:00.000000    812 kubelet.go:1] \"Started kubelet\"\n";
  }
  // Informational CNI chatter of a healthy node does not count.
  log +=
      "I1129 06:11:00.000000    812 kubelet_network.go:61] \"Updating Pod CIDR\" "
      "originalPodCIDR=\"\" newPodCIDR=\"10.22.0.0/24\" cni=\"ok\"\n";
  n.journal("kubelet", log);
  auto o = n.options();
  o.journal_since = 1800s;
  auto r = runRuntime(o);

  auto f = findingsOf(r, "runtime.journal");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, "kubelet");
  EXPECT_TRUE(f[0].message.starts_with("50 lines in the last 30m: ")) << f[0].message;
  EXPECT_TRUE(contains(f[0].message, "failed to setup network for sandbox \"<id>\""))
      << f[0].message;
  EXPECT_TRUE(contains(f[0].message, "no IP addresses available in range set: <ip>-<ip>"))
      << f[0].message;
  EXPECT_FALSE(contains(f[0].message, "web-")) << f[0].message;  // pod names blanked
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, "journalctl -u kubelet");
  EXPECT_EQ(f[0].evidence[0].value, first);
  EXPECT_EQ(f[0].evidence[1].path, "journalctl -u kubelet");
  EXPECT_EQ(f[0].evidence[1].value, last);
  EXPECT_TRUE(contains(f[0].fix, "leaked")) << f[0].fix;
  EXPECT_TRUE(contains(f[0].fix, "state.lease-leaked")) << f[0].fix;
  EXPECT_TRUE(contains(f[0].fix, "cnikit doctor --fix")) << f[0].fix;
  EXPECT_EQ(r.exitCode(), 2);

  // The command line: the unit, the window as an absolute epoch, plain messages, no pager.
  std::string argv = testutil::readFile(n.file("journalctl.kubelet.argv"));
  EXPECT_TRUE(argv.starts_with("-u\nkubelet\n--since=@")) << argv;
  EXPECT_TRUE(contains(argv, "\n-o\ncat\n--no-pager\n-q\n")) << argv;
  long long since = std::atoll(argv.c_str() + argv.find('@') + 1);
  EXPECT_NEAR(static_cast<double>(since), static_cast<double>(std::time(nullptr) - 1800), 10);
  EXPECT_TRUE(fs::exists(n.file("journalctl.containerd.argv")));
  EXPECT_TRUE(fs::exists(n.file("journalctl.crio.argv")));

  auto src = sourceOf(r, "journal");
  EXPECT_TRUE(src.ran);
  EXPECT_TRUE(contains(src.detail, "kubelet: 55 lines, 50 about CNI in 1 group;")) << src.detail;
  EXPECT_TRUE(contains(src.detail, "containerd: no entries")) << src.detail;
}

TEST(DoctorRuntime, GroupsAreCappedAndCausesPointAtTheDoctorsChecks) {
  RuntimeNode n;
  n.fakeJournalctl();
  // containerd at startup, before the CNI pod wrote a config: pods cannot get a network (an
  // informational line that still counts).
  std::string log =
      "time=\"2026-11-29T06:00:00Z\" level=info msg=\"failed to load cni during init\" "
      "error=\"cni config load failed: no network config found in /etc/cni/net.d: cni plugin "
      "not initialized\"\n";
  auto add = [&](int times, const std::string& msg) {
    for (int i = 0; i < times; ++i) {
      log += "time=\"2026-11-29T06:" + std::to_string(10 + i) +
             ":00.123456789Z\" level=error msg=\"" + msg + "\" sandbox=" + hex64(i) + "\n";
    }
  };
  add(9, "failed to find plugin \\\"bridge\\\" in path [/opt/cni/bin]");
  add(8,
      "plugin bridge: incompatible CNI versions; config is \\\"1.1.0\\\", plugin supports "
      "[0.1.0]");
  add(7, "failed to destroy network for sandbox: plugin type=\\\"portmap\\\" failed (delete)");
  for (int k = 0; k < 9; ++k) add(1, "cni oddity number-" + std::string(1, char('a' + k)));
  n.journal("containerd", log);
  auto r = runRuntime(n.options());

  auto f = findingsOf(r, "runtime.journal");
  ASSERT_EQ(f.size(), 10u) << describe(r);
  auto with = [&](std::string_view text) -> doctor::Finding {
    for (const auto& x : f) {
      if (contains(x.message, text)) return x;
    }
    ADD_FAILURE() << "no finding with " << text << "\n" << describe(r);
    return {};
  };
  auto missing = with("9 lines in the last 1h: time=\"<time>\" level=error msg=\"failed to find");
  EXPECT_EQ(missing.severity, Severity::kError);
  EXPECT_EQ(missing.subject, "containerd");
  EXPECT_TRUE(contains(missing.fix, "plugins.missing")) << missing.fix;
  auto ver = with("8 lines");
  EXPECT_EQ(ver.severity, Severity::kError);
  EXPECT_TRUE(contains(ver.fix, "plugins.unsupported-version")) << ver.fix;
  EXPECT_TRUE(contains(ver.message, "config is \"1.1.0\"")) << ver.message;  // versions kept
  auto del = with("7 lines");
  EXPECT_EQ(del.severity, Severity::kWarning);
  EXPECT_TRUE(contains(del.fix, "DEL failed")) << del.fix;
  auto init = with("cni plugin not initialized");
  EXPECT_EQ(init.severity, Severity::kError);
  EXPECT_TRUE(contains(init.fix, "conf.")) << init.fix;
  EXPECT_EQ(init.evidence.size(), 1u);  // a single line: no separate "last"
  EXPECT_TRUE(contains(sourceOf(r, "journal").detail,
                       "containerd: 34 lines, 34 about CNI in 13 groups (3 least frequent not "
                       "reported);"))
      << sourceOf(r, "journal").detail;
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorRuntime, NormalisationKeepsTheFailureAndBlanksWhatVaries) {
  using doctor::runtime::normaliseLine;
  EXPECT_EQ(normaliseLine("E1129 06:25:21.123456    1234 kuberuntime_sandbox.go:72] \"Failed to "
                          "create sandbox for pod\" err=\"x\" pod=\"kube-system/coredns-5d78c9869d-"
                          "abcde\""),
            "\"Failed to create sandbox for pod\" err=\"x\" pod=\"<pod>\"");
  EXPECT_EQ(normaliseLine("RunPodSandbox for &PodSandboxMetadata{Name:coredns-x,Uid:0f3b2c4d-1111-"
                          "4e5f-8a9b-0c1d2e3f4a5b,Namespace:kube-system,Attempt:3,} failed"),
            "RunPodSandbox for &PodSandboxMetadata{Name:<pod>,Uid:<uuid>,Namespace:<ns>,Attempt:"
            "<n>,} failed");
  EXPECT_EQ(normaliseLine("add cmd: failed to assign an IP address to container at "
                          "fd00:10:244::1a/64 via 10.0.0.1:6443 on cni0 mac 0a:58:0a:f4:00:01"),
            "add cmd: failed to assign an IP address to container at <ip> via <ip> on cni0 mac "
            "<ip>");
  EXPECT_EQ(normaliseLine("using 10-calico.conflist cniVersion 0.4.0  after   3 tries"),
            "using 10-calico.conflist cniVersion 0.4.0 after <n> tries");
}

TEST(DoctorRuntime, HangingJournalctlIsKilledAtTheTimeout) {
  RuntimeNode n;
  // The shell forks sleep: only killing the process group gets rid of both.
  writeFile(n.tools() + "/journalctl",
            "#!/bin/sh\n/bin/sleep 30 &\necho $! >> " + n.file("sleepers") + "\nwait\n", 0755);
  auto o = n.options();
  // Long enough that the shell has always written its sleeper's pid before the kill, even
  // sanitized on a loaded machine.
  o.probe_timeout = 1s;
  auto start = std::chrono::steady_clock::now();
  auto r = BrokenNode::diagnose(o);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 6s);
  EXPECT_TRUE(findingsOf(r, "runtime.journal").empty()) << describe(r);
  auto src = sourceOf(r, "journal");
  EXPECT_TRUE(src.ran);
  EXPECT_TRUE(contains(src.detail, "kubelet: journalctl timed out after 1s and was killed"))
      << src.detail;
  EXPECT_TRUE(contains(src.detail, "crio: journalctl timed out after 1s")) << src.detail;
  // Every sleep the fakes started is dead (gone, or a zombie awaiting its new parent).
  std::ifstream pids(n.file("sleepers"));
  int count = 0;
  for (pid_t pid; pids >> pid; ++count) {
    EXPECT_TRUE(testutil::waitGone(pid, 1s)) << "sleep " << pid << " survived";
  }
  EXPECT_EQ(count, 3);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

Json container(std::string_view name, bool ready, const Json& state, int restarts = 0,
               const Json& last_state = Json::object()) {
  return {{"name", name},   {"ready", ready},          {"restartCount", restarts},
          {"state", state}, {"lastState", last_state}, {"image", "img"}};
}

Json pod(std::string_view ns, std::string_view name, std::string_view daemonset,
         const std::vector<std::string>& host_paths, std::string_view phase, const Json& statuses,
         const Json& init_statuses = Json::array()) {
  Json volumes = Json::array();
  for (size_t i = 0; i < host_paths.size(); ++i) {
    volumes.push_back({{"name", "v" + std::to_string(i)}, {"hostPath", {{"path", host_paths[i]}}}});
  }
  volumes.push_back({{"name", "token"}, {"projected", Json::object()}});
  Json owners = Json::array();
  if (!daemonset.empty()) {
    owners.push_back({{"apiVersion", "apps/v1"}, {"kind", "DaemonSet"}, {"name", daemonset}});
  } else {
    owners.push_back({{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "rs"}});
  }
  Json containers = Json::array();
  for (const auto& s : statuses) {
    containers.push_back({{"name", s["name"]}, {"image", "quay.io/calico/node:v3.28.0"}});
  }
  Json inits = Json::array();
  for (const auto& s : init_statuses) {
    inits.push_back({{"name", s["name"]}, {"image", "quay.io/calico/cni:v3.28.0"}});
  }
  return {{"metadata", {{"name", name}, {"namespace", ns}, {"ownerReferences", owners}}},
          {"spec",
           {{"nodeName", "node-a"},
            {"volumes", volumes},
            {"containers", containers},
            {"initContainers", inits}}},
          {"status",
           {{"phase", phase},
            {"containerStatuses", statuses},
            {"initContainerStatuses", init_statuses}}}};
}

const std::vector<std::string> kCalicoPaths = {"/opt/cni/bin", "/etc/cni/net.d", "/var/run/calico"};
const std::vector<std::string> kProxyPaths = {"/run/xtables.lock", "/lib/modules"};

Json running(std::chrono::seconds ago = 7200s) {
  return {{"running", {{"startedAt", rfc3339(ago)}}}};
}
Json crashLoop(std::string_view pod_name) {
  return {{"waiting",
           {{"reason", "CrashLoopBackOff"},
            {"message", "back-off 5m0s restarting failed container=calico-node pod=" +
                            std::string(pod_name) + "_kube-system(abc)"}}}};
}
Json lastExit(std::string_view reason, int code, std::chrono::seconds ago) {
  return {{"terminated", {{"reason", reason}, {"exitCode", code}, {"finishedAt", rfc3339(ago)}}}};
}
Json podList(const std::vector<Json>& items) { return {{"kind", "List"}, {"items", items}}; }

TEST(DoctorRuntime, KubectlWithoutKubeconfigIsSkipped) {
  RuntimeNode n;
  n.fakeJournalctl();
  n.fakeKubectl(podList({}));
  if (fs::exists("/etc/kubernetes/kubelet.conf") || fs::exists("/etc/kubernetes/admin.conf")) {
    GTEST_SKIP() << "this machine has a kubeconfig in /etc/kubernetes";
  }
  // No $KUBECONFIG and a HOME without .kube: nothing to use.
  const char* old_home = std::getenv("HOME");
  std::string saved_home = old_home ? old_home : "";
  const char* old_kc = std::getenv("KUBECONFIG");
  std::string saved_kc = old_kc ? old_kc : "";
  ::setenv("HOME", n.root().c_str(), 1);
  ::unsetenv("KUBECONFIG");
  auto r = runRuntime(n.options());
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
  if (old_kc) ::setenv("KUBECONFIG", saved_kc.c_str(), 1);

  EXPECT_TRUE(r.findings().empty()) << describe(r);
  auto k = sourceOf(r, "kubernetes");
  EXPECT_FALSE(k.ran);
  EXPECT_EQ(k.detail,
            "no kubeconfig: looked in $KUBECONFIG, /etc/kubernetes/kubelet.conf, "
            "/etc/kubernetes/admin.conf, ~/.kube/config");
  EXPECT_FALSE(fs::exists(n.file("kubectl.argv")));
  EXPECT_TRUE(sourceOf(r, "journal").ran);
  EXPECT_EQ(r.exitCode(), 0);

  auto o = n.options();
  o.kubeconfig = n.root() + "/nope.conf";
  r = runRuntime(o);
  EXPECT_EQ(sourceOf(r, "kubernetes").detail, "no kubeconfig: " + o.kubeconfig + " does not exist");
  EXPECT_FALSE(fs::exists(n.file("kubectl.argv")));
}

TEST(DoctorRuntime, CrashLoopingCalicoPodIsAnError) {
  RuntimeNode n;
  n.fakeKubectl(podList({
      pod("kube-system", "calico-node-x7k2p", "calico-node", kCalicoPaths, "Running",
          Json::array({container("calico-node", false, crashLoop("calico-node-x7k2p"), 12,
                                 lastExit("Error", 1, 120s))})),
      // kube-proxy crash-looping too: not a CNI pod, not this family's business.
      pod("kube-system", "kube-proxy-q8z2m", "kube-proxy", kProxyPaths, "Running",
          Json::array({container("kube-proxy", false, crashLoop("kube-proxy-q8z2m"), 3)})),
      pod("default", "web-1", "", {}, "Running", Json::array({container("web", true, running())})),
  }));
  auto o = n.options();
  o.kubeconfig = n.kubeconfig();
  auto r = runRuntime(o);

  ASSERT_EQ(r.findings().size(), 1u) << describe(r);
  auto f = findingsOf(r, "runtime.cni-pod");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].subject, "kube-system/calico-node-x7k2p");
  EXPECT_TRUE(contains(f[0].message,
                       "(DaemonSet calico-node) is not running and ready: Running, ready 0/1, "
                       "container calico-node CrashLoopBackOff, last exit Error (code 1), 12 "
                       "restarts"))
      << f[0].message;
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[0].path, "pod kube-system/calico-node-x7k2p");
  EXPECT_EQ(f[0].evidence[0].value, "Running, ready 0/1, DaemonSet calico-node");
  EXPECT_EQ(f[0].evidence[1].path, "pod kube-system/calico-node-x7k2p container calico-node");
  EXPECT_TRUE(f[0].evidence[1].value.starts_with("waiting: CrashLoopBackOff (back-off 5m0s"))
      << f[0].evidence[1].value;
  EXPECT_TRUE(contains(f[0].evidence[1].value, "; last terminated: Error, exit code 1, at "));
  EXPECT_TRUE(f[0].evidence[1].value.ends_with("; restarts: 12; ready: false"));
  EXPECT_TRUE(contains(f[0].fix,
                       "`kubectl -n kube-system logs calico-node-x7k2p -c calico-node --previous`"))
      << f[0].fix;
  EXPECT_TRUE(contains(f[0].fix, "`kubectl -n kube-system describe pod calico-node-x7k2p`"));
  EXPECT_EQ(r.exitCode(), 2);

  EXPECT_EQ(testutil::readFile(n.file("kubectl.argv")),
            "--kubeconfig\n" + o.kubeconfig +
                "\n--request-timeout=" + invoke::goDuration(o.probe_timeout) +
                "\nget\npods\n-A\n--field-selector\nspec.nodeName=node-a\n-o\njson\n");
  EXPECT_TRUE(sourceOf(r, "kubernetes").ran);
}

TEST(DoctorRuntime, InitContainerImagePullPointsAtTheImage) {
  RuntimeNode n;
  Json pull = {{"waiting", {{"reason", "ImagePullBackOff"}, {"message", "Back-off pulling"}}}};
  Json init = {{"waiting", {{"reason", "PodInitializing"}}}};
  n.fakeKubectl(podList({pod("kube-system", "calico-node-p0d5x", "calico-node", kCalicoPaths,
                             "Pending", Json::array({container("calico-node", false, init)}),
                             Json::array({container("install-cni", false, pull)}))}));
  auto o = n.options();
  o.kubeconfig = n.kubeconfig();
  auto r = runRuntime(o);
  auto f = findingsOf(r, "runtime.cni-pod");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_TRUE(
      contains(f[0].message, "Pending, ready 0/1, init container install-cni ImagePullBackOff"))
      << f[0].message;
  ASSERT_EQ(f[0].evidence.size(), 3u);  // the pod, install-cni, calico-node (not ready)
  EXPECT_EQ(f[0].evidence[1].path, "pod kube-system/calico-node-p0d5x container install-cni");
  EXPECT_TRUE(contains(f[0].fix, "quay.io/calico/cni:v3.28.0")) << f[0].fix;
  EXPECT_EQ(r.exitCode(), 2);
}

TEST(DoctorRuntime, HealthyCalicoPodHasNoFinding) {
  RuntimeNode n;
  n.fakeKubectl(podList({
      // Restarted, but hours ago: long settled.
      pod("kube-system", "calico-node-abcde", "calico-node", kCalicoPaths, "Running",
          Json::array({container("calico-node", true, running(), 3, lastExit("Error", 1, 5h))})),
      // The evicted pod it replaced is history.
      pod("kube-system", "calico-node-old12", "calico-node", kCalicoPaths, "Failed",
          Json::array({container("calico-node", false, Json::object())})),
      pod("kube-system", "kube-proxy-q8z2m", "kube-proxy", kProxyPaths, "Running",
          Json::array({container("kube-proxy", true, running())})),
  }));
  auto o = n.options();
  o.kubeconfig = n.kubeconfig();
  auto r = runRuntime(o);
  EXPECT_TRUE(r.findings().empty()) << describe(r);
  EXPECT_EQ(r.exitCode(), 0);
  auto src = sourceOf(r, "kubernetes");
  EXPECT_TRUE(src.ran);
  EXPECT_TRUE(contains(src.detail,
                       "node node-a: 3 pods; CNI pods: kube-system/calico-node-abcde (DaemonSet "
                       "calico-node) Running, ready 1/1"))
      << src.detail;
  EXPECT_FALSE(contains(src.detail, "old12")) << src.detail;
}

TEST(DoctorRuntime, RecentRestartOfARunningCniPodIsAWarning) {
  RuntimeNode n;
  n.fakeKubectl(podList(
      {pod("kube-flannel", "kube-flannel-ds-7xk2p", "kube-flannel-ds", {"/run/flannel"}, "Running",
           Json::array({container("kube-flannel", true, running(300s), 2,
                                  lastExit("OOMKilled", 137, 600s))}))}));
  auto o = n.options();
  o.kubeconfig = n.kubeconfig();
  auto r = runRuntime(o);
  auto f = findingsOf(r, "runtime.cni-pod");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, "kube-flannel/kube-flannel-ds-7xk2p");
  EXPECT_TRUE(contains(f[0].message,
                       "runs but is unstable: Running, ready 1/1, container kube-flannel "
                       "restarted 2 times"))
      << f[0].message;
  EXPECT_TRUE(contains(f[0].message, "(OOMKilled, exit code 137)")) << f[0].message;
  ASSERT_EQ(f[0].evidence.size(), 2u);
  EXPECT_EQ(f[0].evidence[1].path, "pod kube-flannel/kube-flannel-ds-7xk2p container kube-flannel");
  EXPECT_TRUE(contains(f[0].fix, "logs kube-flannel-ds-7xk2p -c kube-flannel --previous"));
  EXPECT_EQ(r.exitCode(), 1);
}

TEST(DoctorRuntime, NonCniDaemonSetIsIgnoredAndAStaticInstallIsHealthy) {
  RuntimeNode n;
  n.fakeKubectl(podList({
      pod("kube-system", "kube-proxy-q8z2m", "kube-proxy", kProxyPaths, "Running",
          Json::array({container("kube-proxy", false, crashLoop("kube-proxy-q8z2m"), 7)})),
      // Mounts the CNI config dir but is no DaemonSet pod: a one-off debug pod.
      pod("default", "debug-1", "", {"/etc/cni/net.d"}, "Pending",
          Json::array({container("sh", false, crashLoop("debug-1"))})),
  }));
  auto o = n.options();
  o.kubeconfig = n.kubeconfig();
  auto r = runRuntime(o);
  EXPECT_TRUE(findingsOf(r, "runtime.cni-pod").empty()) << describe(r);
  // A static CNI install (no DaemonSet) is healthy: no finding, the source says so.
  EXPECT_TRUE(findingsOf(r, "runtime.no-cni-pod").empty()) << describe(r);
  bool said = false;
  for (const auto& s : r.sources()) said |= contains(s.detail, "no CNI DaemonSet pod");
  EXPECT_TRUE(said);
  EXPECT_EQ(r.exitCode(), 0);
}

TEST(DoctorRuntime, UnreachableApiServerIsAWarning) {
  RuntimeNode n;
  n.fakeKubectl(nullptr,
                "E1129 06:25:21.123456    4242 memcache.go:265] \"Unhandled Error\" "
                "err=\"couldn't get current server API group list: Get "
                "\\\"https://10.0.0.1:6443/api?timeout=2s\\\": dial tcp 10.0.0.1:6443: connect: "
                "connection refused\"\nThe connection to the server 10.0.0.1:6443 was refused - "
                "did you specify the right host or port?\n",
                1);
  auto o = n.options();
  o.kubeconfig = n.kubeconfig();
  auto r = runRuntime(o);
  ASSERT_EQ(r.findings().size(), 1u) << describe(r);
  auto f = findingsOf(r, "runtime.kube-api");
  ASSERT_EQ(f.size(), 1u) << describe(r);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].subject, o.kubeconfig);
  EXPECT_TRUE(contains(f[0].message,
                       "could not list the pods of node node-a: exit status 1: The "
                       "connection to the server 10.0.0.1:6443 was refused"))
      << f[0].message;
  ASSERT_EQ(f[0].evidence.size(), 1u);
  EXPECT_TRUE(f[0].evidence[0].path.starts_with("kubectl --kubeconfig " + o.kubeconfig));
  EXPECT_TRUE(contains(f[0].evidence[0].value, "connect: connection refused"));
  EXPECT_TRUE(f[0].evidence[0].value.ends_with("the right host or port?"));
  EXPECT_TRUE(contains(f[0].fix, "cluster-info")) << f[0].fix;
  EXPECT_EQ(r.exitCode(), 1);
}

}  // namespace
}  // namespace cni::doctortest
