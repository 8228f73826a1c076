// src/sysctl/sysctl.cc — /proc/sys access (see sysctl.h).
#include "src/sysctl/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "src/common/unique_fd.h"

namespace cni::sysctl {
namespace {

std::string fullPath(std::string_view root, const std::string& rel) {
  std::string p(root);
  if (!p.empty() && p.back() != '/') p += '/';
  return p + rel;
}

Error ioError(std::string_view what, std::string_view key, int err) {
  return Error::fromErrno(ErrorCode::kIoFailure, std::string(what) + " sysctl " + std::string(key),
                          err);
}

}  // namespace

Expected<std::string> keyToPath(std::string_view key) {
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (key.empty()) return fail(ErrorCode::kInvalidNetworkConfig, "empty sysctl key");
  std::string path(key);
  const size_t first_sep = key.find_first_of("./");
  if (first_sep != std::string_view::npos && key[first_sep] == '.') {
    for (char& c : path) c = c == '.' ? '/' : (c == '/' ? '.' : c);
  }
  // Every component must be a real name: no traversal out of /proc/sys.
  size_t start = 0;
  while (true) {
    size_t end = path.find('/', start);
    std::string_view comp = std::string_view(path).substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") {
      return fail(ErrorCode::kInvalidNetworkConfig,
                  "invalid sysctl key \"" + std::string(key) + "\"");
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return path;
}

std::string ifaceKey(IpFamily family, std::string_view ifname, std::string_view leaf) {
  std::string k = family == IpFamily::kV4 ? "net/ipv4/conf/" : "net/ipv6/conf/";
  k += ifname;
  k += '/';
  k += leaf;
  return k;
}

Expected<std::string> get(std::string_view key, std::string_view root) {
  CNI_ASSIGN_OR_RETURN(std::string rel, keyToPath(key));
  UniqueFd fd(::open(fullPath(root, rel).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(ioError("failed to read", key, errno));
  std::string out;
  char buf[512];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ioError("failed to read", key, errno));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

Status set(std::string_view key, std::string_view value, std::string_view root) {
  CNI_ASSIGN_OR_RETURN(std::string rel, keyToPath(key));
  // No O_CREAT: a missing key is an error, never a new file (matters for the test root too).
  UniqueFd fd(::open(fullPath(root, rel).c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return fail(ioError("failed to set", key, errno));
  std::string data(value);
  data += '\n';
  // proc handlers take the value in one write; a short write would be a partial value.
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail(ioError("failed to set", key, errno));
  if (static_cast<size_t>(n) != data.size()) {
    return fail(ErrorCode::kIoFailure, "short write setting sysctl " + std::string(key));
  }
  return {};
}

Expected<std::string> setAndGet(std::string_view key, std::string_view value,
                                std::string_view root) {
  CNI_TRY(set(key, value, root));
  return get(key, root);
}

Status enableIpForward(IpFamily family, std::string_view root) {
  const std::string_view key =
      family == IpFamily::kV4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
  CNI_ASSIGN_OR_RETURN(std::string cur, get(key, root));
  if (cur == "1") return {};
  return set(key, "1", root);
}

}  // namespace cni::sysctl
