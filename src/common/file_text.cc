// src/common/file_text.cc — see file_text.h.
#include "src/common/file_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "src/common/unique_fd.h"

namespace cni {

std::optional<std::string> readFileText(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      fd.reset();
      errno = saved;
      return std::nullopt;
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

bool writeFileText(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return false;
  while (!data.empty()) {
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      fd.reset();
      errno = saved;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ::close(fd.release()) == 0;
}

std::vector<std::string_view> splitFields(std::string_view s) {
  constexpr std::string_view kWs = " \t\n\v\f\r";
  std::vector<std::string_view> out;
  size_t i = s.find_first_not_of(kWs);
  while (i != std::string_view::npos) {
    const size_t end = s.find_first_of(kWs, i);
    out.push_back(s.substr(i, end == std::string_view::npos ? end : end - i));
    i = end == std::string_view::npos ? end : s.find_first_not_of(kWs, end);
  }
  return out;
}

std::vector<std::string_view> splitLines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace cni
