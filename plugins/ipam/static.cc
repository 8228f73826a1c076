// plugins/ipam/static.cc — the static IPAM plugin (reference doc §6.12): hands out exactly the
// addresses it is given.
//
// Sources, in Go's order: `ipam.addresses` [{address, gateway}]; CNI_ARGS `IP=a/n,b/m` appended
// and `GATEWAY=x,y` assigned to every address whose subnet contains it; `args.cni.ips` replaces
// the list; `runtimeConfig.ips` replaces it again (highest precedence). More than one address per
// family needs cniVersion >= 0.3.0. ADD prints ips/routes/dns; DEL does nothing (not even config
// validation, as in Go); CHECK verifies that every configured address (and its gateway, if any) is
// in prevResult.
#include <string>
#include <vector>

#include "src/common/ip.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/skel.h"
#include "src/spec/cni_args.h"
#include "src/spec/go_json.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::static_ipam {

using pluginkit::plainError;
namespace {

struct Address {
  std::string text;  // as given (Go's AddressStr)
  IpPrefix prefix;
  std::optional<IpAddress> gateway;
};

struct StaticConf {
  std::string cni_version;
  std::vector<Address> addresses;
  std::vector<spec::Route> routes;
  spec::Dns dns;
  Json raw;
};

std::string trimSpace(std::string_view s) {
  constexpr std::string_view kWs = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(kWs);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(kWs) - b + 1));
}

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(',', start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

// A list of CIDR strings replacing the addresses (args.cni.ips / runtimeConfig.ips).
Expected<std::vector<Address>> cidrList(const Json& v) {
  std::vector<Address> out;
  if (!v.is_array()) return fail(plainError(spec::goValueTypeError(v, "[]string")));
  for (const Json& e : v) {
    if (!e.is_string()) return fail(plainError(spec::goValueTypeError(e, "string")));
    std::string s = e.get<std::string>();
    if (!IpPrefix::parse(s)) {
      return fail(
          plainError("an entry in the 'ips' field is NOT in CIDR notation, got: '" + s + "'"));
    }
    out.push_back(Address{.text = s});
  }
  return out;
}

Expected<StaticConf> loadConf(std::string_view stdin_data, std::string_view env_args) {
  if (auto syntax = spec::goJsonSyntaxError(stdin_data)) return fail(plainError(*syntax));
  CNI_ASSIGN_OR_RETURN(Json doc, spec::parseJson(stdin_data, "network configuration"));
  StaticConf c;
  if (const Json* v = spec::findKey(doc, "cniVersion"); v && v->is_string()) {
    c.cni_version = v->get<std::string>();
  }
  const Json* ipam = spec::findKey(doc, "ipam");
  if (!ipam || ipam->is_null()) return fail(plainError("IPAM config missing 'ipam' key"));
  if (!ipam->is_object()) {
    return fail(plainError(spec::goFieldTypeError(*ipam, "Net.ipam", "main.IPAMConfig")));
  }
  // routes and dns decode with the result codec (Go's types.Route / types.DNS).
  Json shaped = {{"cniVersion", std::string(spec::kCurrentVersion)}};
  if (const Json* r = spec::findKey(*ipam, "routes"); r && !r->is_null()) shaped["routes"] = *r;
  if (const Json* d = spec::findKey(*ipam, "dns"); d && !d->is_null()) shaped["dns"] = *d;
  auto decoded = spec::resultFromJson(shaped, spec::kCurrentVersion);
  if (!decoded) return fail(plainError(decoded.error().msg));
  c.routes = decoded->routes;
  c.dns = decoded->dns;
  if (const Json* a = spec::findKey(*ipam, "addresses"); a && !a->is_null()) {
    if (!a->is_array()) return fail(plainError(spec::goValueTypeError(*a, "[]main.Address")));
    for (const Json& e : *a) {
      Address addr;
      if (const Json* s = spec::findKey(e, "address"); s && s->is_string()) {
        addr.text = s->get<std::string>();
      }
      if (const Json* g = spec::findKey(e, "gateway"); g && g->is_string() && !g->empty()) {
        const std::string& gs = g->get_ref<const std::string&>();
        if (!gs.empty()) {
          auto ip = IpAddress::parse(gs);
          if (!ip) return fail(plainError("invalid IP address: " + gs));
          addr.gateway = *ip;
        }
      }
      c.addresses.push_back(std::move(addr));
    }
  }
  if (!env_args.empty()) {
    static constexpr std::string_view kKeys[] = {"IP", "GATEWAY"};
    auto loaded = spec::loadArgs(env_args, kKeys);
    if (!loaded) return fail(plainError(loaded.error().msg));
    if (const std::string* ips = loaded->get("IP"); ips && !ips->empty()) {
      for (const std::string& item : splitComma(*ips)) {
        std::string s = trimSpace(item);
        auto p = IpPrefix::parse(s);
        if (!p) {
          return fail(
              plainError("the 'ip' field is expected to be in CIDR notation, got: '" + s + "'"));
        }
        c.addresses.push_back(Address{.text = s});
      }
    }
    if (const std::string* gws = loaded->get("GATEWAY"); gws && !gws->empty()) {
      for (const std::string& item : splitComma(*gws)) {
        auto gw = IpAddress::parse(trimSpace(item));
        if (!gw) return fail(plainError("invalid gateway address: " + item));
        for (Address& a : c.addresses) {
          auto p = IpPrefix::parse(a.text);
          if (p && p->network().contains(*gw)) a.gateway = *gw;
        }
      }
    }
  }
  if (const Json* args = spec::findKey(doc, "args"); args && args->is_object()) {
    if (const Json* cni = spec::findKey(*args, "cni"); cni && cni->is_object()) {
      if (const Json* ips = spec::findKey(*cni, "ips"); ips && ips->is_array() && !ips->empty()) {
        CNI_ASSIGN_OR_RETURN(c.addresses, cidrList(*ips));
      }
    }
  }
  if (const Json* rc = spec::findKey(doc, "runtimeConfig"); rc && rc->is_object()) {
    if (const Json* ips = spec::findKey(*rc, "ips"); ips && ips->is_array() && !ips->empty()) {
      CNI_ASSIGN_OR_RETURN(c.addresses, cidrList(*ips));
    }
  }
  int v4 = 0;
  int v6 = 0;
  for (Address& a : c.addresses) {
    auto p = IpPrefix::parse(a.text);
    if (!p) {
      return fail(plainError("the 'address' field is expected to be in CIDR notation, got: '" +
                             a.text + "'"));
    }
    a.prefix = *p;
    (p->address().isV4Like() ? v4 : v6)++;
  }
  if (v4 > 1 || v6 > 1) {
    auto ok = spec::versionAtLeast(c.cni_version, "0.3.0");
    if (!ok || !*ok) {
      return fail(plainError("CNI version " + c.cni_version +
                             " does not support more than 1 address per family"));
    }
  }
  c.raw = std::move(doc);
  return c;
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(StaticConf conf, loadConf(args.stdin_data, args.args));
  spec::Result r;
  r.cni_version = std::string(spec::kCurrentVersion);
  r.dns = conf.dns;
  r.routes = conf.routes;
  for (const Address& a : conf.addresses) {
    r.ips.push_back(spec::IpConfig{.address = a.prefix.str(),
                                   .gateway = a.gateway ? a.gateway->str() : std::string()});
  }
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(r, conf.cni_version));
  return spec::encodeResult(out);
}

