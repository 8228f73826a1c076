// src/common/errno_text.h — Go's syscall.Errno text, for error messages that must match Go's.
//
// Go plugins and libcni print errno values through syscall.Errno.Error() ("open /x: no such file
// or directory"); runtimes and users match on those texts. The rendering lives here, in common,
// because modules that do not depend on spec (netns, netlink) print errnos too.
#pragma once

#include <string>

namespace cni {

// syscall.Errno(err).Error() on linux: the C library's message with its first letter lower-cased
// unless the second letter is a capital too ("no such file or directory", "RFS specific error"),
// as Go's generated table has it; ESTALE keeps Go's older "stale NFS file handle"; errno values
// missing from Go's table (0, 41, 58, >= 133, negative) are "errno N".
std::string goErrnoText(int err);

}  // namespace cni
