// plugins/meta/firewall.cc — the firewall meta plugin (reference doc §6.16): lets a chained pod's
// traffic through the node's firewall. Spec versions 0.4.0, 1.0.0 and 1.1.0 (the reference
// refuses anything before 0.4.0 and, at v1.1.1, 1.1.0 too).
//
//   ADD    requires prevResult ("missing prevResult from earlier plugin", 999). Config is fully
//          validated first (unknown ingressPolicy/backend: code 7, nothing changed). Backend
//          iptables: firewall_iptables.cc; firewalld: zone sources over D-Bus, plus the
//          isolation chains when an ingress policy asks for them (raw rules, as the reference).
//          Prints prevResult in the config's version.
//   DEL    never needs prevResult: this attachment's rules are found by comment (and the
//          reference's rules by the prevResult IPs when given). The nftables cleanup runs
//          whatever the backend, so an attachment added while firewalld was down is not leaked
//          once it is up. Missing tables, chains, bus or firewalld = success.
//   CHECK  requires prevResult; every rule (or zone source) for its addresses must be there.
//   GC     removes this network's per-IP rules of attachments not in cni.dev/valid-attachments.
//   STATUS explicit "firewalld" whose D-Bus name has no owner: code 50; otherwise ready.
#include "plugins/meta/firewall.h"

#include <array>
#include <string_view>

#include "src/skel/skel.h"
#include "src/spec/version.h"

namespace cni::plugins::firewall {
namespace {

constexpr std::array<std::string_view, 3> kVersions = {"0.4.0", "1.0.0", "1.1.0"};

Expected<Backend> chooseBackend(const FirewallConf& c) {
  if (c.backend != Backend::kAuto) return c.backend;
  return firewalldRunning() ? Backend::kFirewalld : Backend::kIptables;
}

std::string_view policyName(IngressPolicy p) {
  return p == IngressPolicy::kIsolated ? "isolated" : "same-bridge";
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(FirewallConf c, loadConf(args.stdin_data));
  if (!c.prev) return fail(ErrorCode::kInternal, "missing prevResult from earlier plugin");
  if (c.ingress != IngressPolicy::kOpen && c.bridge.empty()) {
    return fail(ErrorCode::kInvalidNetworkConfig,
                "interface needs to be set for ingress policy \"" +
                    std::string(policyName(c.ingress)) +
                    "\", make sure to chain \"firewall\" plugin with \"bridge\"");
  }
  CNI_ASSIGN_OR_RETURN(Backend backend, chooseBackend(c));
  if (backend == Backend::kIptables) {
    CNI_TRY(iptablesAdd(c, attachmentComment(c.net.name, args.container_id, args.ifname)));
  } else {
    CNI_TRY(firewalldAdd(c));
    CNI_TRY(setupIngressPolicy(c));
  }
  // As Go: prevResult -> current version -> the config's version (which also fills in what the
  // older shape needs, e.g. 0.4.0's ips[].version).
  CNI_ASSIGN_OR_RETURN(spec::Result cur, spec::convertResult(*c.prev, spec::kCurrentVersion));
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(cur, c.net.cni_version));
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(FirewallConf c, loadConf(args.stdin_data, /*teardown=*/true));
  CNI_TRY(iptablesDel(c, attachmentComment(c.net.name, args.container_id, args.ifname)));
  CNI_ASSIGN_OR_RETURN(Backend backend, chooseBackend(c));
  if (backend == Backend::kFirewalld) CNI_TRY(firewalldDel(c));
  return {};
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(FirewallConf c, loadConf(args.stdin_data));
  if (!c.prev) return fail(ErrorCode::kInternal, "missing prevResult from earlier plugin");
  CNI_ASSIGN_OR_RETURN(Backend backend, chooseBackend(c));
  if (backend == Backend::kFirewalld) return firewalldCheck(c);
  return iptablesCheck(c, attachmentComment(c.net.name, args.container_id, args.ifname));
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(FirewallConf c, loadConf(args.stdin_data));
  return iptablesGc(c);
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(FirewallConf c, loadConf(args.stdin_data));
  if (c.backend == Backend::kFirewalld && !firewalldRunning()) {
    return fail(ErrorCode::kPluginNotAvailable, "firewalld is not running",
                "org.fedoraproject.FirewallD1 has no owner on the system bus");
  }
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "firewall",
    .versions = kVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::firewall
