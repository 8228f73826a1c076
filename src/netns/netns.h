// src/netns/netns.h — network namespaces as RAII values, and running code inside one.
//
// setns(2) changes the namespace of the *calling thread* only, so switching the caller's thread
// (as Go's ns.Do does, with LockOSThread) risks leaving it in the wrong namespace on any error
// path. NetNs::run() instead executes the callable on a dedicated short-lived std::thread that
// joins the namespace first; the caller's thread never changes namespace. Everything that binds
// to "the current netns" at creation — netlink sockets above all, /proc/sys/net files — must be
// created *inside* run().
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

  // Runs f() on a new thread that has joined this namespace, waits for it and returns f's
  // result (see RunResult). Fails without calling f if the thread cannot join the namespace.
  // An exception thrown by f is rethrown on the calling thread.
  template <class F>
  RunResult<F> run(F&& f) const;

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

  UniqueFd fd_;
  std::string path_;
};

template <class F>
RunResult<F> NetNs::run(F&& f) const {
  using R = std::invoke_result_t<F&>;
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
