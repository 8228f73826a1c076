// src/doctor/check_runtime_kube.cc — the CNI DaemonSet pod of this node, as the API server sees
// it (see doctor.h): `kubectl get pods -A --field-selector spec.nodeName=<node> -o json` with the
// node's own kubeconfig, the CNI pods picked out (DaemonSet-owned and mounting the CNI host
// directories, or a well-known CNI by name), and each one's state turned into a finding when it
// is not running and ready. A crash-looping CNI agent is the usual reason a node's config
// vanished or its plugins are stale.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>

#include "src/doctor/runtime.h"
#include "src/invoke/find.h"

namespace cni::doctor::runtime {
namespace {

// DaemonSets of the common CNIs whose pods may not mount the CNI directories themselves (an
// init container copies binaries through another path, or the agent is split in several).
constexpr std::string_view kCniNames[] = {"calico",      "cilium",   "flannel", "weave",
                                          "kube-router", "antrea",   "canal",   "multus",
                                          "kindnet",     "kube-ovn", "cnikit"};
constexpr std::string_view kCniHostDirs[] = {"/etc/cni", "/opt/cni"};

const Json& field(const Json& j, std::string_view key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(std::string(key));
  return it == j.end() ? kNull : *it;
}
std::string str(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
long long num(const Json& j, std::string_view key) {
  const Json& v = field(j, key);
  return v.is_number_integer() ? v.get<long long>() : 0;
}

// Kubernetes timestamps are RFC 3339 in UTC ("2026-11-29T05:50:00Z").
std::optional<std::time_t> parseTime(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return ::timegm(&tm);
}

bool exists(const std::string& p) {
  std::error_code ec;
  return !p.empty() && std::filesystem::is_regular_file(p, ec);
}

// The kubeconfig to use, or why there is none.
std::optional<std::string> findKubeconfig(const Options& o, std::string& why) {
  if (!o.kubeconfig.empty()) {
    if (exists(o.kubeconfig)) return o.kubeconfig;
    why = "no kubeconfig: " + o.kubeconfig + " does not exist";
    return std::nullopt;
  }
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("KUBECONFIG")) candidates = invoke::splitPath(env);
  candidates.push_back("/etc/kubernetes/kubelet.conf");  // a node always has the kubelet's
  candidates.push_back("/etc/kubernetes/admin.conf");
  const char* home = std::getenv("HOME");
  if (home && *home) candidates.push_back(std::string(home) + "/.kube/config");
  for (const auto& p : candidates) {
    if (exists(p)) return p;
  }
  why =
      "no kubeconfig: looked in $KUBECONFIG, /etc/kubernetes/kubelet.conf, "
      "/etc/kubernetes/admin.conf, ~/.kube/config";
  return std::nullopt;
}

// As the kubelet names its node by default: the hostname, lowercased.
std::string nodeName(const Options& o) {
  if (!o.node_name.empty()) return o.node_name;
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  std::string n(buf);
  for (char& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return n;
}

struct Pod {
  std::string ns, name, daemonset;
  const Json* json = nullptr;
  std::string phase;
  bool terminating = false;
  std::string key() const { return ns + "/" + name; }
};

std::string daemonSetOf(const Json& pod) {
  const Json& owners = field(field(pod, "metadata"), "ownerReferences");
  if (!owners.is_array()) return {};
  for (const Json& o : owners) {
    if (str(o, "kind") == "DaemonSet") return str(o, "name");
  }
  return {};
}

bool isCniPod(const Pod& p) {
  if (p.daemonset.empty()) return false;
  const Json& volumes = field(field(*p.json, "spec"), "volumes");
  if (volumes.is_array()) {
    for (const Json& v : volumes) {
      std::string path = str(field(v, "hostPath"), "path");
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      for (std::string_view dir : kCniHostDirs) {
        if (path == dir || path.starts_with(std::string(dir) + "/")) return true;
      }
    }
  }
  return std::any_of(std::begin(kCniNames), std::end(kCniNames),
                     [&](std::string_view n) { return p.daemonset.find(n) != p.daemonset.npos; });
}

std::string imageOf(const Json& pod, const std::string& container) {
  for (const char* list : {"containers", "initContainers"}) {
    const Json& cs = field(field(pod, "spec"), list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) {
      if (str(c, "name") == container) return str(c, "image");
    }
  }
  return {};
}

// "waiting: CrashLoopBackOff (back-off 5m0s ...); last terminated: Error, exit code 1, at
// 2026-11-29T05:50:00Z; restarts: 12; ready: false"
std::string describeContainer(const Json& cs) {
  const Json& state = field(cs, "state");
  std::string s;
  if (const Json& w = field(state, "waiting"); w.is_object()) {
    s = "waiting: " + str(w, "reason");
    if (std::string m = str(w, "message"); !m.empty()) s += " (" + m.substr(0, 300) + ")";
  } else if (const Json& t = field(state, "terminated"); t.is_object()) {
    s = "terminated: " + str(t, "reason") + ", exit code " + std::to_string(num(t, "exitCode"));
  } else if (field(state, "running").is_object()) {
    s = "running since " + str(field(state, "running"), "startedAt");
  } else {
    s = "no state";
  }
  if (const Json& lt = field(field(cs, "lastState"), "terminated"); lt.is_object()) {
    s += "; last terminated: " + str(lt, "reason") + ", exit code " +
         std::to_string(num(lt, "exitCode")) + ", at " + str(lt, "finishedAt");
  }
  s += "; restarts: " + std::to_string(num(cs, "restartCount"));
  s += std::string("; ready: ") + (field(cs, "ready") == true ? "true" : "false");
  return s;
}

struct Verdict {
  bool healthy = true;
  Severity severity = Severity::kInfo;
  std::string state;    // "Running, ready 1/1"
  std::string problem;  // "container calico-node CrashLoopBackOff, last exit Error (code 1), ..."
  std::string container, reason;
  std::vector<Evidence> evidence;
};

Verdict judge(const Pod& p, std::chrono::seconds window) {
  Verdict v;
  const Json& status = field(*p.json, "status");
  const Json& containers = field(status, "containerStatuses");
  const Json& inits = field(status, "initContainerStatuses");
  size_t ready = 0, total = containers.is_array() ? containers.size() : 0;
  if (containers.is_array()) {
    for (const Json& cs : containers) ready += field(cs, "ready") == true;
  }
  v.state = (p.phase.empty() ? std::string("no phase") : p.phase) + ", ready " +
            std::to_string(ready) + "/" + std::to_string(total) +
            (p.terminating ? ", terminating" : "");
  v.evidence.push_back({.path = "pod " + p.key(), .value = v.state + ", DaemonSet " + p.daemonset});
  const std::string where = "pod " + p.key() + " container ";
  const std::time_t now = std::time(nullptr);

  auto note = [&](const Json& cs, bool init) {
    const std::string name = str(cs, "name");
    const Json& state = field(cs, "state");
    const Json& waiting = field(state, "waiting");
    const Json& term = field(state, "terminated");
    const std::string wreason = str(waiting, "reason");
    bool bad;
    if (init) {
      bad = (waiting.is_object() && wreason != "PodInitializing") ||
            (term.is_object() && num(term, "exitCode") != 0);
    } else {
      bad = field(cs, "ready") != true || waiting.is_object();
    }
    if (!bad) return;
    v.evidence.push_back({.path = where + name, .value = describeContainer(cs)});
    if (!v.container.empty()) return;  // the first one is what the message names
    v.container = name;
    v.reason = wreason;
    v.problem = (init ? "init container " : "container ") + name + " " +
                (!wreason.empty()                      ? wreason
                 : term.is_object()                    ? "terminated (" + str(term, "reason") + ")"
                 : field(state, "running").is_object() ? std::string("running but not ready")
                                                       : std::string("not started"));
    if (const Json& lt = field(field(cs, "lastState"), "terminated"); lt.is_object()) {
      v.problem += ", last exit " + str(lt, "reason") + " (code " +
                   std::to_string(num(lt, "exitCode")) + ")";
    }
    if (long long rc = num(cs, "restartCount"); rc > 0) {
      v.problem += ", " + std::to_string(rc) + " restarts";
    }
  };
  if (inits.is_array()) {
    for (const Json& cs : inits) note(cs, true);
  }
  if (containers.is_array()) {
    for (const Json& cs : containers) note(cs, false);
  }
  if (p.phase != "Running" || ready < total || total == 0 || !v.container.empty()) {
    v.healthy = false;
    v.severity = Severity::kError;
    if (v.problem.empty()) v.problem = "no container is ready";
    return v;
  }
  // Running and ready: still worth a warning when it crashed within the window (it may be
  // flapping, and a CNI agent that restarts rewrites config and state each time).
  if (containers.is_array()) {
    for (const Json& cs : containers) {
      const Json& lt = field(field(cs, "lastState"), "terminated");
      auto finished = parseTime(str(lt, "finishedAt"));
      if (num(cs, "restartCount") <= 0 || !finished || now - *finished > window.count()) continue;
      v.healthy = false;
      v.severity = Severity::kWarning;
      v.container = str(cs, "name");
      v.problem = "container " + v.container + " restarted " +
                  std::to_string(num(cs, "restartCount")) + " times, last at " +
                  str(lt, "finishedAt") + " (" + str(lt, "reason") + ", exit code " +
                  std::to_string(num(lt, "exitCode")) + ")";
      v.evidence.push_back({.path = where + v.container, .value = describeContainer(cs)});
      break;
    }
  }
  return v;
}

std::string fixFor(const Pod& p, const Verdict& v) {
  const std::string k = "kubectl -n " + p.ns + " ";
  const std::string describe = "`" + k + "describe pod " + p.name + "`";
  if (v.reason == "ImagePullBackOff" || v.reason == "ErrImagePull" ||
      v.reason == "InvalidImageName" || v.reason == "ErrImageNeverPull") {
    return describe + " shows the pull error: check the image " + imageOf(*p.json, v.container) +
           " exists and this node can reach its registry";
  }
  if (v.reason == "CreateContainerConfigError" || v.reason == "CreateContainerError") {
    return describe + " names the missing ConfigMap/Secret or the setting the runtime rejected";
  }
  std::string fix = "`" + k + "logs " + p.name;
  if (!v.container.empty()) fix += " -c " + v.container + " --previous";
  fix += "` shows why it " + std::string(v.severity == Severity::kError ? "fails" : "restarted") +
         "; " + describe + " shows its events";
  if (v.severity == Severity::kError) {
    fix += ". Until it runs, pods on this node may get no network or a stale config";
  }
  return fix;
}

}  // namespace

void checkKubernetes(const Context& c, Report& r) {
  auto kubectl = findTool("kubectl", c.opts.tool_path);
  if (!kubectl) {
    r.addSource({.name = "kubernetes", .ran = false, .detail = "kubectl not found"});
    return;
  }
  std::string why;
  auto kubeconfig = findKubeconfig(c.opts, why);
  if (!kubeconfig) {
    r.addSource({.name = "kubernetes", .ran = false, .detail = why});
    return;
  }
  r.timed("kubernetes", [&] {
    const std::string node = nodeName(c.opts);
    const auto timeout = toolTimeout(c.opts);
    // The kubelet itself lists its pods this way (a node's own credentials may do this).
    const std::vector<std::string> args = {"--kubeconfig",
                                           *kubeconfig,
                                           "--request-timeout=" + shortDuration(timeout),
                                           "get",
                                           "pods",
                                           "-A",
                                           "--field-selector",
                                           "spec.nodeName=" + node,
                                           "-o",
                                           "json"};
    std::string cmd = "kubectl";
    for (const auto& a : args) cmd += " " + a;
    std::string detail = *kubectl + " --kubeconfig " + *kubeconfig + ", node " + node + ": ";
    // kubectl gets its own request timeout and a little longer to say so before it is killed.
    ToolRun run = runTool(*kubectl, args, c.opts.tool_path, timeout + std::chrono::seconds(2));
    Json list = run.ok() ? Json::parse(run.out, nullptr, false) : Json();
    if (!run.ok() || !field(list, "items").is_array()) {
      std::string err = run.ok() ? "output is not a pod list: " + run.out.substr(0, 200)
                                 : run.failure(timeout + std::chrono::seconds(2));
      std::string value = run.err.empty() ? err : run.err;
      while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
      if (value.size() > 2000) value = value.substr(0, 2000) + "...";
      const std::string k = "kubectl --kubeconfig " + *kubeconfig;
      const std::string fix = "check that the API server in " + *kubeconfig +
                              " is reachable from this node (`" + k +
                              " cluster-info`) and that its credentials may list pods (`" + k +
                              " auth can-i list pods -A`); or run with --kubeconfig / --no-runtime";
      r.add(finding("runtime.kube-api", Severity::kWarning, *kubeconfig,
                    "could not list the pods of node " + node + ": " + err, fix,
                    {{.path = cmd, .value = value}}));
      return detail + "kubectl failed: " + err;
    }

    std::vector<Pod> pods;
    for (const Json& item : field(list, "items")) {
      const Json& meta = field(item, "metadata");
      Pod p{.ns = str(meta, "namespace"),
            .name = str(meta, "name"),
            .daemonset = daemonSetOf(item),
            .json = &item,
            .phase = str(field(item, "status"), "phase"),
            .terminating = field(meta, "deletionTimestamp").is_string()};
      if (isCniPod(p)) pods.push_back(std::move(p));
    }
    const size_t total = field(list, "items").size();
    detail += std::to_string(total) + " pods";
    if (pods.empty()) {
      std::string msg = total == 0 ? "no pod at all is bound to node " + node +
                                         ": is that this node's name in the cluster?"
                                   : "no CNI DaemonSet pod runs on node " + node;
      const std::string fix =
          total == 0 ? "pass the node's name with --node-name (see `kubectl get nodes`)"
                     : "nothing to do if this node's CNI is installed statically (config in " +
                           c.opts.conf_dir +
                           ", plugins in the plugin dir); otherwise check that the CNI "
                           "DaemonSet selects and tolerates this node: `kubectl get ds -A -o wide`";
      // Pods but no CNI pod is what a node with a statically installed CNI (ours) looks like:
      // worth a line in the source detail, not a finding on a healthy node. No pod at all is
      // more likely a wrong node name.
      if (total == 0) {
        r.add(finding("runtime.no-cni-pod", Severity::kInfo, node, msg, fix,
                      {{.path = cmd, .value = "0 pods, none a CNI pod"}}));
      }
      return detail + ", no CNI DaemonSet pod (a statically installed CNI?)";
    }
    // An evicted or terminating pod next to its live replacement is history, not a problem.
    std::map<std::string, bool> ds_has_live;
    for (const Pod& p : pods) {
      bool live = !p.terminating && p.phase != "Failed" && p.phase != "Succeeded";
      ds_has_live[p.ns + "/" + p.daemonset] |= live;
    }
    detail += "; CNI pods:";
    for (const Pod& p : pods) {
      bool past = p.terminating || p.phase == "Failed" || p.phase == "Succeeded";
      if (past && ds_has_live[p.ns + "/" + p.daemonset]) continue;
      Verdict v = judge(p, c.opts.journal_since);
      detail += " " + p.key() + " (DaemonSet " + p.daemonset + ") " + v.state;
      if (v.healthy) continue;
      std::string what = v.severity == Severity::kError ? " is not running and ready: "
                                                        : " runs but is unstable: ";
      r.add(finding("runtime.cni-pod", v.severity, p.key(),
                    "CNI pod " + p.key() + " (DaemonSet " + p.daemonset + ")" + what + v.state +
                        ", " + v.problem,
                    fixFor(p, v), v.evidence));
    }
    return detail;
  });
}

}  // namespace cni::doctor::runtime
