// src/common/mkdir_all.cc — see mkdir_all.h.
#include "src/common/mkdir_all.h"

#include <sys/stat.h>

#include <cerrno>

namespace cni {
namespace {

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::optional<MkdirFailure> mkdirAll(const std::string& path, mode_t mode) {
  if (isDirectory(path)) return std::nullopt;
  // Walk the components left to right ("/a//b/" is "/a", "/a/b"); the prefixes are the
  // caller's own spelling, so an error names the path as the caller would.
  std::string partial;
  size_t i = 0;
  while (i < path.size()) {
    const size_t slash = path.find('/', i);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > i) {
      partial = path.substr(0, end);
      if (!isDirectory(partial) && ::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
        return MkdirFailure{errno, partial};
      }
    }
    i = end + 1;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return MkdirFailure{errno, path};
  if (!S_ISDIR(st.st_mode)) return MkdirFailure{ENOTDIR, path};
  return std::nullopt;
}

}  // namespace cni
