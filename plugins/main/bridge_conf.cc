// plugins/main/bridge_conf.cc — decoding the bridge plugin's config (see bridge.h).
#include <algorithm>
#include <set>

#include "plugins/main/bridge.h"
#include "src/netlink/link_set.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/spec/cni_args.h"
#include "src/spec/go_json.h"

namespace cni::plugins::bridge {

using pluginkit::plainError;
namespace {

// Go's collectVlanTrunk: entries are {minID, maxID} ranges and/or single {id}s (1..4094),
// merged into a sorted set.
Expected<std::vector<int>> collectVlanTrunk(const Json& list) {
  if (!list.is_array()) {
    return fail(plainError(spec::goFieldTypeError(list, "NetConf.vlanTrunk", "[]*main.VlanTrunk")));
  }
  std::set<int> vlans;
  for (const Json& item : list) {
    if (item.is_null()) continue;
    if (!item.is_object()) {
      return fail(plainError(spec::goFieldTypeError(item, "NetConf.vlanTrunk", "main.VlanTrunk")));
    }
    pluginkit::FieldReader f(item, "VlanTrunk.vlanTrunk");
    std::optional<int> min_id, max_id, id;
    CNI_TRY(f.optionalInteger("minID", &min_id));
    CNI_TRY(f.optionalInteger("maxID", &max_id));
    CNI_TRY(f.optionalInteger("id", &id));
    if (min_id && max_id) {
      if (*min_id <= 0 || *min_id > 4094)
        return fail(plainError("incorrect trunk minID parameter"));
      if (*max_id <= 0 || *max_id > 4094)
        return fail(plainError("incorrect trunk maxID parameter"));
      if (*max_id < *min_id)
        return fail(plainError("minID is greater than maxID in trunk parameter"));
      for (int v = *min_id; v <= *max_id; ++v) vlans.insert(v);
    } else if (max_id) {
      return fail(
          plainError("minID and maxID should be configured simultaneously, minID is missing"));
    } else if (min_id) {
      return fail(
          plainError("minID and maxID should be configured simultaneously, maxID is missing"));
    }
    if (id) {
      if (*id <= 0 || *id > 4094) return fail(plainError("incorrect trunk id parameter"));
      vlans.insert(*id);
    }
  }
  return std::vector<int>(vlans.begin(), vlans.end());
}

Status decodeKeys(const Json& j, BridgeConf& c) {
  pluginkit::FieldReader f(j, "NetConf");
  CNI_TRY(f.string("bridge", &c.br_name));
  CNI_TRY(f.boolean("isGateway", &c.is_gw));
  CNI_TRY(f.boolean("isDefaultGateway", &c.is_default_gw));
  CNI_TRY(f.boolean("forceAddress", &c.force_address));
  CNI_TRY(f.boolean("ipMasq", &c.ip_masq));
  CNI_TRY(f.string("ipMasqBackend", &c.ip_masq_backend));
  CNI_TRY(f.integer("mtu", &c.mtu));
  CNI_TRY(f.boolean("hairpinMode", &c.hairpin));
  CNI_TRY(f.boolean("promiscMode", &c.promisc));
  CNI_TRY(f.integer("vlan", &c.vlan));
  CNI_TRY(f.boolean("preserveDefaultVlan", &c.preserve_default_vlan));
  CNI_TRY(f.boolean("macspoofchk", &c.macspoofchk));
  CNI_TRY(f.boolean("enabledad", &c.enable_dad));
  CNI_TRY(f.boolean("disableContainerInterface", &c.disable_container_interface));
  CNI_TRY(f.boolean("portIsolation", &c.port_isolation));
  return {};
}

// The MAC sources, weakest first: CNI_ARGS "MAC", args.cni.mac, runtimeConfig.mac.
Expected<std::string> macText(const Json& j, std::string_view cni_args) {
  std::string mac;
  if (!cni_args.empty()) {
    static constexpr std::string_view kKeys[] = {"MAC"};
    auto loaded = spec::loadArgs(cni_args, kKeys);
    if (!loaded) return fail(plainError(loaded.error().msg));
    if (const std::string* v = loaded->get("MAC"); v && !v->empty()) mac = *v;
  }
  if (const Json* args = spec::findKey(j, "args"); args && args->is_object()) {
    if (const Json* cni = spec::findKey(*args, "cni"); cni && cni->is_object()) {
      std::string v;
      CNI_TRY(pluginkit::FieldReader(*cni, "BridgeArgs.args.cni").string("mac", &v));
      if (!v.empty()) mac = v;
    }
  }
  if (const Json* rc = spec::findKey(j, "runtimeConfig"); rc && rc->is_object()) {
    std::string v;
    CNI_TRY(pluginkit::FieldReader(*rc, ".runtimeConfig").string("mac", &v));
    if (!v.empty()) mac = v;
  }
  return mac;
}

}  // namespace

Expected<BridgeConf> loadConf(std::string_view stdin_data, std::string_view cni_args) {
  BridgeConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError("failed to load netconf: " + net.error().msg));
  c.net = std::move(*net);
  if (Status s = decodeKeys(c.net.raw, c); !s) {
    return fail(plainError("failed to load netconf: " + s.error().msg));
  }
  // Go returns collectVlanTrunk's errors unwrapped.
  if (const Json* trunk = pluginkit::FieldReader(c.net.raw, "NetConf").raw("vlanTrunk")) {
    CNI_ASSIGN_OR_RETURN(c.trunk, collectVlanTrunk(*trunk));
  }
  if (c.vlan < 0 || c.vlan > 4094) {
    return fail(
        plainError("invalid VLAN ID " + std::to_string(c.vlan) + " (must be between 0 and 4094)"));
  }
  if (c.vlan > 0 && !c.trunk.empty()) {
    return fail(plainError("cannot set vlan and vlanTrunk at the same time"));
  }
  CNI_ASSIGN_OR_RETURN(c.mac_text, macText(c.net.raw, cni_args));
  if (!c.mac_text.empty()) {
    auto mac = netlink::parseMac(c.mac_text);
    if (!mac) return fail(plainError("failed to make veth pair: " + mac.error().msg));
    c.mac = std::move(*mac);
  }
  if (c.is_default_gw) c.is_gw = true;
  if (c.hairpin && c.promisc) {
    return fail(plainError("cannot set hairpin mode and promiscuous mode at the same time"));
  }
  if (c.disable_container_interface && c.layer3()) {
    return fail(plainError("cannot use IPAM when DisableContainerInterface flag is set"));
  }
  if (!c.ip_masq_backend.empty() && c.ip_masq_backend != "iptables" &&
      c.ip_masq_backend != "nftables") {
    return fail(plainError("unknown ipmasq backend \"" + c.ip_masq_backend + "\""));
  }
  c.dns = pluginkit::configDns(c.net.raw);
  c.valid_attachments = pluginkit::validAttachments(c.net.raw);
  return c;
}

}  // namespace cni::plugins::bridge
