// tools/cnikit/main.cc — the `cnikit` command line: cnitool-compatible attach verbs, config and
// plugin inspection, and the demo (the project's main job).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "tools/cnikit/cli.h"

namespace {

constexpr const char* kDescription =
    R"(cnikit — run CNI network configurations by hand (a cnitool-compatible CLI).

  cnikit add    <net> <netns>   attach netns to network <net>; prints the CNI result
  cnikit check  <net> <netns>   verify the attachment (spec >= 0.4.0)
  cnikit del    <net> <netns>   detach; --best-effort runs every plugin even after a failure
  cnikit gc     <net>           garbage-collect cached attachments (all, or not in --valid)
  cnikit status <net>           ask each plugin whether it is ready for ADD (spec 1.1.0)
  cnikit ls                     explain every file in the config dir: active, shadowed, invalid
  cnikit version [net]          the spec versions each plugin supports
  cnikit doctor                 diagnose why pod networking on this node is broken; --fix
  cnikit demo                   create pod namespaces, attach them, prove traffic, tear down

Environment (as cnitool; every one also has a flag, the flag wins):
  NETCONFPATH   config directory            (default /etc/cni/net.d)
  CNI_PATH      plugin directories, ':'-separated
  CNI_IFNAME    interface name in the netns (default eth0)
  CNI_ARGS      K=V;K=V passed to plugins
  CAP_ARGS      JSON object of capability args, e.g. {"portMappings":[...]}

The container ID defaults to cnitool's: "cnitool-" + 20 hex chars of sha512(netns path).

Exit codes: 0 success; 1 the operation failed (stderr: message, details, CNI error code);
2 usage error.)";

}  // namespace

