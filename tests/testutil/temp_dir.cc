// tests/testutil/temp_dir.cc — TempDir and small file helpers for tests.
#include "tests/testutil/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cni::testutil {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cnikit-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(std::string_view rel, std::string_view content,
                                     int mode) const {
  auto p = path_ / rel;
  std::filesystem::create_directories(p.parent_path());
  {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ::chmod(p.c_str(), static_cast<mode_t>(mode));
  return p;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool isRoot() { return ::geteuid() == 0; }

}  // namespace cni::testutil
