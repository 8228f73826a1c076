// tests/unit/dbus/private_bus.h — a private, system-like dbus-daemon for tests.
//
// Writes a minimal bus config (EXTERNAL auth, a unix *path* socket in a temp dir so that any
// network namespace reaches it, everyone may own any name and send anything), starts
// `dbus-daemon --config-file=... --nofork --print-address` and reads the address it prints.
// The daemon is ours: it is stopped (SIGTERM to its pid, then reaped) when the PrivateBus goes.
// Header-only so that the plugin tests (tests/netns/firewall_test.cc) can use it too.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "tests/testutil/temp_dir.h"

extern char** environ;

namespace cni::testutil {

class PrivateBus {
 public:
  PrivateBus() {
    socket_ = (dir_.path() / "system_bus_socket").string();
    const auto conf = dir_.write("bus.conf",
                                 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
                                 "Configuration 1.0//EN\"\n"
                                 " \"http://www.freedesktop.org/standards/dbus/1.0/"
                                 "busconfig.dtd\">\n"
                                 "<busconfig>\n"
                                 "  <listen>unix:path=" +
                                     socket_ +
                                     "</listen>\n"
                                     "  <auth>EXTERNAL</auth>\n"
                                     "  <policy context=\"default\">\n"
                                     "    <allow user=\"*\"/>\n"
                                     "    <allow own=\"*\"/>\n"
                                     "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                                     "    <allow eavesdrop=\"true\"/>\n"
                                     "  </policy>\n"
                                     "</busconfig>\n");
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    const std::string conf_arg = "--config-file=" + conf.string();
    char* argv[] = {const_cast<char*>("dbus-daemon"), const_cast<char*>(conf_arg.c_str()),
                    const_cast<char*>("--nofork"), const_cast<char*>("--print-address"), nullptr};
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, "dbus-daemon", &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(p[1]);
    if (rc != 0) {
      ::close(p[0]);
      return;
    }
    pid_ = pid;
    std::string line;
    for (;;) {
      pollfd pf{p[0], POLLIN, 0};
      if (::poll(&pf, 1, 5000) <= 0) break;
      char ch;
      if (::read(p[0], &ch, 1) != 1 || ch == '\n') break;
      line += ch;
    }
    ::close(p[0]);
    address_ = line;
  }
  ~PrivateBus() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  bool ok() const { return pid_ > 0 && !address_.empty(); }
  // As the daemon printed it: "unix:path=/tmp/.../system_bus_socket,guid=...".
  const std::string& address() const { return address_; }
  const std::string& socketPath() const { return socket_; }

 private:
  TempDir dir_;
  std::string socket_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace cni::testutil
