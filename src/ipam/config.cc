// src/ipam/config.cc — host-local config decoding and validation (see config.h).
#include "src/ipam/config.h"

#include <cerrno>

#include "src/common/file_text.h"
#include "src/ipam/file_lock.h"
#include "src/spec/cni_args.h"
#include "src/spec/go_json.h"
#include "src/spec/version.h"

namespace cni::ipam {
namespace {

Error plain(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

// A string field; null/absent -> "". Wrong JSON type -> Go's UnmarshalTypeError text.
Expected<std::string> stringField(const Json& obj, std::string_view key, std::string_view field) {
  const Json* v = spec::findKey(obj, key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return fail(plain(spec::goFieldTypeError(*v, field, "string")));
  return v->get<std::string>();
}

// net.IP via UnmarshalText: "" and null leave it unset.
Expected<std::optional<IpAddress>> ipField(const Json& obj, std::string_view key,
                                           std::string_view field) {
  const Json* v = spec::findKey(obj, key);
  if (!v || v->is_null()) return std::optional<IpAddress>();
  if (!v->is_string()) return fail(plain(spec::goFieldTypeError(*v, field, "net.IP")));
  const std::string& s = v->get_ref<const std::string&>();
  if (s.empty()) return std::optional<IpAddress>();
  auto ip = IpAddress::parse(s);
  if (!ip) return fail(plain("invalid IP address: " + s));
  return std::optional<IpAddress>(*ip);
}

// Go's pkg/ip.IP text form: "<ip>" or "<ip>/<len>" (the prefix is dropped by ToIP()).
Expected<std::optional<IpAddress>> parseIpOrCidr(std::string_view s) {
  if (s.empty()) return std::optional<IpAddress>();
  if (s.find('/') != std::string_view::npos) {
    auto p = IpPrefix::parse(s);
    if (!p) return fail(plain("invalid IP address " + std::string(s)));
    return std::optional<IpAddress>(canonicalIp(p->address()));
  }
  auto ip = IpAddress::parse(s);
  if (!ip) return fail(plain("invalid IP address " + std::string(s)));
  return std::optional<IpAddress>(canonicalIp(*ip));
}

// One range object. `legacy` = the fields embedded in the ipam object itself.
Expected<Range> parseRange(const Json& obj, std::string_view ctx) {
  Range r;
  if (!obj.is_object() && !obj.is_null()) {
    return fail(plain(spec::goValueTypeError(obj, "allocator.Range")));
  }
  if (obj.is_null()) return r;
  std::string c(ctx);
  CNI_ASSIGN_OR_RETURN(r.range_start, ipField(obj, "rangeStart", c + ".rangeStart"));
  CNI_ASSIGN_OR_RETURN(r.range_end, ipField(obj, "rangeEnd", c + ".rangeEnd"));
  CNI_ASSIGN_OR_RETURN(r.gateway, ipField(obj, "gateway", c + ".gateway"));
  if (const Json* s = spec::findKey(obj, "subnet")) {
    if (!s->is_string() && !s->is_null()) {
      return fail(plain(spec::goFieldTypeError(*s, c + ".subnet", "string")));
    }
    std::string text = s->is_string() ? s->get<std::string>() : "";
    auto p = IpPrefix::parse(text);
    if (!p) return fail(plain("invalid CIDR address: " + text));
    r.subnet = *p;
    r.has_subnet = true;
  }
  return r;
}

Expected<std::vector<IpAddress>> parseIpList(const Json& v, bool allow_cidr) {
  std::vector<IpAddress> out;
  if (v.is_null()) return out;
  if (!v.is_array()) return fail(plain(spec::goValueTypeError(v, "[]net.IP")));
  for (const Json& e : v) {
    if (e.is_null()) continue;
    if (!e.is_string()) return fail(plain(spec::goValueTypeError(e, "net.IP")));
    const std::string& s = e.get_ref<const std::string&>();
    if (allow_cidr) {
      CNI_ASSIGN_OR_RETURN(auto ip, parseIpOrCidr(s));
      if (ip) out.push_back(*ip);
    } else {
      if (s.empty()) continue;
      auto ip = IpAddress::parse(s);
      if (!ip) return fail(plain("invalid IP address: " + s));
      out.push_back(canonicalIp(*ip));
    }
  }
  return out;
}

Expected<std::vector<spec::Route>> parseRoutes(const Json& v) {
  if (v.is_null()) return std::vector<spec::Route>();
  if (!v.is_array()) return fail(plain(spec::goValueTypeError(v, "[]*types.Route")));
  // Route decoding (dst/gw/mtu/advmss/priority/table/scope) is the result codec's job.
  Json doc = {{"cniVersion", std::string(spec::kCurrentVersion)}, {"routes", v}};
  auto r = spec::resultFromJson(doc, spec::kCurrentVersion);
  if (!r) {
    Error e = std::move(r.error());
    e.code = ErrorCode::kInternal;
    return fail(std::move(e));
  }
  return std::move(r->routes);
}

}  // namespace

Expected<std::vector<RangeSet>> parseRangeSets(const Json& v) {
  std::vector<RangeSet> out;
  if (v.is_null()) return out;
  if (!v.is_array()) return fail(plain(spec::goValueTypeError(v, "[]allocator.RangeSet")));
  for (const Json& set : v) {
    RangeSet rs;
    if (!set.is_null()) {
      if (!set.is_array()) return fail(plain(spec::goValueTypeError(set, "allocator.RangeSet")));
      for (const Json& r : set) {
        CNI_ASSIGN_OR_RETURN(Range range, parseRange(r, "Range"));
        rs.push_back(std::move(range));
      }
    }
    out.push_back(std::move(rs));
  }
  return out;
}

Expected<IpamConfig> loadIpamConfig(std::string_view stdin_data, std::string_view env_args) {
  if (auto syntax = spec::goJsonSyntaxError(stdin_data)) return fail(plain(*syntax));
  CNI_ASSIGN_OR_RETURN(Json doc, spec::parseJson(stdin_data, "network configuration"));
  if (!doc.is_object()) return fail(plain(spec::goValueTypeError(doc, "allocator.Net")));
  IpamConfig c;
  CNI_ASSIGN_OR_RETURN(c.name, stringField(doc, "name", "Net.name"));
  CNI_ASSIGN_OR_RETURN(c.cni_version, stringField(doc, "cniVersion", "Net.cniVersion"));
  const Json* ipam = spec::findKey(doc, "ipam");
  if (!ipam || ipam->is_null()) return fail(plain("IPAM config missing 'ipam' key"));
  if (!ipam->is_object()) {
    return fail(plain(spec::goFieldTypeError(*ipam, "Net.ipam", "allocator.IPAMConfig")));
  }
  CNI_ASSIGN_OR_RETURN(c.data_dir, stringField(*ipam, "dataDir", "Net.ipam.dataDir"));
  CNI_ASSIGN_OR_RETURN(c.resolv_conf, stringField(*ipam, "resolvConf", "Net.ipam.resolvConf"));
  if (const Json* routes = spec::findKey(*ipam, "routes")) {
    CNI_ASSIGN_OR_RETURN(c.routes, parseRoutes(*routes));
  }
  CNI_ASSIGN_OR_RETURN(Range legacy, parseRange(*ipam, "Net.ipam"));
  if (const Json* ranges = spec::findKey(*ipam, "ranges")) {
    CNI_ASSIGN_OR_RETURN(c.ranges, parseRangeSets(*ranges));
  }
  std::vector<RangeSet> runtime_ranges;
  std::vector<IpAddress> runtime_ips;
  if (const Json* rc = spec::findKey(doc, "runtimeConfig"); rc && rc->is_object()) {
    if (const Json* r = spec::findKey(*rc, "ipRanges")) {
      CNI_ASSIGN_OR_RETURN(runtime_ranges, parseRangeSets(*r));
    }
    if (const Json* ips = spec::findKey(*rc, "ips")) {
      CNI_ASSIGN_OR_RETURN(runtime_ips, parseIpList(*ips, /*allow_cidr=*/true));
    }
  }
  std::vector<IpAddress> args_ips;
  if (const Json* args = spec::findKey(doc, "args"); args && args->is_object()) {
    if (const Json* cni = spec::findKey(*args, "cni"); cni && cni->is_object()) {
      if (const Json* ips = spec::findKey(*cni, "ips")) {
        CNI_ASSIGN_OR_RETURN(args_ips, parseIpList(*ips, /*allow_cidr=*/true));
      }
    }
  }
  // Requested IPs: CNI_ARGS, then args.cni.ips, then runtimeConfig.ips.
  if (!env_args.empty()) {
    static constexpr std::string_view kKeys[] = {"IP"};
    auto loaded = spec::loadArgs(env_args, kKeys);
    if (!loaded) {
      Error e = std::move(loaded.error());
      e.code = ErrorCode::kInternal;
      return fail(std::move(e));
    }
    if (const std::string* ip = loaded->get("IP")) {
      auto parsed = parseIpOrCidr(*ip);
      if (!parsed) {
        return fail(
            plain("ARGS: error parsing value of pair \"IP=" + *ip + "\": " + parsed.error().msg));
      }
      if (*parsed) c.requested.push_back(**parsed);
    }
  }
  c.requested.insert(c.requested.end(), args_ips.begin(), args_ips.end());
  c.requested.insert(c.requested.end(), runtime_ips.begin(), runtime_ips.end());

  if (legacy.has_subnet) c.ranges.insert(c.ranges.begin(), RangeSet{legacy});
  c.ranges.insert(c.ranges.begin(), runtime_ranges.begin(), runtime_ranges.end());
  if (c.ranges.empty()) return fail(plain("no IP ranges specified"));

  int v4 = 0;
  int v6 = 0;
  for (size_t i = 0; i < c.ranges.size(); ++i) {
    if (auto st = canonicalizeRangeSet(c.ranges[i]); !st) {
      return fail(plain("invalid range set " + std::to_string(i) + ": " + st.error().msg));
    }
    (c.ranges[i][0].range_start->isV4() ? v4 : v6)++;
  }
  if (v4 > 1 || v6 > 1) {
    auto ok = spec::versionAtLeast(c.cni_version, "0.3.0");
    if (!ok || !*ok) {
      return fail(plain("CNI version " + c.cni_version +
                        " does not support more than 1 address per family"));
    }
  }
  for (size_t i = 0; i + 1 < c.ranges.size(); ++i) {
    for (size_t j = i + 1; j < c.ranges.size(); ++j) {
      if (rangeSetsOverlap(c.ranges[i], c.ranges[j])) {
        return fail(
            plain("range set " + std::to_string(i) + " overlaps with " + std::to_string(j)));
      }
    }
  }
  return c;
}

Expected<spec::Dns> parseResolvConf(const std::string& path) {
  auto text = readFileText(path);
  if (!text) return fail(goErrnoError("open " + path, errno));
  spec::Dns dns;
  for (std::string_view line : splitLines(*text)) {
    std::vector<std::string> f;
    for (std::string_view w : splitFields(line)) f.emplace_back(w);
    if (f.empty() || f[0][0] == '#' || f[0][0] == ';' || f.size() < 2) continue;
    if (f[0] == "nameserver") {
      dns.nameservers.push_back(f[1]);
    } else if (f[0] == "domain") {
      dns.domain = f[1];
    } else if (f[0] == "search") {
      dns.search.insert(dns.search.end(), f.begin() + 1, f.end());
    } else if (f[0] == "options") {
      dns.options.insert(dns.options.end(), f.begin() + 1, f.end());
    }
  }
  return dns;
}

}  // namespace cni::ipam