int main(int argc, char** argv) {
  using namespace cni::tools;
  CLI::App app(kDescription, "cnikit");
  app.require_subcommand(1);
  // Global options are accepted after the verb too (`cnikit del net ns --container-id x`), the
  // way operators type them and the way `cnikit doctor` prints its fix commands.
  app.fallthrough();
  app.set_version_flag("-V,--cnikit-version", CNIKIT_VERSION);
  GlobalOptions g;
  app.add_option("--conf-dir", g.conf_dir, "Config directory (env NETCONFPATH)");
  app.add_option("--cni-path", g.cni_path, "Plugin search path (env CNI_PATH)");
  app.add_option("--cache-dir", g.cache_dir, "Result cache directory")->capture_default_str();
  app.add_option("-i,--ifname", g.ifname, "Interface name (env CNI_IFNAME)");
  app.add_option("--cni-args", g.cni_args, "CNI_ARGS string K=V;K=V (env CNI_ARGS)");
  app.add_option("--cap-args", g.cap_args, "Capability args JSON object (env CAP_ARGS)");
  app.add_option("--container-id", g.container_id, "Container ID (default: cnitool's)");
  app.add_option("--timeout", g.timeout_s, "Kill a plugin after this many seconds (0 = never)");
  app.add_flag("--json-errors", g.json_errors, "Print errors as CNI error JSON on stderr");

  std::string net, netns;
  bool best_effort = false;
  auto attach = [&](const char* name, const char* help) {
    auto* c = app.add_subcommand(name, help);
    c->add_option("net", net, "Network name")->required();
    c->add_option("netns", netns, "Network namespace path (e.g. /run/netns/x)")->required();
    return c;
  };
  auto* add = attach("add", "Attach a network namespace to a network");
  auto* check = attach("check", "Check an attachment");
  auto* del = attach("del", "Detach a network namespace from a network");
  del->add_flag("--best-effort", best_effort,
                "Run DEL on every plugin even if one fails; report every error");

  std::vector<std::string> valid;
  auto* gc = app.add_subcommand("gc", "Garbage-collect stale attachments of a network");
  gc->add_option("net", net, "Network name")->required();
  gc->add_option("netns", netns, "Ignored (accepted for cnitool compatibility)");
  auto* valid_opt = gc->add_option("--valid", valid,
                                   "CONTAINER_ID/IFNAME still in use (repeatable); without it "
                                   "every cached attachment of the network is deleted");
  auto* status = app.add_subcommand("status", "Ask the network's plugins whether they are ready");
  status->add_option("net", net, "Network name")->required();
  status->add_option("netns", netns, "Ignored (accepted for cnitool compatibility)");

  std::string policy = "lenient";
  bool json = false, check_plugins = false;
  auto* ls = app.add_subcommand("ls", "Explain every configuration file and which one is active");
  ls->add_option("--policy", policy,
                 "lenient: skip invalid files (kubelet, CRI-O); strict: a bad file is an error "
                 "(libcni, containerd)")
      ->capture_default_str();
  ls->add_flag("--json", json, "Machine-readable output");
  ls->add_flag("--check-plugins", check_plugins, "Also require every plugin to be in CNI_PATH");

  auto* version = app.add_subcommand("version", "Show the CNI versions each plugin supports");
  version->add_option("net", net, "Only the plugins of this network");
  version->add_flag("--json", json, "Machine-readable output");

  DoctorCliOptions doc;
  auto* doctor = app.add_subcommand(
      "doctor",
      "Diagnose this node's CNI setup: configs, plugin binaries, state, kernel, runtime logs. "
      "Exit 0 healthy, 1 warnings, 2 errors");
  doctor->add_option("--conf-dir", doc.conf_dir, "Config directory (default /etc/cni/net.d)");
  doctor->add_option("--bin-dir", doc.bin_dirs,
                     "Plugin directory, repeatable or ':'-separated (default: CNI_PATH, else "
                     "/opt/cni/bin)");
  doctor->add_option("--cache-dir", doc.cache_dir, "Result cache directory (default /var/lib/cni)");
  doctor->add_option("--data-dir", doc.data_dir,
                     "host-local's default dataDir (default /var/lib/cni/networks)");
  doctor->add_option("--netns", doc.netns, "Inspect the kernel state of this network namespace");
  doctor->add_flag("--offline", doc.offline,
                   "Only read files (a mounted image of another node): no kernel, namespaces, "
                   "probes or runtime");
  doctor->add_option("--probe-timeout", doc.probe_timeout_s, "Seconds per plugin probe")
      ->capture_default_str();
  doctor
      ->add_option("--grace", doc.grace_s,
                   "Seconds: younger leases and cache files are never called leaked")
      ->capture_default_str();
  doctor->add_flag("--no-runtime", doc.no_runtime, "Skip journald and the API server");
  doctor->add_option("--kubeconfig", doc.kubeconfig, "kubeconfig for the CNI DaemonSet check");
  doctor->add_option("--node-name", doc.node_name,
                     "This node's name in the cluster (default: hostname)");
  doctor->add_option("--since", doc.since_s, "Seconds of journal to read")->capture_default_str();
  doctor->add_flag("--json", doc.json, "Machine-readable report (schema: docs/doctor.md)");
  doctor->add_flag("--fix", doc.fix,
                   "List the safe repairs (release leaked leases, remove empty cache files, "
                   "delete stale rules); a dry run unless --yes");
  doctor->add_flag("--yes", doc.yes, "With --fix: make the repairs (each is logged)");

  DemoOptions demo_opts;
  auto* demo = app.add_subcommand(
      "demo",
      "Create pod namespaces, attach them with the embedded config, prove traffic, "
      "tear down, print timings");
  demo->add_option("--pods", demo_opts.pods, "Number of pods")->capture_default_str();
  demo->add_option("--subnet", demo_opts.subnet, "Pod subnet")->capture_default_str();
  demo->add_flag("--keep", demo_opts.keep, "Leave the pods attached");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  applyEnvironment(g);
  if (*add) return cmdAdd(g, net, netns);
  if (*check) return cmdCheck(g, net, netns);
  if (*del) return cmdDel(g, net, netns, best_effort);
  if (*gc) return cmdGc(g, net, valid, valid_opt->count() > 0);
  if (*status) return cmdStatus(g, net);
  if (*ls) return cmdLs(g, policy, json, check_plugins);
  if (*version) return cmdVersion(g, net, json);
  if (*doctor) {
    if (doc.yes && !doc.fix) {
      std::fprintf(stderr, "cnikit doctor: --yes only makes sense with --fix\n");
      return kExitUsage;
    }
    return cmdDoctor(g, doc);
  }
  if (*demo) return cmdDemo(g, demo_opts);
  return kExitUsage;
}
