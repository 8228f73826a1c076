// tests/e2e/reliability_util.cc — see reliability_util.h.
#include "tests/e2e/reliability_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "tests/e2e/e2e_fixture.h"

namespace cni::e2e::reliability {

bool longTests() {
  const char* v = std::getenv("CNIKIT_LONG_TESTS");
  return v != nullptr && std::string(v) == "1";
}

void summary(const std::string& text) {
  std::printf("[reliability] %s\n", text.c_str());
  std::fflush(stdout);
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> readText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<GroupMember> groupMembers(pid_t pgid) {
  std::vector<GroupMember> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    // pids grow: a member of a group made after `pgid` started has a larger pid (bar wrap-around).
    if (end == e->d_name || *end != '\0' || pid < pgid) continue;
    auto stat = readText("/proc/" + std::string(e->d_name) + "/stat");
    if (!stat) continue;
    // "<pid> (<comm>) <state> <ppid> <pgrp> ..."; comm may hold spaces and parentheses.
    size_t open = stat->find('('), close = stat->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= stat->size()) {
      continue;
    }
    GroupMember m;
    m.pid = static_cast<pid_t>(pid);
    m.comm = stat->substr(open + 1, close - open - 1);
    int ppid = 0, pgrp = 0;
    if (std::sscanf(stat->c_str() + close + 2, "%c %d %d", &m.state, &ppid, &pgrp) != 3) continue;
    m.ppid = ppid;
    if (pgrp == pgid && m.state != 'Z' && m.state != 'X') out.push_back(std::move(m));
  }
  ::closedir(d);
  return out;
}

CliProcess::CliProcess(const std::string& netns_path, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  // Everything the child needs is prepared here: after fork() it only makes system calls.
  const std::string bin = cnikitBin();
  const std::string out = (io_.path() / "out").string(), err = (io_.path() / "err").string();
  std::vector<std::string> argv_s = {bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  int ns_fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return;
  started_ = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::setns(ns_fd, CLONE_NEWNET) != 0) ::_exit(125);
    if (!testutil::redirectStdio("/dev/null", out.c_str(), err.c_str())) ::_exit(126);
    ::execve(bin.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(ns_fd);
  if (pid < 0) return;
  ::setpgid(pid, pid);  // also here: the group must exist before the parent signals it
  pid_ = pid;
}

CliProcess::~CliProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(-pid_, SIGKILL);
    (void)wait();
  }
}

int CliProcess::wait() {
  if (status_) return *status_;
  if (pid_ <= 0) return -1;
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0) {
    if (errno != EINTR) {
      st = -1;
      break;
    }
  }
  status_ = st;
  return st;
}

std::string CliProcess::out() const { return readText((io_.path() / "out").string()).value_or(""); }
std::string CliProcess::err() const { return readText((io_.path() / "err").string()).value_or(""); }

CliResult runCli(const std::string& netns_path, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  CliProcess p(netns_path, args, env);
  CliResult r;
  if (!p.ok()) {
    r.err = "could not start cnikit";
    return r;
  }
  int st = p.wait();
  r.took =
      std::chrono::duration_cast<std::chrono::microseconds>(CliProcess::Clock::now() - p.started());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
  r.out = p.out();
  r.err = p.err();
  return r;
}

std::vector<std::string> ipv4On(const netns::NetNs& ns, const std::string& ifname) {
  auto r = ns.run([&] {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return out;
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
      if (ifname != a->ifa_name) continue;
      char buf[INET_ADDRSTRLEN] = {};
      auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
      out.emplace_back(buf);
    }
    ::freeifaddrs(list);
    return out;
  });
  return r ? *r : std::vector<std::string>{"<netns unreachable>"};
}

std::vector<std::string> interfacesIn(const netns::NetNs& ns) {
  auto r = ns.run([] {
    std::vector<std::string> out;
    if (struct if_nameindex* idx = ::if_nameindex()) {
      for (struct if_nameindex* i = idx; i->if_index != 0; ++i) out.emplace_back(i->if_name);
      ::if_freenameindex(idx);
    }
    std::sort(out.begin(), out.end());
    return out;
  });
  return r ? *r : std::vector<std::string>{"<netns unreachable>"};
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace cni::e2e::reliability
