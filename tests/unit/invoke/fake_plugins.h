// tests/unit/invoke/fake_plugins.h — shell-script fake plugins and process hygiene probes.
#pragma once

#include <dirent.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace cni::invoke::testing {

// Writes `#!/bin/sh` + body as an executable into a fresh temporary directory.
class FakePlugins {
 public:
  std::string add(std::string_view name, std::string_view body) {
    std::string text = "#!/bin/sh\n";
    text += body;
    text += '\n';
    return dir_.write(name, text, 0755).string();
  }
  std::string path(std::string_view rel) const { return (dir_.path() / rel).string(); }
  const cni::testutil::TempDir& dir() const { return dir_; }

 private:
  cni::testutil::TempDir dir_;
};

inline int countOpenFds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

// True when this process has no child left to reap (neither running nor zombie).
inline bool noChildrenLeft() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

// Parses NAME=VALUE lines (as printed by env(1)).
inline std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    out.emplace_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace cni::invoke::testing
