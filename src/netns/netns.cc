// src/netns/netns.cc — NetNs: open/current/run plumbing and the `ip netns add/del` helpers.
#include "src/netns/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "src/common/errno_text.h"

namespace cni::netns {
namespace {

constexpr const char* kNetnsRunDir = "/run/netns";

// Go's %q for the ASCII range (enough for paths; other bytes pass through).
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

Error internal(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

// statfs + magic check + open, reporting a missing path separately (Go's NSPathNotExistErr).
struct OpenOutcome {
  std::optional<UniqueFd> fd;  // nullopt with ok=true: the path does not exist
  std::optional<Error> error;
};

OpenOutcome openNsFile(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return {};
    return {std::nullopt, internal("failed to Statfs " + quote(path) + ": " + goErrnoText(err))};
  }
  if (st.f_type != static_cast<decltype(st.f_type)>(NSFS_MAGIC) &&
      st.f_type != static_cast<decltype(st.f_type)>(PROC_SUPER_MAGIC)) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%lx", static_cast<unsigned long>(st.f_type));
    return {std::nullopt, internal("unknown FS magic on " + quote(path) + ": " + hex)};
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return {};  // raced with a removal: same as never there
    return {std::nullopt, internal("open " + path + ": " + goErrnoText(err))};
  }
  return {UniqueFd(fd), std::nullopt};
}

bool validName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// iproute2's netns_add prologue: /run/netns must be a shared mount point so that namespace
// mounts made here propagate to (and can be unmounted from) every mount namespace.
Status makeRunDirShared() {
  if (::mkdir(kNetnsRunDir, 0755) != 0 && errno != EEXIST) {
    return failErrno(ErrorCode::kInternal, std::string("mkdir ") + kNetnsRunDir, errno);
  }
  for (bool bound = false;; bound = true) {
    if (::mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return {};
    if (errno != EINVAL || bound) {
      return failErrno(ErrorCode::kInternal, std::string("mount --make-rshared ") + kNetnsRunDir,
                       errno);
    }
    // Not a mount point yet: bind it onto itself, then retry.
    if (::mount(kNetnsRunDir, kNetnsRunDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
      return failErrno(ErrorCode::kInternal, std::string("mount --rbind ") + kNetnsRunDir, errno);
    }
  }
}

}  // namespace

Expected<NetNs> NetNs::open(std::string_view path) {
  std::string p(path);
  OpenOutcome o = openNsFile(p);
  if (o.error) return std::unexpected(std::move(*o.error));
  if (!o.fd) {
    return std::unexpected(internal("failed to Statfs " + quote(p) + ": " + goErrnoText(ENOENT)));
  }
  return NetNs(std::move(*o.fd), std::move(p));
}

Expected<std::optional<NetNs>> NetNs::openIfExists(std::string_view path) {
  std::string p(path);
  OpenOutcome o = openNsFile(p);
  if (o.error) return std::unexpected(std::move(*o.error));
  if (!o.fd) return std::optional<NetNs>();
  return std::optional<NetNs>(NetNs(std::move(*o.fd), std::move(p)));
}

Expected<NetNs> NetNs::current() {
  // thread-self, not self: /proc/self/ns/net is the namespace of the main thread.
  static constexpr const char* kPath = "/proc/thread-self/ns/net";
  int fd = ::open(kPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(internal(std::string("open ") + kPath + ": " + goErrnoText(errno)));
  }
  return NetNs(UniqueFd(fd), kPath);
}

Status NetNs::enter() const {
  if (::setns(fd_.get(), CLONE_NEWNET) != 0) {
    std::string inner = "Error switching to ns " + path_ + ": " + goErrnoText(errno);
    return std::unexpected(internal("error switching to ns " + path_ + ": " + inner));
  }
  return {};
}

void NetNs::switchCallingThread() { switch_calling_thread_ = true; }

Expected<NetNs::Return> NetNs::switchTo() const {
  // The namespace to come back to: whatever this thread is in now (not a cached one, so a thread
  // that joined a namespace by itself, or a nested run(), returns exactly where it was).
  int home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    return std::unexpected(internal("open /proc/thread-self/ns/net: " + goErrnoText(errno)));
  }
  Return back{UniqueFd(home)};
  if (Status s = enter(); !s) {
    back.home_.reset();  // never entered: nothing to undo
    return std::unexpected(std::move(s).error());
  }
  return back;
}

NetNs::Return::~Return() {
  if (!home_) return;
  if (::setns(home_.get(), CLONE_NEWNET) != 0) {
    // Carrying on would run the rest of the plugin (host-side links, nft) in the pod's namespace.
    std::fprintf(stderr, "cnikit: cannot return to the original network namespace: %s\n",
                 goErrnoText(errno).c_str());
    std::abort();
  }
}

bool NetNs::sameAs(const NetNs& other) const {
  struct stat a {
  }, b{};
  if (::fstat(fd_.get(), &a) != 0 || ::fstat(other.fd_.get(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string NetNs::namedPath(std::string_view name) {
  return std::string(kNetnsRunDir) + "/" + std::string(name);
}

Expected<NetNs> NetNs::createNamed(std::string_view name) {
  if (!validName(name)) {
    return fail(ErrorCode::kInternal, "invalid netns name " + quote(name));
  }
  CNI_TRY(makeRunDirShared());
  const std::string path = namedPath(name);
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
      return fail(ErrorCode::kInternal,
                  "Cannot create namespace file " + quote(path) + ": " + goErrnoText(errno));
    }
    ::close(fd);
  }
  // The new namespace is created on a throwaway thread: unshare() affects only that thread,
  // and the bind mount keeps the namespace alive after the thread exits.
  Status made;
  try {
    std::thread worker([&] {
      if (::unshare(CLONE_NEWNET) != 0) {
        made = failErrno(ErrorCode::kInternal, "unshare(CLONE_NEWNET)", errno);
        return;
      }
      if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
        made = failErrno(ErrorCode::kInternal, "bind mount of the new netns on " + path, errno);
      }
    });
    worker.join();
  } catch (const std::system_error& e) {
    made = fail(ErrorCode::kInternal, std::string("failed to start netns thread: ") + e.what());
  }
  if (!made) {
    (void)::unlink(path.c_str());  // best effort: the error above is what matters
    return std::unexpected(std::move(made).error());
  }
  auto ns = open(path);
  if (!ns) (void)removeNamed(name);
  return ns;
}

Status NetNs::removeNamed(std::string_view name) {
  if (!validName(name)) {
    return fail(ErrorCode::kInternal, "invalid netns name " + quote(name));
  }
  const std::string path = namedPath(name);
  // As `ip netns del`: a failed umount (not mounted) is fine, the unlink decides.
  (void)::umount2(path.c_str(), MNT_DETACH);
  if (::unlink(path.c_str()) != 0) {
    return fail(ErrorCode::kInternal,
                "Cannot remove namespace file " + quote(path) + ": " + goErrnoText(errno));
  }
  return {};
}

}  // namespace cni::netns
