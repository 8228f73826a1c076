// src/netns/netns.h — network namespaces as RAII values, and running code inside one.
//
// setns(2) changes the namespace of the *calling thread* only. NetNs::run() has two ways to run
// a callable inside a namespace, chosen per process:
//  - by default (libcnikit, the CLI, the doctor, tests: processes with other threads and a
//    caller that must never find itself elsewhere), on a dedicated short-lived std::thread that
//    joins the namespace first — the caller's thread never changes namespace;
//  - in a plugin process (skel::pluginMainProcess calls switchCallingThread(): one thread, one
//    verb, then exit), on the calling thread itself, switched in and back on every path (results,
//    errors, exceptions), as Go's ns.Do does with LockOSThread. A thread start and join per call
//    costs 0.1 ms on an idle node and up to ~3 ms on a busy one (measured: 3.0 ms median for
//    spawn+join vs 37 us for setns there and back), the largest single item of a bridge ADD. The
//    way back is a descriptor of the namespace the thread was in when run() began, opened first,
//    so nested runs return to the right place; if even that setns fails the process aborts
//    rather than keep running in the wrong namespace.
// Either way, everything that binds to "the current netns" at creation — netlink sockets above
// all, /proc/sys/net files — must be created *inside* run().
//
// Error texts follow the Go reference (plugins pkg/ns), because plugins surface them unchanged:
//   failed to Statfs "<path>": <errno text>        (path missing / not accessible)
//   unknown FS magic on "<path>": <hex>            (path is not an nsfs/procfs file)
//   error switching to ns <path>: Error switching to ns <path>: <errno text>   (setns failed)
// They carry ErrorCode::kInternal: in Go these are plain errors that skel reports as code 999.
#pragma once

#include <exception>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "src/common/error.h"
#include "src/common/unique_fd.h"

namespace cni::netns {

namespace detail {

template <class R>
struct AsExpected {
  using type = Expected<R>;
};
template <>
struct AsExpected<void> {
  using type = Status;
};
template <class T>
struct AsExpected<std::expected<T, Error>> {
  using type = std::expected<T, Error>;
};

}  // namespace detail

// What NetNs::run(f) returns: f's own Expected<T>, or Expected<R> for a plain R (Status for void).
template <class F>
using RunResult = typename detail::AsExpected<std::remove_cvref_t<std::invoke_result_t<F&>>>::type;

class NetNs {
 public:
  NetNs(NetNs&&) noexcept = default;
  NetNs& operator=(NetNs&&) noexcept = default;
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;

  // Opens a namespace file (/run/netns/<name>, /proc/<pid>/ns/net, ...) like Go's ns.GetNS:
  // the path must be on nsfs or procfs (checked with statfs), then it is opened O_RDONLY.
  // Whether it really is a *network* namespace is only known when run() joins it (as in Go).
  static Expected<NetNs> open(std::string_view path);

  // As open(), but a path that does not exist is not an error: nullopt. This is Go's
  // NSPathNotExistErr, which DEL treats as "already gone".
  static Expected<std::optional<NetNs>> openIfExists(std::string_view path);

  // The calling thread's network namespace (/proc/thread-self/ns/net).
  static Expected<NetNs> current();

  // Runs f() inside this namespace and returns f's result (see RunResult): on a dedicated thread
  // by default, on the calling thread after switchCallingThread() (see the top of this file).
  // Fails without calling f if the namespace cannot be joined. An exception thrown by f reaches
  // the caller either way.
  template <class F>
  RunResult<F> run(F&& f) const;

  // For single-threaded one-shot processes (plugins): from now on run() switches the calling
  // thread instead of starting one. Process-wide; call before any run().
  static void switchCallingThread();

  // Same namespace (same nsfs inode), whatever paths were used to open them.
  bool sameAs(const NetNs& other) const;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // Test/demo helpers mirroring `ip netns add/del <name>` without needing the `ip` binary:
  // /run/netns is made a shared mount (bind-mounted onto itself first if needed, as iproute2
  // does, so the namespace mounts propagate to other mount namespaces), an empty file
  // /run/netns/<name> is created and a fresh network namespace (made by unshare(CLONE_NEWNET)
  // on a throwaway thread) is bind-mounted onto it. Fails if <name> already exists.
  static Expected<NetNs> createNamed(std::string_view name);
  // Unmounts (lazily) and removes /run/netns/<name>. The namespace itself disappears once the
  // last fd/process referring to it is gone. Fails only if the file cannot be removed.
  static Status removeNamed(std::string_view name);
  // /run/netns/<name>.
  static std::string namedPath(std::string_view name);

 private:
  NetNs(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  // setns() the calling thread into this namespace, with Go's error text.
  Status enter() const;

  // The calling thread's namespace while it is inside another one: back there on destruction.
  class Return {
   public:
    explicit Return(UniqueFd home) : home_(std::move(home)) {}
    Return(Return&&) noexcept = default;
    Return& operator=(Return&&) = delete;
    ~Return();

   private:
    friend class NetNs;
    UniqueFd home_;
  };
  // Opens the calling thread's current namespace, then enters this one.
  Expected<Return> switchTo() const;

  UniqueFd fd_;
  std::string path_;
  static inline bool switch_calling_thread_ = false;
};

template <class F>
RunResult<F> NetNs::run(F&& f) const {
  using R = std::invoke_result_t<F&>;
  if (switch_calling_thread_) {
    auto back = switchTo();
    if (!back) return std::unexpected(std::move(back).error());
    // `back` switches the thread home when this scope ends, also when f throws.
    if constexpr (std::is_void_v<R>) {
      f();
      return RunResult<F>();
    } else {
      return RunResult<F>(f());
    }
  }
  std::optional<RunResult<F>> out;
  std::exception_ptr exc;
  auto body = [&] {
    if (Status s = enter(); !s) {
      out.emplace(std::unexpected(std::move(s).error()));
      return;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        f();
        out.emplace();
      } else {
        out.emplace(f());
      }
    } catch (...) {
      exc = std::current_exception();
    }
  };
  try {
    std::thread worker(body);
    worker.join();
  } catch (const std::system_error& e) {  // thread creation failed (resource limits)
    return std::unexpected(
        Error(ErrorCode::kInternal,
              std::string("failed to start a thread for netns ") + path_ + ": " + e.what()));
  }
  if (exc) std::rethrow_exception(exc);
  return std::move(*out);
}

}  // namespace cni::netns
