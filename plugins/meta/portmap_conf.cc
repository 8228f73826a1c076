// plugins/meta/portmap_conf.cc — portmap's config: plugin keys, runtimeConfig.portMappings and
// the container addresses picked from prevResult (see portmap.h).
//
// Keys match exactly, then case-insensitively, as Go's decoder does: containerd sends
// {"HostPort","ContainerPort","Protocol","HostIP"}, podman lower camel case.
//
// The iptables backend's keys, served by nftables here:
//   markMasqBit           accepted and validated as the Go plugin does (0..31, exclusive with
//                         externalSetMarkChain); unused: masquerading needs no packet mark.
//   externalSetMarkChain  accepted; unused: our own masquerade rules do what the external
//                         chain (e.g. KUBE-MARK-MASQ) was asked to arrange.
//   conditionsV4/V6       refused when non-empty (code 2): they are raw iptables/nft match text
//                         and we program nftables through netlink, without a rule parser.
//   backend               "", "iptables" or "nftables": all served by the nftables rules.
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

#include "plugins/meta/portmap.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/spec/json.h"
#include "src/spec/version.h"

namespace cni::plugins::portmap {
namespace {

using pluginkit::plainError;

Expected<uint8_t> parseProtocol(std::string_view text) {
  std::string p(text);
  std::ranges::transform(p, p.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (p == "tcp") return uint8_t{IPPROTO_TCP};
  if (p == "udp") return uint8_t{IPPROTO_UDP};
  if (p == "sctp") return uint8_t{IPPROTO_SCTP};
  return fail(ErrorCode::kInternal,
              "Invalid protocol: \"" + std::string(text) + "\" (want tcp, udp or sctp)");
}

Status loadMappings(const Json& raw, std::vector<PortMapping>* out) {
  const Json* rc = spec::findKey(raw, "runtimeConfig");
  if (!rc || rc->is_null()) return {};
  pluginkit::FieldReader rcf(*rc, "PortMapConf.runtimeConfig");
  if (!rc->is_object()) return fail(plainError(rcf.typeError(*rc, "runtimeConfig", "struct")));
  const Json* pms = rcf.raw("portMappings");
  if (!pms) return {};
  if (!pms->is_array()) {
    return fail(plainError(rcf.typeError(*pms, "portMappings", "[]main.PortMapEntry")));
  }
  for (const Json& e : *pms) {
    pluginkit::FieldReader f(e, "PortMapEntry");
    if (!e.is_object())
      return fail(plainError(rcf.typeError(e, "portMappings", "main.PortMapEntry")));
    PortMapping m;
    std::string protocol, host_ip;
    Status s = f.integer("hostPort", &m.host_port);
    if (s) s = f.integer("containerPort", &m.container_port);
    if (s) s = f.string("protocol", &protocol);
    if (s) s = f.string("hostIP", &host_ip);
    if (!s) return fail(plainError(s.error()));
    // The Go plugin checks only > 0 and lets iptables refuse the rest; we refuse up front.
    if (m.container_port <= 0 || m.container_port > 65535) {
      return fail(ErrorCode::kInternal,
                  "Invalid container port number: " + std::to_string(m.container_port));
    }
    if (m.host_port <= 0 || m.host_port > 65535) {
      return fail(ErrorCode::kInternal, "Invalid host port number: " + std::to_string(m.host_port));
    }
    CNI_ASSIGN_OR_RETURN(m.proto, parseProtocol(protocol));
    if (!host_ip.empty()) {
      auto ip = IpAddress::parse(host_ip);
      if (!ip) return fail(ErrorCode::kInternal, "Invalid host IP: \"" + host_ip + "\"");
      m.host_ip = ip->unmapped();
    }
    out->push_back(m);
  }
  return {};
}

// Go's *[]string conditions: null/absent/[] fine, strings refused (we cannot apply them).
Status refuseConditions(const pluginkit::FieldReader& f, std::string_view key) {
  const Json* v = f.raw(key);
  if (!v) return {};
  if (!v->is_array()) return fail(plainError(f.typeError(*v, key, "[]string")));
  for (const Json& item : *v) {
    if (!item.is_string()) return fail(plainError(f.typeError(item, key, "string")));
  }
  if (v->empty()) return {};
  return fail(ErrorCode::kUnsupportedField,
              "portmap: \"" + std::string(key) + "\" is not supported",
              "cnikit's portmap programs nftables over netlink and cannot apply raw "
              "iptables/nft match conditions; remove the key or filter traffic in another table");
}

}  // namespace

Expected<PortMapConf> loadConf(std::string_view stdin_data, std::string_view ifname) {
  PortMapConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError(net.error()));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "PortMapConf");
  std::optional<int> mark_bit;
  std::optional<std::string> external_chain;
  std::string backend;
  Status s = f.boolean("snat", &c.snat);
  if (s) s = f.boolean("masqAll", &c.masq_all);
  if (s) s = f.optionalInteger("markMasqBit", &mark_bit);
  if (s) s = f.optionalString("externalSetMarkChain", &external_chain);
  if (s) s = f.string("backend", &backend);
  if (!s) return fail(plainError(s.error()).withContext("failed to parse network configuration"));
  CNI_TRY(refuseConditions(f, "conditionsV4"));
  CNI_TRY(refuseConditions(f, "conditionsV6"));
  if (!backend.empty() && backend != "iptables" && backend != "nftables") {
    return fail(ErrorCode::kInternal, "unknown portmap backend \"" + backend + "\"");
  }
  if (mark_bit && external_chain) {
    return fail(ErrorCode::kInternal, "Cannot specify externalSetMarkChain and markMasqBit");
  }
  if (mark_bit && (*mark_bit < 0 || *mark_bit > 31)) {
    return fail(ErrorCode::kInternal, "MasqMarkBit must be between 0 and 31");
  }
  CNI_TRY(loadMappings(c.net.raw, &c.mappings));
  c.valid_attachments = pluginkit::validAttachments(c.net.raw);

  if (c.net.has_prev_result) {
    CNI_ASSIGN_OR_RETURN(c.prev, spec::parsePrevResult(c.net.raw));
    if (c.prev) {
      auto cur = spec::convertResult(*c.prev, spec::kCurrentVersion);
      if (!cur) {
        return fail(
            plainError(cur.error()).withContext("could not convert result to current version"));
      }
      for (const spec::IpConfig& ipc : cur->ips) {
        auto addr = IpPrefix::parse(ipc.address);
        if (!addr) continue;
        auto& slot = addr->isV4() ? c.container_v4 : c.container_v6;
        if (slot) continue;
        // Skip addresses known to be on another (or a host) interface.
        if (ipc.interface && *ipc.interface >= 0 &&
            static_cast<size_t>(*ipc.interface) < cur->interfaces.size()) {
          const spec::Interface& intf = cur->interfaces[*ipc.interface];
          if (intf.name != ifname || intf.sandbox.empty()) continue;
        }
        slot = *addr;
      }
    }
  }
  return c;
}

std::string ruleComment(std::string_view network, std::string_view container_id,
                        std::string_view ifname) {
  return pluginkit::hostportRuleComment(network, container_id, ifname);
}

}  // namespace cni::plugins::portmap
