// plugins/meta/firewall_conf.cc — the firewall plugin's config and the attachment comment.
//
// Keys (Go's FirewallNetConf, matched exactly then case-insensitively):
//   backend                 "iptables" | "firewalld" | "" / absent (auto: firewalld when its
//                           D-Bus name is owned, else iptables). The reference silently treats
//                           any other value as auto; we refuse it (code 7) — a typo must not
//                           silently pick a different firewall.
//   iptablesAdminChainName  default "CNI-ADMIN"; validated up front (iptables' 28-byte limit,
//                           no option-like or built-in names) instead of failing half-way.
//   firewalldZone           default "trusted".
//   ingressPolicy           "open" (default, also "") | "same-bridge" | "isolated" (the later
//                           reference's docker enable_icc=false equivalent). Unknown: code 7
//                           with the reference's text, checked before anything is changed.
// DEL decodes leniently (loadConf's `teardown`): those three values fall back to defaults, so a
// config ADD refused never blocks the runtime's cleanup of the rest of the chain.
#include <algorithm>
#include <cctype>

#include "plugins/meta/firewall.h"
#include "src/common/sha512.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/spec/json.h"
#include "src/spec/version.h"

namespace cni::plugins::firewall {
namespace {

using pluginkit::plainError;

Status validateChainName(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return fail(
        ErrorCode::kInvalidNetworkConfig,
        "invalid iptablesAdminChainName \"" + std::string(name) + "\": " + std::string(why));
  };
  if (name.size() > kMaxChainName) return bad("must be under 29 chars");
  if (name.starts_with("-") || name.starts_with("!")) return bad("must not start with - or !");
  for (char ch : name) {
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '"' || ch == '\'' ||
        !std::isprint(static_cast<unsigned char>(ch))) {
      return bad("must not contain spaces, quotes or control characters");
    }
  }
  for (std::string_view reserved :
       {"INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING", "ACCEPT", "DROP", "RETURN",
        "QUEUE", "CNI-FORWARD", "CNI-ISOLATION-STAGE-1", "CNI-ISOLATION-STAGE-2"}) {
    if (name == reserved) return bad("is a built-in or plugin chain");
  }
  return {};
}

}  // namespace

Expected<FirewallConf> loadConf(std::string_view stdin_data, bool teardown) {
  FirewallConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError(net.error()).withContext("failed to load netconf"));
  c.net = std::move(*net);
  pluginkit::FieldReader f(c.net.raw, "FirewallNetConf");
  std::string backend, admin, zone, ingress;
  Status s = f.string("backend", &backend);
  if (s) s = f.string("iptablesAdminChainName", &admin);
  if (s) s = f.string("firewalldZone", &zone);
  if (s) s = f.string("ingressPolicy", &ingress);
  if (!s) return fail(plainError(s.error()).withContext("failed to load netconf"));

  if (backend == "iptables") {
    c.backend = Backend::kIptables;
  } else if (backend == "firewalld") {
    c.backend = Backend::kFirewalld;
  } else if (!backend.empty() && !teardown) {
    return fail(ErrorCode::kInvalidNetworkConfig, "unknown firewall backend: \"" + backend + "\"",
                "valid backends are \"iptables\" and \"firewalld\" (or none: auto-detect)");
  }
  if (!admin.empty()) {
    Status valid = validateChainName(admin);
    if (!valid && !teardown) return fail(valid.error());
    if (valid) c.admin_chain = admin;
  }
  if (!zone.empty()) c.zone = zone;
  if (ingress.empty() || ingress == "open") {
    c.ingress = IngressPolicy::kOpen;
  } else if (ingress == "same-bridge") {
    c.ingress = IngressPolicy::kSameBridge;
  } else if (ingress == "isolated") {
    c.ingress = IngressPolicy::kIsolated;
  } else if (!teardown) {
    return fail(ErrorCode::kInvalidNetworkConfig, "unknown ingress policy: \"" + ingress + "\"");
  }
  c.valid_attachments = pluginkit::validAttachments(c.net.raw);

  if (c.net.has_prev_result) {
    auto prev = spec::parsePrevResult(c.net.raw);
    if (!prev) return fail(plainError(prev.error()).withContext("could not parse prevResult"));
    c.prev = std::move(*prev);
  }
  if (c.prev) {
    auto cur = spec::convertResult(*c.prev, spec::kCurrentVersion);
    if (!cur) {
      return fail(
          plainError(cur.error()).withContext("could not convert result to current version"));
    }
    for (const spec::IpConfig& ipc : cur->ips) {
      auto p = IpPrefix::parse(ipc.address);
      if (p) c.ips.push_back(p->address().unmapped());
    }
    if (!cur->interfaces.empty()) c.bridge = cur->interfaces.front().name;
  }
  return c;
}

std::string attachmentComment(std::string_view network, std::string_view container_id,
                              std::string_view ifname) {
  const std::string tail = " id=" + std::string(container_id) + " if=" + std::string(ifname);
  std::string c = "cnikit firewall: net=" + std::string(network) + tail;
  if (c.size() <= 255) return c;
  c = "cnikit firewall: net#" + sha512Hex(network).substr(0, 16) + tail;
  if (c.size() > 255) c.resize(255);
  return c;
}

std::vector<std::string> attachmentPrefixes(std::string_view network) {
  return {"cnikit firewall: net=" + std::string(network) + " id=",
          "cnikit firewall: net#" + sha512Hex(network).substr(0, 16) + " id="};
}

}  // namespace cni::plugins::firewall
