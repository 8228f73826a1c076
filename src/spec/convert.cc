// src/spec/convert.cc — CNI result version conversion, as Go's internal/convert registry.
//
// Go registers one converter per (fromVersion, toVersions) pair across pkg/types/{020,040,100};
// every pair of known versions is covered. The converters depend only on the result shape of each
// side, so the registry here is keyed by shape family; the cross-shape paths compose exactly as
// Go's do (02x->1.x goes through 0.4.0, 1.x->02x through 0.4.0).
#include <array>

#include "src/spec/go_text.h"
#include "src/spec/result.h"
#include "src/spec/result_internal.h"

namespace cni::spec {
namespace {

using ConvertFn = Expected<Result> (*)(const Result& from, std::string_view to);

// Same shape (0.1.0<->0.2.0, 0.3.x/0.4.0 among themselves, 1.0.0<->1.1.0): a field copy.
Expected<Result> sameShape(const Result& from, std::string_view to) {
  Result out = from;
  out.cni_version = std::string(to);
  return out;
}

// types040.convertFrom02x: ip4 then ip6 become `ips` with their version; their routes are
// concatenated (ip4's first) into the top-level routes; nothing else carries over.
Expected<Result> from02xTo04x(const Result& from, std::string_view to) {
  Result out;
  out.cni_version = std::string(to);
  out.dns = from.dns;
  internal::Ips020 picked = internal::pick020(from);
  if (picked.ip4) {
    out.ips.push_back({.interface = std::nullopt,
                       .address = picked.ip4->address,
                       .gateway = picked.ip4->gateway,
                       .version = "4"});
    out.routes.insert(out.routes.end(), from.routes4_020.begin(), from.routes4_020.end());
  }
  if (picked.ip6) {
    out.ips.push_back({.interface = std::nullopt,
                       .address = picked.ip6->address,
                       .gateway = picked.ip6->gateway,
                       .version = "6"});
    out.routes.insert(out.routes.end(), from.routes6_020.begin(), from.routes6_020.end());
  }
  return out;
}

// types040.convertTo02x: the first IP whose *version field* is "4" (resp. "6") survives — an
// entry without a version is dropped, as in Go; routes are split by destination family and keep
// only dst and gw; interfaces and interface indexes are lost. No address left -> error.
Expected<Result> from04xTo02x(const Result& from, std::string_view to) {
  Result out;
  out.cni_version = std::string(to);
  out.dns = from.dns;
  const IpConfig* ip4 = nullptr;
  const IpConfig* ip6 = nullptr;
  for (const auto& ip : from.ips) {
    if (ip.version == "4" && !ip4) {
      ip4 = &ip;
    } else if (ip.version == "6" && !ip6) {
      ip6 = &ip;
    }
    if (ip4 && ip6) break;
  }
  if (!ip4 && !ip6) {
    return fail(ErrorCode::kIncompatibleCniVersion, "cannot convert: no valid IP addresses");
  }
  if (ip4) out.ips.push_back({.address = ip4->address, .gateway = ip4->gateway, .version = "4"});
  if (ip6) out.ips.push_back({.address = ip6->address, .gateway = ip6->gateway, .version = "6"});
  for (const auto& route : from.routes) {
    bool is4 = internal::isV4Text(route.dst);
    if (is4 && ip4) {
      out.routes4_020.push_back({.dst = route.dst, .gw = route.gw});
    } else if (!is4 && ip6) {
      out.routes6_020.push_back({.dst = route.dst, .gw = route.gw});
    }
  }
  return out;
}

// What 04x and 1.x results share field for field: dns, routes (one Go struct), and interfaces
// with name/mac/sandbox (1.x's mtu/socketPath/pciID have no 04x counterpart either way).
Result commonOf04xAnd1x(const Result& from, std::string_view to) {
  Result out;
  out.cni_version = std::string(to);
  out.dns = from.dns;
  out.routes = from.routes;
  for (const auto& i : from.interfaces) {
    out.interfaces.push_back({.name = i.name, .mac = i.mac, .sandbox = i.sandbox});
  }
  return out;
}

// types100.convertFrom04x: interfaces keep name/mac/sandbox, ips lose "version".
Expected<Result> from04xTo1x(const Result& from, std::string_view to) {
  Result out = commonOf04xAnd1x(from, to);
  for (const auto& ip : from.ips) {
    out.ips.push_back({.interface = ip.interface, .address = ip.address, .gateway = ip.gateway});
  }
  return out;
}

// types100.convertTo04x: "version" synthesised from the address family (a missing or non-IPv4
// address gives "6", as Go's nil To4() does); interface mtu/socketPath/pciID are dropped. Routes
// are copied whole: Go shares types.Route, so 1.1 route extras survive into 0.4.0 output.
Expected<Result> from1xTo04x(const Result& from, std::string_view to) {
  Result out = commonOf04xAnd1x(from, to);
  for (const auto& ip : from.ips) {
    out.ips.push_back({.interface = ip.interface,
                       .address = ip.address,
                       .gateway = ip.gateway,
                       .version = internal::isV4Text(ip.address) ? "4" : "6"});
  }
  return out;
}

Expected<Result> from02xTo1x(const Result& from, std::string_view to) {
  CNI_ASSIGN_OR_RETURN(Result r040, from02xTo04x(from, "0.4.0"));
  return from04xTo1x(r040, to);
}

Expected<Result> from1xTo02x(const Result& from, std::string_view to) {
  CNI_ASSIGN_OR_RETURN(Result r040, from1xTo04x(from, "0.4.0"));
  return from04xTo02x(r040, to);
}

struct Converter {
  ResultFamily from;
  ResultFamily to;
  ConvertFn fn;
};

constexpr std::array<Converter, 9> kConverters = {{
    {ResultFamily::k020, ResultFamily::k020, sameShape},
    {ResultFamily::k020, ResultFamily::k040, from02xTo04x},
    {ResultFamily::k020, ResultFamily::k100, from02xTo1x},
    {ResultFamily::k040, ResultFamily::k020, from04xTo02x},
    {ResultFamily::k040, ResultFamily::k040, sameShape},
    {ResultFamily::k040, ResultFamily::k100, from04xTo1x},
    {ResultFamily::k100, ResultFamily::k020, from1xTo02x},
    {ResultFamily::k100, ResultFamily::k040, from1xTo04x},
    {ResultFamily::k100, ResultFamily::k100, sameShape},
}};

}  // namespace

Expected<Result> convertResult(const Result& r, std::string_view to) {
  const std::string from = internal::effectiveVersion(r);
  const std::string target = to.empty() ? std::string("0.1.0") : std::string(to);
  if (from == target) {  // Go's shortcut: the same object, nothing normalised
    Result out = r;
    out.cni_version = from;
    return out;
  }
  if (isKnownVersion(from) && isKnownVersion(target)) {
    ResultFamily ff = *familyOf(from);
    ResultFamily tf = *familyOf(target);
    for (const auto& c : kConverters) {
      if (c.from == ff && c.to == tf) return c.fn(r, target);
    }
  }
  return fail(ErrorCode::kIncompatibleCniVersion,
              "no converter for CNI result version " + from + " to " + target);
}

}  // namespace cni::spec
