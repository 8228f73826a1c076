// src/skel/process.cc — pluginMainProcess: the skel Io bound to the real process.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "src/common/errno_text.h"
#include "src/netns/netns.h"
#include "src/skel/skel.h"

namespace cni::skel {
namespace {

Expected<std::string> readAllStdin() {
  std::string data;
  char buf[16 * 1024];
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return data;
    } else if (errno != EINTR) {
      // Go's os.Stdin error text ("read /dev/stdin: bad file descriptor").
      return fail(ErrorCode::kIoFailure, "read /dev/stdin: " + goErrnoText(errno));
    }
  }
}

void writeAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing stdout/stderr
    }
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// If the runtime started us with stdout/stderr closed, the first fds we open (a netns, a
// netlink socket) would get numbers 1/2 and receive the result text. Park /dev/null there.
void ensureOutputFds() {
  for (int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) continue;
    if (null_fd == fd) {
      (void)::fcntl(fd, F_SETFD, 0);  // a standard stream, not close-on-exec
    } else {
      (void)::dup2(null_fd, fd);  // dup2 clears close-on-exec on the copy
      ::close(null_fd);
    }
  }
}

}  // namespace

int pluginMainProcess(const PluginSpec& spec) {
  ensureOutputFds();
  // A plugin process is one thread running one verb: namespace work may switch that thread in
  // and back instead of paying a thread start per namespace visit (src/netns/netns.h).
  netns::NetNs::switchCallingThread();
  Io io;
  // Plain getenv, not secure_getenv: the CNI_* variables are the protocol's input, and plugins
  // are legitimately installed with file capabilities (cap_net_admin+ep for rootless runtimes),
  // which makes secure_getenv hide them all.
  io.getenv = [](const char* name) -> const char* { return ::getenv(name); };
  io.read_stdin = readAllStdin;
  int rc = pluginMain(spec, io);
  writeAll(STDERR_FILENO, io.err);
  writeAll(STDOUT_FILENO, io.out);
  return rc;
}

}  // namespace cni::skel
