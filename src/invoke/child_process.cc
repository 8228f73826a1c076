// src/invoke/child_process.cc — posix_spawn + one poll(2) loop over stdin, stdout, stderr and a
// pidfd; see child_process.h for the contract.
#include "src/invoke/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>

#include "src/common/unique_fd.h"

namespace cni::invoke::detail {
namespace {

using Clock = std::chrono::steady_clock;
using Fail = std::unexpected<ProcessError>;

constexpr size_t kReadChunk = 64 * 1024;
// Without a pidfd (kernel < 5.3) process exit is noticed by polling waitid() at this period.
constexpr int kExitPollMs = 10;

// A pipe whose both ends are O_CLOEXEC and numbered >= 3. The latter matters because the child's
// dup2() onto 0/1/2 must never clobber another pipe end (possible when the caller runs with
// stdin/stdout/stderr closed) and dup2(fd, fd) would not clear O_CLOEXEC.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

std::expected<UniqueFd, ProcessError> aboveStdio(int fd) {
  UniqueFd owned(fd);
  if (fd > STDERR_FILENO) return owned;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) return Fail(ProcessError{"fcntl", errno});
  return UniqueFd(moved);
}

std::expected<Pipe, ProcessError> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Fail(ProcessError{"pipe2", errno});
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  auto rr = aboveStdio(r.release());
  if (!rr) return Fail(rr.error());
  auto ww = aboveStdio(w.release());
  if (!ww) return Fail(ww.error());
  return Pipe{std::move(*rr), std::move(*ww)};
}

bool setNonBlocking(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

// Blocks SIGPIPE in the calling thread while we talk to the child: writing stdin to a plugin that
// exited without reading it must yield EPIPE, not kill the runtime. A SIGPIPE we provoked is
// consumed before the old mask is restored (the signal is thread-directed, so other threads are
// unaffected).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
    was_pending_ = isPending();
  }
  ~SigpipeBlock() {
    if (provoked_ && !was_pending_ && isPending()) {
      const timespec zero{};
      while (::sigtimedwait(&pipe_set_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  void notePipeError() { provoked_ = true; }

 private:
  bool isPending() const {
    sigset_t pending;
    sigemptyset(&pending);
    return ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  }

  sigset_t pipe_set_;
  sigset_t old_mask_;
  bool was_pending_ = false;
  bool provoked_ = false;
};

// posix_spawn attributes and file actions, destroyed on scope exit.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  int configure(int in_fd, int out_fd, int err_fd, bool own_group) {
    sigset_t empty;
    sigset_t defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    // A runtime that ignores SIGPIPE must not pass that on: plugins expect default handling.
    sigaddset(&defaults, SIGPIPE);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (own_group) flags |= POSIX_SPAWN_SETPGROUP;
    if (int e = ::posix_spawnattr_setflags(&attr_, flags)) return e;
    if (int e = ::posix_spawnattr_setsigmask(&attr_, &empty)) return e;
    if (int e = ::posix_spawnattr_setsigdefault(&attr_, &defaults)) return e;
    if (int e = ::posix_spawnattr_setpgroup(&attr_, 0)) return e;
    if (int e = ::posix_spawn_file_actions_adddup2(&actions_, in_fd, STDIN_FILENO)) return e;
    if (int e = ::posix_spawn_file_actions_adddup2(&actions_, out_fd, STDOUT_FILENO)) return e;
    if (int e = ::posix_spawn_file_actions_adddup2(&actions_, err_fd, STDERR_FILENO)) return e;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Descriptors some other library opened without O_CLOEXEC must not reach the plugin either.
    if (int e = ::posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1)) return e;
#endif
    return 0;
  }

  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

UniqueFd openPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = ::syscall(SYS_pidfd_open, pid, 0);  // close-on-exec by definition
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
#endif
  (void)pid;
  return UniqueFd();
}

bool hasExited(pid_t pid) {
  siginfo_t info{};
  // WNOWAIT: only look; the child stays a zombie so its pid (= process group id) is not reused
  // before we are done signalling it.
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;  // someone else reaped it (SIGCHLD ignored?): treat as gone
  }
  return info.si_pid == pid;
}

// Reads what is available; returns false once the stream hit EOF or a hard error.
bool drain(int fd, std::string& sink) {
  for (;;) {
    size_t old = sink.size();
    sink.resize(old + kReadChunk);
    ssize_t n = ::read(fd, sink.data() + old, kReadChunk);
    sink.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n > 0) {
      if (static_cast<size_t>(n) < kReadChunk) return true;  // pipe empty for now
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

int pollTimeoutMs(const ProcessOptions& opts, bool need_exit_polling) {
  int ms = need_exit_polling ? kExitPollMs : -1;
  if (opts.deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*opts.deadline - Clock::now());
    int left_ms = static_cast<int>(
        std::min<long long>(std::max<long long>(left.count(), 0), static_cast<long long>(INT_MAX)));
    ms = ms < 0 ? left_ms : std::min(ms, left_ms);
  }
  return ms;
}

void killChild(pid_t pid, bool own_group) {
  // The child is not reaped yet, so neither its pid nor its process group id can have been
  // reused: both kills are safe. The direct kill covers a child that already left its group.
  if (own_group) (void)::kill(-pid, SIGKILL);
  (void)::kill(pid, SIGKILL);
}

}  // namespace

