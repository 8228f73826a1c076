// src/ipam/text_file.cc — see text_file.h.
#include "src/ipam/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "src/common/unique_fd.h"

namespace cni::ipam {

std::string trimSpace(std::string_view s) {
  constexpr std::string_view kWs = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(kWs);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kWs);
  return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string> readFileText(const std::string& path) {
  // Plain read(2): these files are a few bytes, and an ifstream (locale, buffers) costs more
  // than the read itself; several are read per ADD and DEL.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace cni::ipam
