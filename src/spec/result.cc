// src/spec/result.cc — decoding and encoding of CNI results in Go's three shapes (see result.h).
//
// Decoding follows encoding/json as the Go structs see it: keys matched case-insensitively
// (findKey), unknown keys ignored, `null` leaves a field at its zero value, a wrong JSON type is an
// error, and address fields are types.IPNet / net.IP, so bad text fails with Go's
// "invalid CIDR address: X" / "invalid IP address: X". Encoding emits the fields in Go's
// declaration order with Go's omitempty rules; goMarshal does Go's escaping.
#include "src/spec/result.h"

#include <algorithm>
#include <array>
#include <climits>

#include "src/common/ip.h"
#include "src/spec/go_text.h"
#include "src/spec/result_internal.h"

namespace cni::spec {
namespace {

// ------------------------------------------------------------------------------------------------
// Decoding

const std::array<std::string, 3> kVersions020 = {"", "0.1.0", "0.2.0"};
const std::array<std::string, 3> kVersions040 = {"0.3.0", "0.3.1", "0.4.0"};
const std::array<std::string, 2> kVersions100 = {"1.0.0", "1.1.0"};

std::span<const std::string> creatorVersions(ResultFamily f) {
  switch (f) {
    case ResultFamily::k020:
      return kVersions020;
    case ResultFamily::k040:
      return kVersions040;
    case ResultFamily::k100:
      return kVersions100;
  }
  return {};
}

// Go's UnmarshalTypeError.Value: "number" for numbers into non-numeric fields, "number <lit>" for
// numbers an int cannot hold.
std::string jsonKind(const Json& v, bool number_literal) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return number_literal ? "number " + v.dump() : "number";
    default:
      return "null";
  }
}

std::unexpected<Error> typeError(const Json& v, std::string_view path, std::string_view go_type,
                                 bool number_literal = false) {
  return fail(ErrorCode::kDecodingFailure, "json: cannot unmarshal " + jsonKind(v, number_literal) +
                                               " into Go struct field " + std::string(path) +
                                               " of type " + std::string(go_type));
}

