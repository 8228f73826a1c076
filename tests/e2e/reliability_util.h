// tests/e2e/reliability_util.h — helpers shared by the reliability tests of issue #7 (crash
// consistency, concurrency soak): the long-variant switch, the `[reliability] ` summary line,
// the `cnikit` CLI started inside a node namespace as its own process group (so a test can
// SIGSTOP/SIGKILL it together with the plugin it is running, or the plugin alone), the members of
// such a group read from /proc, and the IPv4 addresses of an interface inside a namespace.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/netns/netns.h"
#include "tests/testutil/temp_dir.h"

namespace cni::e2e::reliability {

// CNIKIT_LONG_TESTS=1: the long variants (counts scaled up about 10x).
bool longTests();
inline int scaled(int normal, int long_value) { return longTests() ? long_value : normal; }

// Prints "[reliability] <text>" on stdout (one line, flushed): the figures for docs/reliability.md.
void summary(const std::string& text);

// File names in `dir` (sorted; empty when the directory does not exist).
std::vector<std::string> listDir(const std::string& dir);

// The whole content of a file; nullopt when it cannot be read.
std::optional<std::string> readText(const std::string& path);

// A process in the group of a spawned CLI, as /proc shows it.
struct GroupMember {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;  // the executable's name: "cnikit", "bridge", "portmap", ...
  char state = '?';
};

// Every live (non-zombie) process whose process group is `pgid`.
std::vector<GroupMember> groupMembers(pid_t pgid);

// `cnikit <args>` started inside the network namespace at `netns_path`, in its own process group
// (pgid = pid), with exactly `env` as environment, stdout/stderr captured in files.
class CliProcess {
 public:
  using Clock = std::chrono::steady_clock;

  CliProcess(const std::string& netns_path, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env);
  ~CliProcess();  // kills and reaps the group if still running
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  pid_t pid() const { return pid_; }
  Clock::time_point started() const { return started_; }
  bool ok() const { return pid_ > 0; }

  // Waits for the CLI; returns the raw wait status (waitpid). Idempotent.
  int wait();
  // After wait().
  std::string out() const;
  std::string err() const;

 private:
  testutil::TempDir io_;
  pid_t pid_ = -1;
  Clock::time_point started_;
  std::optional<int> status_;
};

// Runs the CLI to completion: {exit status (or 128+signal), stdout, stderr}.
struct CliResult {
  int status = -1;
  std::string out, err;
  std::chrono::microseconds took{0};
};
CliResult runCli(const std::string& netns_path, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env);

// The IPv4 addresses ("a.b.c.d") on interface `ifname` inside `ns` (getifaddrs in the namespace).
std::vector<std::string> ipv4On(const netns::NetNs& ns, const std::string& ifname);
// Every interface name inside `ns`.
std::vector<std::string> interfacesIn(const netns::NetNs& ns);

// "<a>/<b>/<c>" percentiles helper: the value at quantile q of sorted `v` (0 when empty).
double quantile(std::vector<double> v, double q);

}  // namespace cni::e2e::reliability
