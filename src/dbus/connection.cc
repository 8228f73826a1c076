// src/dbus/connection.cc — D-Bus client connection: address parsing, SASL EXTERNAL, calls.
#include "src/dbus/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace cni::dbus {
namespace {

using Clock = std::chrono::steady_clock;

struct UnixAddress {
  std::string path;  // filesystem path, or the name of an abstract socket
  bool abstract = false;
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size()) {
      int hi = hexValue(v[i + 1]), lo = hexValue(v[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

// The unix addresses in a D-Bus address list, in order (other transports are skipped).
std::vector<UnixAddress> unixAddresses(std::string_view address) {
  std::vector<UnixAddress> out;
  while (!address.empty()) {
    const size_t semi = address.find(';');
    std::string_view one = address.substr(0, semi);
    address = semi == std::string_view::npos ? std::string_view() : address.substr(semi + 1);
    if (!one.starts_with("unix:")) continue;
    one.remove_prefix(5);
    while (!one.empty()) {
      const size_t comma = one.find(',');
      std::string_view kv = one.substr(0, comma);
      one = comma == std::string_view::npos ? std::string_view() : one.substr(comma + 1);
      const size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = kv.substr(0, eq);
      if (key == "path" || key == "abstract") {
        out.push_back({unescape(kv.substr(eq + 1)), key == "abstract"});
        break;
      }
    }
  }
  return out;
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

Error timedOut(std::string_view what) {
  return Error(ErrorCode::kTryAgainLater, "dbus: timed out " + std::string(what));
}

Expected<UniqueFd> connectUnix(const UnixAddress& a) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  const size_t max = sizeof(sa.sun_path) - 1;
  if (a.path.empty() || a.path.size() > max) {
    return fail(ErrorCode::kIoFailure, "dbus: bad socket path \"" + a.path + "\"");
  }
  socklen_t len;
  if (a.abstract) {
    std::memcpy(sa.sun_path + 1, a.path.data(), a.path.size());
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + a.path.size());
  } else {
    std::memcpy(sa.sun_path, a.path.data(), a.path.size());
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + a.path.size() + 1);
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return failErrno(ErrorCode::kIoFailure, "dbus: socket", errno);
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const std::string shown = a.abstract ? "@" + a.path : a.path;
    return failErrno(ErrorCode::kIoFailure, "dbus: connect " + shown, errno);
  }
  return fd;
}

}  // namespace

std::string systemBusAddress() {
  const char* env = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  if (env && *env) return env;
  return std::string(kDefaultSystemBusAddress);
}

std::string socketPathOf(std::string_view address) {
  auto list = unixAddresses(address);
  if (list.empty()) return "";
  return list.front().abstract ? "@" + list.front().path : list.front().path;
}

RemoteError remoteError(const Message& reply) { return {reply.error_name, reply.errorText()}; }

Expected<Connection> Connection::open(std::string_view address, std::chrono::milliseconds timeout) {
  auto list = unixAddresses(address);
  if (list.empty()) {
    return fail(ErrorCode::kIoFailure,
                "dbus: no unix socket in bus address \"" + std::string(address) + "\"");
  }
  Error last;
  for (const UnixAddress& a : list) {
    auto fd = connectUnix(a);
    if (!fd) {
      last = fd.error();
      continue;
    }
    Connection c(std::move(*fd), timeout);
    CNI_TRY(c.authenticate());
    Message hello = Message::methodCall(kBusName, kBusPath, kBusInterface, "Hello");
    CNI_ASSIGN_OR_RETURN(Message reply, c.callChecked(std::move(hello)));
    BodyReader r(reply);
    CNI_ASSIGN_OR_RETURN(c.unique_name_, r.string());
    return c;
  }
  return fail(std::move(last));
}

Status Connection::writeAll(std::span<const uint8_t> bytes) {
  const auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_.get(), POLLOUT, 0};
      int r = ::poll(&p, 1, remainingMs(deadline));
      if (r == 0) return fail(timedOut("writing to the bus"));
      if (r < 0 && errno != EINTR) return failErrno(ErrorCode::kIoFailure, "dbus: poll", errno);
      continue;
    }
    return failErrno(ErrorCode::kIoFailure, "dbus: send", errno);
  }
  return {};
}

Expected<std::string> Connection::readLine(Clock::time_point deadline) {
  for (;;) {
    for (size_t i = 0; i + 1 < inbuf_.size(); ++i) {
      if (inbuf_[i] == '\r' && inbuf_[i + 1] == '\n') {
        std::string line(inbuf_.begin(), inbuf_.begin() + static_cast<ptrdiff_t>(i));
        inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<ptrdiff_t>(i + 2));
        return line;
      }
    }
    if (inbuf_.size() > 4096) return fail(ErrorCode::kInternal, "dbus: auth line too long");
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, remainingMs(deadline));
    if (r == 0) return fail(timedOut("authenticating"));
    if (r < 0) {
      if (errno == EINTR) continue;
      return failErrno(ErrorCode::kIoFailure, "dbus: poll", errno);
    }
    uint8_t buf[512];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n == 0) return fail(ErrorCode::kIoFailure, "dbus: bus closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return failErrno(ErrorCode::kIoFailure, "dbus: recv", errno);
    }
    inbuf_.insert(inbuf_.end(), buf, buf + n);
  }
}