std::expected<ProcessOutput, ProcessError> runProcess(const std::string& path,
                                                      std::string_view stdin_data,
                                                      const std::vector<std::string>& env,
                                                      const ProcessOptions& opts) {
  auto in = makePipe();
  if (!in) return Fail(in.error());
  auto out = makePipe();
  if (!out) return Fail(out.error());
  auto err = makePipe();
  if (!err) return Fail(err.error());
  if (!setNonBlocking(in->write.get()) || !setNonBlocking(out->read.get()) ||
      !setNonBlocking(err->read.get())) {
    return Fail(ProcessError{"fcntl", errno});
  }

  SpawnSetup setup;
  if (int e = setup.configure(in->read.get(), out->write.get(), err->write.get(),
                              opts.own_process_group)) {
    return Fail(ProcessError{"posix_spawn setup", e});
  }
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<char*> argv = {const_cast<char*>(path.c_str())};
  for (const std::string& a : opts.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  SigpipeBlock sigpipe_block;  // before spawning: the child's mask is set explicitly anyway
  pid_t pid = -1;
  if (int e = ::posix_spawn(&pid, path.c_str(), setup.actions(), setup.attr(), argv.data(),
                            envp.data())) {
    return Fail(ProcessError{"fork/exec " + path, e});
  }
  // Our copies of the child's ends must go, or we would never see EOF on stdout/stderr.
  in->read.reset();
  out->write.reset();
  err->write.reset();
  UniqueFd stdin_w = std::move(in->write);
  UniqueFd stdout_r = std::move(out->read);
  UniqueFd stderr_r = std::move(err->read);
  UniqueFd pidfd = opts.use_pidfd ? openPidfd(pid) : UniqueFd();

  ProcessOutput result;
  size_t written = 0;
  bool exited = false;
  if (stdin_data.empty()) stdin_w.reset();

  while (!(exited && !stdout_r && !stderr_r)) {
    if (opts.deadline && Clock::now() >= *opts.deadline) {
      killChild(pid, opts.own_process_group);
      result.timed_out = true;
      break;
    }
    pollfd pfds[4];
    int n = 0;
    int in_idx = -1, out_idx = -1, err_idx = -1, pid_idx = -1;
    if (stdin_w) in_idx = n, pfds[n++] = {stdin_w.get(), POLLOUT, 0};
    if (stdout_r) out_idx = n, pfds[n++] = {stdout_r.get(), POLLIN, 0};
    if (stderr_r) err_idx = n, pfds[n++] = {stderr_r.get(), POLLIN, 0};
    if (pidfd && !exited) pid_idx = n, pfds[n++] = {pidfd.get(), POLLIN, 0};
    const bool poll_exit = !pidfd && !exited;

    int ready = ::poll(pfds, static_cast<nfds_t>(n), pollTimeoutMs(opts, poll_exit));
    if (ready < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      killChild(pid, opts.own_process_group);
      (void)::waitpid(pid, nullptr, 0);  // reap even on this (theoretical) failure
      return Fail(ProcessError{"poll", e});
    }
    if (in_idx >= 0 && pfds[in_idx].revents != 0) {
      ssize_t w = ::write(stdin_w.get(), stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) {
        written += static_cast<size_t>(w);
        if (written == stdin_data.size()) stdin_w.reset();  // EOF for the plugin
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        if (errno == EPIPE) sigpipe_block.notePipeError();
        stdin_w.reset();  // the plugin closed its stdin: the rest is simply not wanted
      }
    }
    if (out_idx >= 0 && pfds[out_idx].revents != 0 && !drain(stdout_r.get(), result.stdout_data)) {
      stdout_r.reset();
    }
    if (opts.max_stdout != 0 && result.stdout_data.size() > opts.max_stdout) {
      result.stdout_data.resize(opts.max_stdout);
      killChild(pid, opts.own_process_group);
      result.truncated = true;
      break;
    }
    if (err_idx >= 0 && pfds[err_idx].revents != 0 && !drain(stderr_r.get(), result.stderr_data)) {
      stderr_r.reset();
    }
    if ((pid_idx >= 0 && pfds[pid_idx].revents != 0) || (poll_exit && hasExited(pid))) {
      exited = true;
      stdin_w.reset();  // nobody is left to read it
    }
  }

  stdin_w.reset();
  stdout_r.reset();
  stderr_r.reset();
  int status = 0;
  struct rusage usage {};
  for (;;) {
    if (::wait4(pid, &status, 0, &usage) == pid) break;
    if (errno == EINTR) continue;
    return Fail(ProcessError{"wait", errno});
  }
  result.wait_status = status;
  result.max_rss_kib = usage.ru_maxrss;
  auto micros = [](const timeval& tv) {
    return std::chrono::microseconds(static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec);
  };
  result.user_cpu = micros(usage.ru_utime);
  result.system_cpu = micros(usage.ru_stime);
  return result;
}

}  // namespace cni::invoke::detail