// The fields of one JSON object, read the way encoding/json fills a Go struct.
class Fields {
 public:
  Fields(const Json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  // nullptr when the key is missing or null (Go leaves the field untouched in both cases).
  const Json* get(std::string_view key) const {
    const Json* v = findKey(obj_, key);
    return (v && !v->is_null()) ? v : nullptr;
  }
  std::string path(std::string_view key) const { return path_ + "." + std::string(key); }

  Status str(std::string_view key, std::string& out) const {
    const Json* v = get(key);
    if (!v) return {};
    if (!v->is_string()) return typeError(*v, path(key), "string");
    out = v->get<std::string>();
    return {};
  }

  Status integer(std::string_view key, int& out) const {
    std::optional<int> o;
    CNI_TRY(optInteger(key, o));
    if (o) out = *o;
    return {};
  }

  Status optInteger(std::string_view key, std::optional<int>& out) const {
    const Json* v = get(key);
    if (!v) return {};
    if (v->is_number_unsigned()) {
      if (v->get<uint64_t>() > static_cast<uint64_t>(INT_MAX)) {
        return typeError(*v, path(key), "int", true);
      }
      out = static_cast<int>(v->get<uint64_t>());
      return {};
    }
    if (v->is_number_integer()) {
      int64_t x = v->get<int64_t>();
      if (x < INT_MIN || x > INT_MAX) return typeError(*v, path(key), "int", true);
      out = static_cast<int>(x);
      return {};
    }
    return typeError(*v, path(key), "int", v->is_number());
  }

  Status strList(std::string_view key, std::vector<std::string>& out) const {
    const Json* v = get(key);
    if (!v) return {};
    if (!v->is_array()) return typeError(*v, path(key), "[]string");
    out.clear();
    for (const Json& e : *v) {
      if (e.is_null()) {
        out.emplace_back();
      } else if (e.is_string()) {
        out.push_back(e.get<std::string>());
      } else {
        return typeError(e, path(key), "string");
      }
    }
    return {};
  }

  // types.IPNet: a CIDR string, stored normalised. Its UnmarshalJSON runs even for null, which
  // then fails to parse as "" (Go: `invalid CIDR address: `).
  Status prefix(std::string_view key, std::string& out) const {
    const Json* v = findKey(obj_, key);
    if (!v) return {};
    if (v->is_null()) return fail(ErrorCode::kDecodingFailure, "invalid CIDR address: ");
    if (!v->is_string()) {
      return fail(ErrorCode::kDecodingFailure, "json: cannot unmarshal " + jsonKind(*v, false) +
                                                   " into Go value of type string");
    }
    CNI_ASSIGN_OR_RETURN(IpPrefix p, IpPrefix::parse(v->get_ref<const std::string&>()));
    out = p.str();
    return {};
  }

  // net.IP: an address string, stored normalised; "" and null mean "no address".
  Status ip(std::string_view key, std::string& out) const {
    const Json* v = get(key);
    if (!v) return {};
    if (!v->is_string()) return typeError(*v, path(key), "net.IP");
    const auto& s = v->get_ref<const std::string&>();
    if (s.empty()) {
      out.clear();
      return {};
    }
    CNI_ASSIGN_OR_RETURN(IpAddress a, IpAddress::parse(s));
    out = a.str();
    return {};
  }

  // A JSON array of objects (Go []*T); each element decoded by `one`.
  template <class T, class F>
  Status objects(std::string_view key, std::string_view go_type, std::vector<T>& out,
                 F&& one) const {
    const Json* v = get(key);
    if (!v) return {};
    if (!v->is_array()) return typeError(*v, path(key), go_type);
    out.clear();
    for (const Json& e : *v) {
      if (!e.is_object()) return typeError(e, path(key), go_type);
      T item;
      CNI_TRY(one(Fields(e, path(key)), item));
      out.push_back(std::move(item));
    }
    return {};
  }

 private:
  const Json& obj_;
  std::string path_;
};

Status decodeRoute(const Fields& f, Route& r) {
  CNI_TRY(f.prefix("dst", r.dst));
  CNI_TRY(f.ip("gw", r.gw));
  CNI_TRY(f.integer("mtu", r.mtu));
  CNI_TRY(f.integer("advmss", r.advmss));
  CNI_TRY(f.integer("priority", r.priority));
  CNI_TRY(f.optInteger("table", r.table));
  CNI_TRY(f.optInteger("scope", r.scope));
  return {};
}

Status decodeDns(const Fields& parent, Dns& dns) {
  const Json* v = parent.get("dns");
  if (!v) return {};
  if (!v->is_object()) return typeError(*v, parent.path("dns"), "types.DNS");
  Fields f(*v, parent.path("dns"));
  CNI_TRY(f.strList("nameservers", dns.nameservers));
  CNI_TRY(f.str("domain", dns.domain));
  CNI_TRY(f.strList("search", dns.search));
  CNI_TRY(f.strList("options", dns.options));
  return {};
}

// 0.1.0/0.2.0 "ip4"/"ip6": {ip, gateway, routes}.
Status decodeIp020(const Fields& top, std::string_view key, std::string_view version, Result& r,
                   std::vector<Route>& routes) {
  const Json* v = top.get(key);
  if (!v) return {};
  if (!v->is_object()) return typeError(*v, top.path(key), "types020.IPConfig");
  Fields f(*v, top.path(key));
  IpConfig ip;
  ip.version = std::string(version);
  CNI_TRY(f.prefix("ip", ip.address));
  CNI_TRY(f.ip("gateway", ip.gateway));
  CNI_TRY(f.objects("routes", "[]types.Route", routes, decodeRoute));
  r.ips.push_back(std::move(ip));
  return {};
}

Status decodeShape(const Json& j, ResultFamily family, Result& r) {
  static constexpr std::array<const char*, 3> kGoTypes = {"types020.Result", "types040.Result",
                                                          "types100.Result"};
  if (!j.is_object()) {
    return fail(ErrorCode::kDecodingFailure, "json: cannot unmarshal " + jsonKind(j, false) +
                                                 " into Go value of type " +
                                                 kGoTypes[static_cast<int>(family)]);
  }
  Fields top(j, "Result");
  CNI_TRY(top.str("cniVersion", r.cni_version));
  if (family == ResultFamily::k020) {
    // Go decodes ip4 before ip6 regardless of their order in the text; the 02x->04x converter
    // also emits ip4 first, so keep that order in `ips`.
    CNI_TRY(decodeIp020(top, "ip4", "4", r, r.routes4_020));
    CNI_TRY(decodeIp020(top, "ip6", "6", r, r.routes6_020));
  } else {
    const bool v1 = family == ResultFamily::k100;
    CNI_TRY(top.objects("interfaces", "[]*Interface", r.interfaces,
                        [v1](const Fields& f, Interface& i) -> Status {
                          CNI_TRY(f.str("name", i.name));
                          CNI_TRY(f.str("mac", i.mac));
                          CNI_TRY(f.str("sandbox", i.sandbox));
                          if (v1) {  // 1.1.0 additions; the 040 struct has no such fields
                            CNI_TRY(f.integer("mtu", i.mtu));
                            CNI_TRY(f.str("socketPath", i.socket_path));
                            CNI_TRY(f.str("pciID", i.pci_id));
                          }
                          return {};
                        }));
    CNI_TRY(top.objects("ips", "[]*IPConfig", r.ips, [v1](const Fields& f, IpConfig& ip) -> Status {
      if (!v1) CNI_TRY(f.str("version", ip.version));
      CNI_TRY(f.optInteger("interface", ip.interface));
      CNI_TRY(f.prefix("address", ip.address));
      CNI_TRY(f.ip("gateway", ip.gateway));
      return {};
    }));
    CNI_TRY(top.objects("routes", "[]*types.Route", r.routes, decodeRoute));
  }
  return decodeDns(top, r.dns);
}

// Go's creator for `version` (convert.Create): decode with that shape, then require the decoded
// cniVersion to belong to the same shape.
Expected<Result> create(std::string_view version, const Json& j) {
  std::optional<ResultFamily> family;
  if (version.empty() || isKnownVersion(version)) family = familyOf(version);
  if (!family) {
    return fail(ErrorCode::kIncompatibleCniVersion,
                "unsupported CNI result version " + goQuote(version));
  }
  Result r;
  CNI_TRY(decodeShape(j, *family, r));
  auto versions = creatorVersions(*family);
  if (std::find(versions.begin(), versions.end(), r.cni_version) == versions.end()) {
    return fail(ErrorCode::kIncompatibleCniVersion,
                "result type supports " + goPlainList(versions) +
                    " but unmarshalled CNIVersion is " + goQuote(r.cni_version));
  }
  if (r.cni_version.empty()) r.cni_version = "0.1.0";  // types020.NewResult
  return r;
}

Expected<std::string> versionOf(const Json& j) {
  if (!j.is_object()) {
    return fail(ErrorCode::kDecodingFailure,
                "decoding version from network config: json: cannot unmarshal " +
                    jsonKind(j, false) + " into Go value of type struct");
  }
  std::string v;
  auto st = Fields(j, "").str("cniVersion", v);
  if (!st) return fail(std::move(st).error().withContext("decoding version from network config"));
  return v.empty() ? std::string("0.1.0") : v;
}

// ------------------------------------------------------------------------------------------------
// Encoding

// types.IPNet text: normalised when parseable; a missing address is Go's zero IPNet, "<nil>".
std::string prefixText(const std::string& s) {
  if (s.empty()) return "<nil>";
  auto p = IpPrefix::parse(s);
  return p ? p->str() : s;
}

std::string ipText(const std::string& s) {
  auto a = IpAddress::parse(s);
  return a ? a->str() : s;
}

OrderedJson encodeRoute(const Route& r, bool extras) {
  OrderedJson j = OrderedJson::object();
  j["dst"] = prefixText(r.dst);
  if (!r.gw.empty()) j["gw"] = ipText(r.gw);
  if (extras) {
    if (r.mtu != 0) j["mtu"] = r.mtu;
    if (r.advmss != 0) j["advmss"] = r.advmss;
    if (r.priority != 0) j["priority"] = r.priority;
    if (r.table) j["table"] = *r.table;
    if (r.scope) j["scope"] = *r.scope;
  }
  return j;
}

OrderedJson encodeRoutes(const std::vector<Route>& routes) {
  OrderedJson a = OrderedJson::array();
  for (const auto& r : routes) a.push_back(encodeRoute(r, true));
  return a;
}

// `"dns"` is always printed (Go's omitempty has no effect on a struct); its fields are omitempty.
OrderedJson encodeDns(const Dns& d) {
  OrderedJson j = OrderedJson::object();
  if (!d.nameservers.empty()) j["nameservers"] = d.nameservers;
  if (!d.domain.empty()) j["domain"] = d.domain;
  if (!d.search.empty()) j["search"] = d.search;
  if (!d.options.empty()) j["options"] = d.options;
  return j;
}

OrderedJson encodeIp020(const IpConfig& ip, const std::vector<Route>& routes) {
  OrderedJson j = OrderedJson::object();
  j["ip"] = prefixText(ip.address);
  if (!ip.gateway.empty()) j["gateway"] = ipText(ip.gateway);
  if (!routes.empty()) j["routes"] = encodeRoutes(routes);
  return j;
}

void encodeBody(const Result& r, ResultFamily family, OrderedJson& j) {
  if (family == ResultFamily::k020) {
    internal::Ips020 picked = internal::pick020(r);
    if (picked.ip4) j["ip4"] = encodeIp020(*picked.ip4, r.routes4_020);
    if (picked.ip6) j["ip6"] = encodeIp020(*picked.ip6, r.routes6_020);
    return;
  }
  const bool v1 = family == ResultFamily::k100;
  if (!r.interfaces.empty()) {
    OrderedJson a = OrderedJson::array();
    for (const auto& i : r.interfaces) {
      OrderedJson o = OrderedJson::object();
      o["name"] = i.name;
      if (!i.mac.empty()) o["mac"] = i.mac;
      if (v1 && i.mtu != 0) o["mtu"] = i.mtu;
      if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
      if (v1 && !i.socket_path.empty()) o["socketPath"] = i.socket_path;
      if (v1 && !i.pci_id.empty()) o["pciID"] = i.pci_id;
      a.push_back(std::move(o));
    }
    j["interfaces"] = std::move(a);
  }
  if (!r.ips.empty()) {
    OrderedJson a = OrderedJson::array();
    for (const auto& ip : r.ips) {
      OrderedJson o = OrderedJson::object();
      if (!v1) o["version"] = ip.version;  // not omitempty: "" is printed
      if (ip.interface) o["interface"] = *ip.interface;
      o["address"] = prefixText(ip.address);
      if (!ip.gateway.empty()) o["gateway"] = ipText(ip.gateway);
      a.push_back(std::move(o));
    }
    j["ips"] = std::move(a);
  }
  if (!r.routes.empty()) j["routes"] = encodeRoutes(r.routes);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// internal helpers

namespace internal {

bool isV4Text(std::string_view address) {
  if (address.find('/') != std::string_view::npos) {
    auto p = IpPrefix::parse(address);
    return p && p->address().isV4Like();
  }
  auto a = IpAddress::parse(address);
  return a && a->isV4Like();
}

Ips020 pick020(const Result& r) {
  Ips020 out;
  for (const auto& ip : r.ips) {
    bool v4 = ip.version.empty() ? isV4Text(ip.address) : ip.version == "4";
    bool v6 = ip.version.empty() ? !v4 : ip.version == "6";
    if (v4 && !out.ip4) out.ip4 = &ip;
    if (v6 && !out.ip6) out.ip6 = &ip;
  }
  return out;
}

std::string effectiveVersion(const Result& r) {
  return r.cni_version.empty() ? std::string(kCurrentVersion) : r.cni_version;
}

}  // namespace internal

// ------------------------------------------------------------------------------------------------
// Public API

Expected<std::string> decodeResultVersion(std::string_view bytes) {
  CNI_ASSIGN_OR_RETURN(Json j, parseJson(bytes, "result"));
  return versionOf(j);
}

Expected<Result> parseResult(std::string_view bytes) {
  CNI_ASSIGN_OR_RETURN(Json j, parseJson(bytes, "result"));
  CNI_ASSIGN_OR_RETURN(std::string version, versionOf(j));
  return create(version, j);
}

Expected<Result> parseResultAs(std::string_view bytes, std::string_view version) {
  CNI_ASSIGN_OR_RETURN(Json j, parseJson(bytes, "result"));
  return create(version, j);
}

Expected<Result> resultFromJson(const Json& j, std::string_view version) {
  return create(version, j);
}

OrderedJson resultToJson(const Result& r) {
  ResultFamily family = familyOf(internal::effectiveVersion(r)).value_or(ResultFamily::k100);
  OrderedJson j = OrderedJson::object();
  if (!r.cni_version.empty()) j["cniVersion"] = r.cni_version;
  encodeBody(r, family, j);
  j["dns"] = encodeDns(r.dns);
  return j;
}

std::string encodeResult(const Result& r, bool indent) {
  return goMarshal(resultToJson(r), indent ? 4 : -1);
}

Expected<std::optional<Result>> parsePrevResult(const Json& conf) {
  const Json* prev = findKey(conf, "prevResult");
  if (!prev || prev->is_null()) return std::optional<Result>();
  if (!prev->is_object()) {
    return typeError(*prev, "NetConf.prevResult", "map[string]interface {}");
  }
  std::string conf_version;
  CNI_TRY(Fields(conf, "NetConf").str("cniVersion", conf_version));

  // Go injects the config's version under the key "CNIVersion" when that exact key is absent or
  // "", re-marshals the map (sorted keys) and decodes it: a "cniVersion" key of the prevResult
  // sorts after "CNIVersion" and so wins; without one, the config's version applies.
  Json raw = *prev;
  auto it = raw.find("CNIVersion");
  if (it == raw.end() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
    raw["CNIVersion"] = conf_version;
  }
  auto result = create(conf_version, raw);
  if (!result) return fail(std::move(result).error().withContext("could not parse prevResult"));
  return std::optional<Result>(std::move(*result));
}

}  // namespace cni::spec