// The reference's DEL does not even parse the config: nothing was allocated, nothing to undo.
Status cmdDel(const skel::CmdArgs&) { return {}; }

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(StaticConf conf, loadConf(args.stdin_data, args.args));
  const Json* prev_raw = spec::findKey(conf.raw, "prevResult");
  if (!prev_raw || prev_raw->is_null()) return fail(plainError("Required prevResult missing"));
  CNI_ASSIGN_OR_RETURN(std::optional<spec::Result> prev, spec::parsePrevResult(conf.raw));
  CNI_ASSIGN_OR_RETURN(spec::Result cur, spec::convertResult(*prev, spec::kCurrentVersion));
  for (const Address& a : conf.addresses) {
    for (const spec::IpConfig& ip : cur.ips) {
      auto p = IpPrefix::parse(ip.address);
      if (!p || p->address().unmapped() != a.prefix.address().unmapped()) continue;
      if (!a.gateway) break;
      auto gw = IpAddress::parse(ip.gateway);
      if (gw && gw->unmapped() == a.gateway->unmapped()) break;
      return fail(plainError("static: Failed to match addr " + p->address().str() +
                             " on interface " + args.ifname));
    }
  }
  return {};
}

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "static",
    .versions = spec::kAllVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
};

}  // namespace cni::plugins::static_ipam
