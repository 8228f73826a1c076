// tests/testutil/run.cc — run a command for tests (see run.h).
#include "tests/testutil/run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

namespace cni::testutil {

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool redirectStdio(const char* in, const char* out, const char* err) {
  const int i = ::open(in, O_RDONLY);
  const int o = ::open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int e = ::open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (i < 0 || o < 0 || e < 0) return false;
  ::dup2(i, 0);
  ::dup2(o, 1);
  ::dup2(e, 2);
  return true;
}

CmdResult run(const std::string& cmd, const std::map<std::string, std::string>& env,
              const std::string& input) {
  TempDir io;
  auto in = io.write("in", input);
  auto out = io.path() / "out";
  auto err = io.path() / "err";
  CmdResult r;
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    if (!redirectStdio(in.c_str(), out.c_str(), err.c_str())) ::_exit(126);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = readFile(out);
  r.err = readFile(err);
  return r;
}

bool processGone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

bool waitGone(pid_t pid, std::chrono::milliseconds limit) {
  return waitUntil([pid] { return processGone(pid); }, limit, std::chrono::milliseconds(10));
}

}  // namespace cni::testutil
