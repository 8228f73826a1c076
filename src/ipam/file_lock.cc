// src/ipam/file_lock.cc — flock-based network lock (see file_lock.h).
#include "src/ipam/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace cni::ipam {

Error goErrnoError(std::string_view what, int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return Error(ErrorCode::kInternal, std::string(what) + ": " + text);
}

Expected<FileLock> FileLock::acquire(const std::string& dir) {
  std::string path = dir + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0750));
  if (!fd) return fail(goErrnoError("open " + path, errno));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail(goErrnoError("flock " + path, errno));
  }
  return FileLock(std::move(fd));
}

}  // namespace cni::ipam
