// src/dbus/connection.h — a minimal D-Bus client connection (unix socket, blocking, one thread).
//
// open() connects to a bus address, authenticates with SASL EXTERNAL (our uid, hex-encoded
// decimal, as every libdbus client does), sends BEGIN and calls org.freedesktop.DBus.Hello to
// get a unique name. After that, call() sends a method call and waits for its reply; messages
// that arrive meanwhile (signals, calls to us) are queued for receive(). Every wait is bounded
// by the connection's timeout, so a wedged daemon never hangs a CNI plugin.
//
// Addresses: "unix:path=/run/dbus/system_bus_socket" or "unix:abstract=name", several
// separated by ';' (tried in order), values %-escaped as the spec says. systemBusAddress()
// is $DBUS_SYSTEM_BUS_ADDRESS or the spec's default, the way libdbus and godbus pick it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/unique_fd.h"
#include "src/dbus/message.h"

namespace cni::dbus {

inline constexpr std::string_view kDefaultSystemBusAddress =
    "unix:path=/var/run/dbus/system_bus_socket";
inline constexpr std::string_view kBusName = "org.freedesktop.DBus";
inline constexpr std::string_view kBusPath = "/org/freedesktop/DBus";
inline constexpr std::string_view kBusInterface = "org.freedesktop.DBus";

// $DBUS_SYSTEM_BUS_ADDRESS when set and non-empty, else kDefaultSystemBusAddress.
std::string systemBusAddress();

// The socket path (or "@name" for an abstract socket) of the first unix address in `address`;
// empty when there is none. For messages and for "is the bus there at all" checks.
std::string socketPathOf(std::string_view address);

// A D-Bus error reply, kept apart from transport failures so callers can tolerate some names.
struct RemoteError {
  std::string name;  // "org.freedesktop.DBus.Error.ServiceUnknown", ...
  std::string text;
};

class Connection {
 public:
  // Connects, authenticates and says Hello. Errors: kIoFailure with the socket path when the
  // bus cannot be reached (errno text, e.g. "No such file or directory"), kInternal otherwise.
  static Expected<Connection> open(std::string_view address,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  const std::string& uniqueName() const { return unique_name_; }

  // Stamps a serial on `m` and sends it; returns the serial.
  Expected<uint32_t> send(Message m);
  // Sends a method call and waits for its reply: a method return, or an error reply (returned
  // as a Message of type kError: see remoteError()).
  Expected<Message> call(Message m);
  // The next message not consumed by call() (waits up to the timeout; kTryAgainLater on
  // timeout).
  Expected<Message> receive();
  // As receive(), with an explicit wait.
  Expected<Message> receive(std::chrono::milliseconds wait);

  // org.freedesktop.DBus helpers (errors from the daemon become kInternal errors).
  Expected<bool> nameHasOwner(std::string_view name);
  Expected<std::vector<std::string>> listNames();
  // RequestName with flags 0x4 (DO_NOT_QUEUE); returns the daemon's answer (1 = primary owner).
  Expected<uint32_t> requestName(std::string_view name);

 private:
  Connection(UniqueFd fd, std::chrono::milliseconds timeout)
      : fd_(std::move(fd)), timeout_(timeout) {}

  Status authenticate();
  Expected<std::string> readLine(std::chrono::steady_clock::time_point deadline);
  Status writeAll(std::span<const uint8_t> bytes);
  // Reads one whole message from the socket (no queue), waiting until `deadline`.
  Expected<Message> readMessage(std::chrono::steady_clock::time_point deadline);
  // call() that turns an error reply into an Error.
  Expected<Message> callChecked(Message m);

  UniqueFd fd_;
  std::chrono::milliseconds timeout_;
  uint32_t next_serial_ = 1;
  std::string unique_name_;
  std::vector<uint8_t> inbuf_;
  std::deque<Message> queue_;
};

// The name and text of an error reply (for logging and tolerating specific errors).
RemoteError remoteError(const Message& reply);

}  // namespace cni::dbus
