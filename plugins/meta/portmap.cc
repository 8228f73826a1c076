// plugins/meta/portmap.cc — the portmap meta plugin (reference doc §6.14): host ports DNATed to
// the pod, from runtimeConfig.portMappings, in nftables (layout and key handling: portmap.h,
// portmap_conf.cc). Chained after an interface plugin: it reads the pod's addresses from
// prevResult and passes that result through.
//
//   ADD    requires prevResult ("must be called as chained plugin"); no mappings = pass-through.
//          Per family with a pod address: one batch (tables, chains, jumps, this attachment's
//          DNAT + masquerade rules), route_localnet on the pod's host interface (v4 + snat),
//          then stale UDP conntrack entries of the mapped host ports are deleted (best effort,
//          as in Go: otherwise a client that sent before the rule existed stays un-NATed).
//          A failure in the second family removes what the first one added.
//   DEL    removes the attachment's rules by comment in both families — no runtimeConfig or
//          prevResult needed (containerd's second DEL has neither) — plus the Go plugin's rules
//          for this container ID. Nothing there = success, nothing sent.
//   CHECK  requires prevResult; every rule ADD would add is present, and the entry jumps.
//   GC     removes this network's rules of attachments not in cni.dev/valid-attachments.
//   STATUS always ready (no daemon, no IPAM).
#include "plugins/meta/portmap.h"

#include <netinet/in.h>

#include <cstdio>

#include "src/common/scope_guard.h"
#include "src/nft/conntrack.h"
#include "src/nft/nfsocket.h"
#include "src/skel/skel.h"
#include "src/spec/version.h"

namespace cni::plugins::portmap {
namespace {

Expected<PortMapConf> parseConfig(const skel::CmdArgs& args, std::string_view verb_prefix) {
  auto c = loadConf(args.stdin_data, args.ifname);
  if (!c && !verb_prefix.empty()) {
    Error e = std::move(c.error());
    e.withContext(verb_prefix);
    return fail(std::move(e));
  }
  return c;
}

Expected<std::string> passThrough(const PortMapConf& c) {
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(*c.prev, c.net.cni_version));
  return spec::encodeResult(out);
}

// Go logs and carries on: a stale entry only delays the mapping until it times out.
void flushStaleUdp(const PortMapConf& c, IpFamily family) {
  for (const PortMapping& m : c.mappings) {
    if (m.proto != IPPROTO_UDP) continue;
    auto r = nft::deleteConntrackByDport(family, IPPROTO_UDP, static_cast<uint16_t>(m.host_port));
    if (!r) {
      std::fprintf(stderr,
                   "portmap: failed to delete stale UDP conntrack entries for port %d: %s\n",
                   m.host_port, r.error().toString().c_str());
    }
  }
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PortMapConf c, parseConfig(args, "failed to parse config"));
  if (!c.prev) return fail(ErrorCode::kInternal, "must be called as chained plugin");
  if (c.mappings.empty()) return passThrough(c);

  const std::string comment = ruleComment(c.net.name, args.container_id, args.ifname);
  CNI_ASSIGN_OR_RETURN(nft::NfSocket sock, nft::NfSocket::open());
  bool added = false;
  ScopeGuard undo([&] {
    if (added) (void)unforwardPorts(sock, comment, {});
  });
  for (const auto* container : {&c.container_v4, &c.container_v6}) {
    if (!*container) continue;
    added = true;
    CNI_TRY(forwardPorts(sock, c, **container, comment));
    if ((*container)->isV4() && c.snat) CNI_TRY(enableLocalnetRouting((*container)->address()));
    flushStaleUdp(c, (*container)->family());
  }
  CNI_ASSIGN_OR_RETURN(std::string out, passThrough(c));
  undo.dismiss();
  return out;
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PortMapConf c, parseConfig(args, "failed to parse config"));
  CNI_ASSIGN_OR_RETURN(nft::NfSocket sock, nft::NfSocket::open());
  CNI_ASSIGN_OR_RETURN(size_t removed,
                       unforwardPorts(sock, ruleComment(c.net.name, args.container_id, args.ifname),
                                      args.container_id));
  (void)removed;
  return {};
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PortMapConf c, parseConfig(args, {}));
  if (!c.prev) return fail(ErrorCode::kInternal, "Required prevResult missing");
  if (c.mappings.empty()) return {};
  const std::string comment = ruleComment(c.net.name, args.container_id, args.ifname);
  CNI_ASSIGN_OR_RETURN(nft::NfSocket sock, nft::NfSocket::open());
  for (const auto* container : {&c.container_v4, &c.container_v6}) {
    if (*container) CNI_TRY(checkPorts(sock, c, **container, comment));
  }
  return {};
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PortMapConf c, parseConfig(args, "failed to parse config"));
  CNI_ASSIGN_OR_RETURN(nft::NfSocket sock, nft::NfSocket::open());
  CNI_ASSIGN_OR_RETURN(size_t removed, gcPorts(sock, c.net.name, c.valid_attachments));
  (void)removed;
  return {};
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(PortMapConf c, parseConfig(args, {}));
  (void)c;
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "portmap",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::portmap
