// plugins/meta/firewall_firewalld.cc — the "firewalld" backend: the pod's addresses become
// sources of a firewalld zone (default "trusted") over D-Bus (src/dbus), as the reference does:
//   ADD    org.fedoraproject.FirewallD1.zone.addSource(zone, "IP/32"|"IP/128") per address;
//          ZONE_ALREADY_SET (the address is already in that zone: a repeated ADD) is success.
//   DEL    removeSource per address; a bus or firewalld that is not there, and firewalld's
//          UNKNOWN_SOURCE / NOT_ENABLED answers, are success (nothing to remove). Other errors
//          surface (the reference ignores every error; we only ignore "already gone").
//   CHECK  querySource must answer true (the reference only checks that the call worked).
// The system bus is $DBUS_SYSTEM_BUS_ADDRESS or /var/run/dbus/system_bus_socket (godbus's
// default, the same socket as /run/dbus on every distribution with the /var/run symlink).
#include <chrono>
#include <cstdio>

#include "plugins/meta/firewall.h"
#include "src/dbus/connection.h"

namespace cni::plugins::firewall {
namespace {

constexpr std::string_view kFirewalldName = "org.fedoraproject.FirewallD1";
constexpr std::string_view kFirewalldPath = "/org/fedoraproject/FirewallD1";
constexpr std::string_view kZoneInterface = "org.fedoraproject.FirewallD1.zone";
constexpr auto kTimeout = std::chrono::seconds(10);

std::string sourceText(const IpAddress& ip) { return ip.str() + (ip.isV4() ? "/32" : "/128"); }

Expected<dbus::Connection> connect() {
  const std::string address = dbus::systemBusAddress();
  auto c = dbus::Connection::open(address, kTimeout);
  if (!c) {
    Error e = c.error();
    e.code = ErrorCode::kInternal;
    e.withContext("firewalld backend: cannot reach the system bus (" + dbus::socketPathOf(address) +
                  ")");
    return fail(std::move(e));
  }
  return c;
}

Expected<dbus::Message> zoneCall(dbus::Connection& conn, std::string_view member,
                                 std::string_view zone, const std::string& source) {
  dbus::Message m =
      dbus::Message::methodCall(kFirewalldName, kFirewalldPath, kZoneInterface, member);
  dbus::BodyWriter w;
  w.string(zone).string(source);
  w.into(m);
  return conn.call(std::move(m));
}

bool mentions(const dbus::RemoteError& e, std::string_view what) {
  return e.text.find(what) != std::string::npos || e.name.find(what) != std::string::npos;
}

}  // namespace

bool firewalldRunning() {
  auto conn = dbus::Connection::open(dbus::systemBusAddress(), std::chrono::seconds(2));
  if (!conn) return false;
  auto owned = conn->nameHasOwner(kFirewalldName);
  return owned && *owned;
}

Status firewalldAdd(const FirewallConf& c) {
  CNI_ASSIGN_OR_RETURN(dbus::Connection conn, connect());
  for (const IpAddress& ip : c.ips) {
    const std::string src = sourceText(ip);
    CNI_ASSIGN_OR_RETURN(dbus::Message reply, zoneCall(conn, "addSource", c.zone, src));
    if (reply.type != dbus::MessageType::kError) continue;
    dbus::RemoteError e = dbus::remoteError(reply);
    if (mentions(e, "ZONE_ALREADY_SET")) continue;
    return fail(ErrorCode::kInternal,
                "failed to add the address " + src + " to " + c.zone + " zone: " + e.text, e.name);
  }
  return {};
}

Status firewalldDel(const FirewallConf& c) {
  if (c.ips.empty()) return {};
  auto conn = connect();
  if (!conn) {
    // No bus, no firewalld: its runtime sources are gone with it.
    std::fprintf(stderr, "firewall: %s; nothing to remove\n", conn.error().toString().c_str());
    return {};
  }
  for (const IpAddress& ip : c.ips) {
    const std::string src = sourceText(ip);
    CNI_ASSIGN_OR_RETURN(dbus::Message reply, zoneCall(*conn, "removeSource", c.zone, src));
    if (reply.type != dbus::MessageType::kError) continue;
    dbus::RemoteError e = dbus::remoteError(reply);
    if (mentions(e, "UNKNOWN_SOURCE") || mentions(e, "NOT_ENABLED") ||
        mentions(e, "ServiceUnknown") || mentions(e, "NameHasNoOwner")) {
      continue;
    }
    return fail(ErrorCode::kInternal,
                "failed to remove the address " + src + " from " + c.zone + " zone: " + e.text,
                e.name);
  }
  return {};
}

Status firewalldCheck(const FirewallConf& c) {
  CNI_ASSIGN_OR_RETURN(dbus::Connection conn, connect());
  for (const IpAddress& ip : c.ips) {
    const std::string src = sourceText(ip);
    auto missing = [&] {
      return fail(ErrorCode::kInternal,
                  "failed to find the address " + src + " in " + c.zone + " zone");
    };
    CNI_ASSIGN_OR_RETURN(dbus::Message reply, zoneCall(conn, "querySource", c.zone, src));
    if (reply.type == dbus::MessageType::kError) return missing();
    dbus::BodyReader r(reply);
    auto found = r.boolean();
    if (!found || !*found) return missing();
  }
  return {};
}

}  // namespace cni::plugins::firewall
