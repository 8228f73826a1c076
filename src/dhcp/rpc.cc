// src/dhcp/rpc.cc — see rpc.h.
#include "src/dhcp/rpc.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "src/common/errno_text.h"

namespace cni::dhcp {
namespace {

Expected<sockaddr_un> unixAddr(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) {
    return fail(ErrorCode::kInternal, "invalid unix socket path \"" + path + "\"");
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  return sa;
}

Expected<UniqueFd> connectUnix(const std::string& path) {
  CNI_ASSIGN_OR_RETURN(sockaddr_un sa, unixAddr(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(ErrorCode::kInternal, "socket: " + goErrnoText(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return fail(ErrorCode::kTryAgainLater, "error dialing DHCP daemon: dial unix " + path +
                                               ": connect: " + goErrnoText(errno));
  }
  return fd;
}

}  // namespace

Status writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kInternal, "write: " + goErrnoText(errno));
    text.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Expected<Json> readMessage(int fd) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kInternal, "read: " + goErrnoText(errno));
    if (n == 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    if (buf.size() > kMaxMessage) return fail(ErrorCode::kInternal, "message too large");
  }
  CNI_ASSIGN_OR_RETURN(Json j, spec::parseJson(buf, "DHCP daemon message"));
  if (!j.is_object()) return fail(ErrorCode::kInternal, "DHCP daemon message is not an object");
  return j;
}

Json errorReply(const Error& e) {
  Json err = {{"code", static_cast<uint32_t>(e.code)}, {"msg", e.msg}};
  if (!e.details.empty()) err["details"] = e.details;
  return Json{{"error", err}};
}

Expected<Json> call(const std::string& socket_path, const Json& request) {
  CNI_ASSIGN_OR_RETURN(UniqueFd fd, connectUnix(socket_path));
  if (Status s = writeAll(fd.get(), request.dump()); !s) {
    return fail(ErrorCode::kTryAgainLater, "error calling DHCP daemon: " + s.error().msg);
  }
  ::shutdown(fd.get(), SHUT_WR);
  auto reply = readMessage(fd.get());
  if (!reply) {
    return fail(ErrorCode::kTryAgainLater, "error calling DHCP daemon: " + reply.error().msg);
  }
  if (const auto it = reply->find("error"); it != reply->end() && it->is_object()) {
    Error e(static_cast<ErrorCode>(it->value("code", 999u)), it->value("msg", std::string()));
    e.details = it->value("details", std::string());
    return fail(std::move(e));
  }
  return *reply;
}

Expected<UniqueFd> listenUnix(const std::string& path) {
  CNI_ASSIGN_OR_RETURN(sockaddr_un sa, unixAddr(path));
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return fail(ErrorCode::kInternal, "mkdir " + parent.string() + ": " + ec.message());
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    if (connectUnix(path)) {
      return fail(ErrorCode::kInternal, "listen unix " + path + ": bind: address already in use");
    }
    ::unlink(path.c_str());  // stale: its daemon is gone
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(ErrorCode::kInternal, "socket: " + goErrnoText(errno));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd.get(), 64) != 0) {
    return fail(ErrorCode::kInternal, "listen unix " + path + ": " + goErrnoText(errno));
  }
  return fd;
}

}  // namespace cni::dhcp
