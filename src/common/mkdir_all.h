// src/common/mkdir_all.h — Go's os.MkdirAll, once. Three state directories are created on demand
// (host-local's dataDir, libcni's result cache, tuning's backup dir); each must get exactly the
// mode its reference gives it on a fresh node, whatever the umask, and each reports a failure
// in its own reference's words — so this returns the errno and the failing path, not a message.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace cni {

struct MkdirFailure {
  int err = 0;       // errno of the mkdir (ENOTDIR when the path exists as a non-directory)
  std::string path;  // the component whose mkdir failed, or `path` itself
};

// Creates every missing component of `path` with `mode` (less the umask), as Go's
// os.MkdirAll: a directory that is already there costs one stat; a component that appears
// concurrently (EEXIST) is fine; the result must be a directory. Unlike
// std::filesystem::create_directories, no component is ever made 0777.
std::optional<MkdirFailure> mkdirAll(const std::string& path, mode_t mode);

}  // namespace cni
