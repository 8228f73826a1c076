// tests/testutil/temp_dir.h — a temporary directory removed (recursively) on destruction.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cni::testutil {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/rel (creating parent dirs) with the given mode; returns the path.
  std::filesystem::path write(std::string_view rel, std::string_view content,
                              int mode = 0644) const;

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& p);

// True when running as root (netns / e2e tests GTEST_SKIP() otherwise).
bool isRoot();

}  // namespace cni::testutil
