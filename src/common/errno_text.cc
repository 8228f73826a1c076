// src/common/errno_text.cc — Go's syscall.Errno text (see errno_text.h).
#include "src/common/errno_text.h"

#include <cerrno>
#include <cstring>

namespace cni {
namespace {

// The highest errno in Go's (frozen) linux table; later additions (EHWPOISON) have no text there.
constexpr int kGoLastErrno = 132;

}  // namespace

std::string goErrnoText(int err) {
  // Go's table was generated from glibc's strerror once, with the same lower-casing rule; the
  // errnos it does not name print as "errno N", as do the holes (41, 58) glibc calls "Unknown".
  if (err <= 0 || err > kGoLastErrno || err == 41 || err == 58) {
    return "errno " + std::to_string(err);
  }
  if (err == ESTALE) return "stale NFS file handle";  // glibc now says "Stale file handle"
  std::string s = std::strerror(err);
  if (s.size() > 1 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z') {
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  }
  return s;
}

}  // namespace cni
