// tools/cnikit/cli.h — shared state and helpers of the `cnikit` subcommands.
//
// `cnikit` is cnitool-compatible: the same environment (NETCONFPATH, CNI_PATH, CAP_ARGS,
// CNI_ARGS, CNI_IFNAME), the same container-ID derivation, results on stdout; every environment
// variable also has a flag, and the flag wins.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/conf/conf.h"
#include "src/conf/load.h"
#include "src/libcni/api.h"

namespace cni::tools {

// Exit codes (documented in `cnikit --help` and the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the operation failed; the CNI error is on stderr
inline constexpr int kExitUsage = 2;   // bad command line

struct GlobalOptions {
  std::string conf_dir;  // NETCONFPATH, default /etc/cni/net.d
  std::string cni_path;  // CNI_PATH
  std::string cache_dir = "/var/lib/cni";
  std::string ifname;    // CNI_IFNAME, default eth0
  std::string cap_args;  // CAP_ARGS (JSON object)
  std::string cni_args;  // CNI_ARGS (K=V;K=V)
  std::string container_id;
  double timeout_s = 0;  // per plugin exec; 0 = none
  bool json_errors = false;
};

// Fills unset options from the environment and defaults.
void applyEnvironment(GlobalOptions& g);

libcni::Options libcniOptions(const GlobalOptions& g);

// cnitool's container ID: "cnitool-" + first 20 hex chars of sha512(absolute netns path).
std::string cnitoolContainerId(const std::string& abs_netns);

// Loads network `name` from the config dir the way cnitool does (libcni LoadNetworkConf).
Expected<conf::NetworkConfigList> loadNetwork(const GlobalOptions& g, const std::string& name);

// Builds the RuntimeConf for an attachment command; makes netns absolute.
Expected<libcni::RuntimeConf> runtimeConf(const GlobalOptions& g, const std::string& netns);

// Prints an error to stderr as one line plus details and code (or JSON with --json-errors).
// Returns kExitFailed.
int reportError(const GlobalOptions& g, std::string_view command, const Error& e);

// Subcommands; each returns the process exit code.
int cmdAdd(const GlobalOptions& g, const std::string& net, const std::string& netns);
int cmdCheck(const GlobalOptions& g, const std::string& net, const std::string& netns);
int cmdDel(const GlobalOptions& g, const std::string& net, const std::string& netns,
           bool best_effort);
int cmdGc(const GlobalOptions& g, const std::string& net, const std::vector<std::string>& valid,
          bool have_valid);
int cmdStatus(const GlobalOptions& g, const std::string& net);
int cmdLs(const GlobalOptions& g, const std::string& policy, bool json, bool check_plugins);
int cmdVersion(const GlobalOptions& g, const std::string& net, bool json);

struct DoctorCliOptions {
  std::string conf_dir, cache_dir, data_dir, netns, kubeconfig, node_name;
  std::vector<std::string> bin_dirs;
  double probe_timeout_s = 5;
  int grace_s = 60;
  int since_s = 3600;
  bool json = false, fix = false, yes = false, offline = false, no_runtime = false;
};
// Exit codes of doctor: 0 healthy, 1 warnings, 2 errors.
int cmdDoctor(const GlobalOptions& g, const DoctorCliOptions& d);

struct DemoOptions {
  int pods = 3;
  bool keep = false;
  std::string subnet = "10.244.77.0/24";
};
int cmdDemo(const GlobalOptions& g, const DemoOptions& d);

}  // namespace cni::tools