Status Connection::authenticate() {
  // The uid as decimal text, hex-encoded: "0" -> "30".
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (char ch : std::to_string(::geteuid())) {
    hex += digits[static_cast<unsigned char>(ch) >> 4];
    hex += digits[static_cast<unsigned char>(ch) & 15];
  }
  const std::string hello = std::string(1, '\0') + "AUTH EXTERNAL " + hex + "\r\n";
  CNI_TRY(writeAll({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}));
  CNI_ASSIGN_OR_RETURN(std::string line, readLine(Clock::now() + timeout_));
  if (!line.starts_with("OK ")) {
    return fail(ErrorCode::kInternal, "dbus: authentication refused: " + line);
  }
  static constexpr std::string_view kBegin = "BEGIN\r\n";
  return writeAll({reinterpret_cast<const uint8_t*>(kBegin.data()), kBegin.size()});
}

Expected<uint32_t> Connection::send(Message m) {
  m.serial = next_serial_++;
  if (next_serial_ == 0) next_serial_ = 1;
  CNI_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, encode(m));
  CNI_TRY(writeAll(bytes));
  return m.serial;
}

Expected<Message> Connection::readMessage(Clock::time_point deadline) {
  for (;;) {
    CNI_ASSIGN_OR_RETURN(auto size, messageSize(inbuf_));
    if (size && inbuf_.size() >= *size) {
      auto m = decode(std::span<const uint8_t>(inbuf_).first(*size));
      inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<ptrdiff_t>(*size));
      return m;
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, remainingMs(deadline));
    if (r == 0) return fail(timedOut("waiting for the bus"));
    if (r < 0) {
      if (errno == EINTR) continue;
      return failErrno(ErrorCode::kIoFailure, "dbus: poll", errno);
    }
    uint8_t buf[16384];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return fail(ErrorCode::kIoFailure, "dbus: bus closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return failErrno(ErrorCode::kIoFailure, "dbus: recv", errno);
    }
    inbuf_.insert(inbuf_.end(), buf, buf + n);
  }
}

Expected<Message> Connection::call(Message m) {
  m.type = MessageType::kMethodCall;
  m.flags &= static_cast<uint8_t>(~kFlagNoReplyExpected);
  const auto deadline = Clock::now() + timeout_;
  CNI_ASSIGN_OR_RETURN(uint32_t serial, send(std::move(m)));
  for (;;) {
    CNI_ASSIGN_OR_RETURN(Message in, readMessage(deadline));
    if ((in.type == MessageType::kMethodReturn || in.type == MessageType::kError) &&
        in.reply_serial == serial) {
      return in;
    }
    queue_.push_back(std::move(in));
  }
}

Expected<Message> Connection::callChecked(Message m) {
  const std::string what = m.interface + "." + m.member;
  CNI_ASSIGN_OR_RETURN(Message reply, call(std::move(m)));
  if (reply.type == MessageType::kError) {
    RemoteError e = remoteError(reply);
    return fail(ErrorCode::kInternal, "dbus: " + what + ": " + e.name + ": " + e.text);
  }
  return reply;
}

Expected<Message> Connection::receive() { return receive(timeout_); }

Expected<Message> Connection::receive(std::chrono::milliseconds wait) {
  if (!queue_.empty()) {
    Message m = std::move(queue_.front());
    queue_.pop_front();
    return m;
  }
  return readMessage(Clock::now() + wait);
}

Expected<bool> Connection::nameHasOwner(std::string_view name) {
  Message m = Message::methodCall(kBusName, kBusPath, kBusInterface, "NameHasOwner");
  BodyWriter().string(name).into(m);
  CNI_ASSIGN_OR_RETURN(Message reply, callChecked(std::move(m)));
  BodyReader r(reply);
  return r.boolean();
}

Expected<std::vector<std::string>> Connection::listNames() {
  Message m = Message::methodCall(kBusName, kBusPath, kBusInterface, "ListNames");
  CNI_ASSIGN_OR_RETURN(Message reply, callChecked(std::move(m)));
  BodyReader r(reply);
  return r.stringArray();
}

Expected<uint32_t> Connection::requestName(std::string_view name) {
  Message m = Message::methodCall(kBusName, kBusPath, kBusInterface, "RequestName");
  BodyWriter().string(name).uint32(0x4).into(m);
  CNI_ASSIGN_OR_RETURN(Message reply, callChecked(std::move(m)));
  BodyReader r(reply);
  return r.uint32();
}

}  // namespace cni::dbus
