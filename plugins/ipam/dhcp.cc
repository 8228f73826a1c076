// plugins/ipam/dhcp.cc — the dhcp IPAM plugin (reference doc §6.13): the CNI verbs forward the
// request to `dhcp daemon` (src/dhcp/daemon.h), which runs the DHCP client inside the pod's
// namespace and keeps the lease alive; the plugin only prints the answer.
//
//   ADD    -> daemon ADD; prints ips [{address, gateway}] + routes in the config's version
//   DEL    -> daemon DEL (releases the lease; an unknown lease is success)
//   CHECK  -> daemon CHECK (the lease must be held)
//   GC     -> daemon GC (releases this network's leases not in cni.dev/valid-attachments; the
//             reference v1.1.1 has no GC)
//   STATUS -> daemon STATUS: code 50 "plugin not available" when the daemon cannot be reached
// The socket is ipam.daemonSocketPath (default /run/cni/dhcp.sock). The daemon must be cnikit's
// own (`dhcp daemon`, same binary): the wire protocol is ours (src/dhcp/rpc.h), not the
// reference's Go net/rpc + gob. A daemon that cannot be reached is code 11 "try again later"
// (the reference reports 999 with the same text): the condition is transient — the daemon is
// starting or restarting — and 11 is the spec's code for "retry the operation later".
#include <filesystem>
#include <string>

#include "src/dhcp/rpc.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/skel.h"
#include "src/spec/go_json.h"
#include "src/spec/json.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::dhcp {

using pluginkit::plainError;
namespace {

struct Conf {
  std::string cni_version;
  std::string socket_path;
};

Expected<Conf> loadConf(std::string_view stdin_data) {
  if (auto syntax = spec::goJsonSyntaxError(stdin_data)) return fail(plainError(*syntax));
  CNI_ASSIGN_OR_RETURN(Json doc, spec::parseJson(stdin_data, "network configuration"));
  Conf c;
  if (const Json* v = spec::findKey(doc, "cniVersion"); v && v->is_string()) {
    c.cni_version = v->get<std::string>();
  }
  c.socket_path = std::string(cni::dhcp::kDefaultSocketPath);
  if (const Json* ipam = spec::findKey(doc, "ipam"); ipam && ipam->is_object()) {
    if (const Json* p = spec::findKey(*ipam, "daemonSocketPath"); p && p->is_string()) {
      if (!p->get_ref<const std::string&>().empty()) c.socket_path = p->get<std::string>();
    }
  }
  return c;
}

Expected<Json> rpc(std::string_view method, const skel::CmdArgs& args, const Conf& c) {
  // The daemon may run in another working directory: make the netns path absolute.
  std::string netns = args.netns;
  if (!netns.empty() && netns[0] != '/') {
    std::error_code ec;
    netns = std::filesystem::absolute(netns, ec).string();
  }
  Json req = {{"method", method},        {"containerID", args.container_id},
              {"netns", netns},          {"ifname", args.ifname},
              {"args", args.args},       {"path", args.path},
              {"stdin", args.stdin_data}};
  auto reply = cni::dhcp::call(c.socket_path, req);
  if (!reply && reply.error().code != ErrorCode::kTryAgainLater) {
    Error e = std::move(reply.error());
    // Errors of the daemon, worded like the reference's "error calling DHCP.Allocate: ...".
    e.withContext(std::string("error calling ") +
                  (method == "DEL" ? "DHCP.Release" : "DHCP.Allocate"));
    return fail(std::move(e));
  }
  return reply;
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(Conf c, loadConf(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(Json reply, rpc("ADD", args, c));
  const auto it = reply.find("result");
  if (it == reply.end()) return fail(plainError("DHCP daemon returned no result"));
  CNI_ASSIGN_OR_RETURN(spec::Result r, spec::resultFromJson(*it, "1.0.0"));
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(r, c.cni_version));
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(Conf c, loadConf(args.stdin_data));
  CNI_TRY(rpc("DEL", args, c));
  return {};
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(Conf c, loadConf(args.stdin_data));
  CNI_TRY(rpc("CHECK", args, c));
  return {};
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(Conf c, loadConf(args.stdin_data));
  CNI_TRY(rpc("GC", args, c));
  return {};
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(Conf c, loadConf(args.stdin_data));
  if (auto r = rpc("STATUS", args, c); !r) {
    return fail(ErrorCode::kPluginNotAvailable, r.error().msg);
  }
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "dhcp",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::dhcp
