// src/spec/result.h — the CNI success result (SPEC "Success"), every version 0.1.0–1.1.0.
//
// One value type holds the union of what the three Go result structs (pkg/types/020, 040, 100)
// can carry; `cniVersion` says which wire shape it has. Encoding is field for field what the Go
// library emits for that version (order, omitempty, pointer zeros, `"dns": {}`), and conversion
// follows Go's converter registry (internal/convert.go), lossy down-conversions included.
//
// What a parsed Result holds (so that equality and conversion behave like Go's typed structs):
//   * only the fields of its own shape: a 0.4.0 result never carries interface mtu/socketPath/
//     pciID (Go's 040 struct drops them on decode), a 1.x result never carries ips[].version;
//   * addresses normalised to Go's text (IpPrefix/IpAddress::str(): "2001:DB8::1/64" ->
//     "2001:db8::1/64", "::ffff:1.2.3.4/120" -> "1.2.3.4/24"); a missing address stays "" and
//     prints as Go's "<nil>";
//   * 0.1.0/0.2.0: ip4 then ip6 as `ips` entries with version "4"/"6", their routes in
//     routes4_020/routes6_020 (the flat `routes` stays empty); a missing cniVersion becomes
//     "0.1.0".
// A Result built in code with an empty cni_version is treated as the current version (1.1.0
// shape, cniVersion omitted on output), as Go's GetAsVersion does for its newest struct.
//
// Deliberate deviations from Go (inputs no Go plugin produces): a `null` element inside
// interfaces/ips/routes is a decode error (Go keeps a nil pointer and prints `null`); integers
// must fit in 32 bits; among keys differing only in case the exact match wins (Go: the last one).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/spec/json.h"
#include "src/spec/version.h"

namespace cni::spec {

struct Interface {
  std::string name;
  std::string mac;
  int mtu = 0;              // 1.1.0: omitted when 0
  std::string sandbox;      // netns path for container interfaces, empty on the host
  std::string socket_path;  // 1.1.0 "socketPath"
  std::string pci_id;       // 1.1.0 "pciID"
  bool operator==(const Interface&) const = default;
};

struct IpConfig {
  std::optional<int> interface;  // index into interfaces; 0 is printed when set (Go *int)
  std::string address;           // CIDR keeping host bits: "10.1.0.5/16"
  std::string gateway;           // empty = none
  // 0.3.x/0.4.0 "version" ("4"/"6"). Kept as parsed; synthesised from the address family when a
  // result is converted to a 04x version.
  std::string version;
  bool operator==(const IpConfig&) const = default;
};

struct Route {
  std::string dst;  // CIDR
  std::string gw;   // empty = none
  int mtu = 0;      // 1.1.0 extras; Go shares the Route struct across versions, so they are
  int advmss = 0;   // emitted in any version when non-zero.
  int priority = 0;
  std::optional<int> table;
  std::optional<int> scope;
  bool operator==(const Route&) const = default;
};

struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const {
    return nameservers.empty() && domain.empty() && search.empty() && options.empty();
  }
  bool operator==(const Dns&) const = default;
};

struct Result {
  std::string cni_version;
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
  // 0.1.0/0.2.0 only: routes nested per family (ip4.routes / ip6.routes), preserved when a 02x
  // result is re-encoded without conversion.
  std::vector<Route> routes4_020;
  std::vector<Route> routes6_020;
  bool operator==(const Result&) const = default;
};

// Go create.DecodeVersion: the "cniVersion" of a result/config object ("" or missing -> "0.1.0").
// Not an object, or a non-string cniVersion, is kDecodingFailure.
Expected<std::string> decodeResultVersion(std::string_view bytes);

// Go create.CreateFromBytes: decodes with the shape of the result's own cniVersion
// (missing/empty -> "0.1.0"). Unknown versions fail with kIncompatibleCniVersion.
Expected<Result> parseResult(std::string_view bytes);

// Go create.Create(version, bytes): decodes with the shape of `version`; the decoded cniVersion
// must belong to the same shape family.
Expected<Result> parseResultAs(std::string_view bytes, std::string_view version);

// Same, from already-parsed JSON (prevResult objects inside a config).
Expected<Result> resultFromJson(const Json& j, std::string_view version);

// Go Result.GetAsVersion: converts to `to` through the converter registry (same family is a field
// copy; 1.x->0.4.0 synthesises "version"; 04x/1.x->02x keeps the first v4 and first v6 address
// and fails with "cannot convert: no valid IP addresses" when there are none).
// Same version returns r unchanged. An empty `to` means "0.1.0" (the spec's reading of a missing
// cniVersion; the installed Go plugins print 0.1.0 there, HEAD's registry has no "" entry).
// Unknown versions fail with kIncompatibleCniVersion "no converter for CNI result version X to Y".
Expected<Result> convertResult(const Result& r, std::string_view to);

// Encoding with the shape of r.cni_version.
OrderedJson resultToJson(const Result& r);
// Go's PrintResult formatting: 4-space indent, no trailing newline (compact when indent=false).
std::string encodeResult(const Result& r, bool indent = true);

// Go version.ParsePrevResult: if conf has "prevResult", decode it with the config's cniVersion
// family (its own cniVersion if present, else the config's). nullopt when absent or null.
// Errors carry Go's "could not parse prevResult: " prefix.
Expected<std::optional<Result>> parsePrevResult(const Json& conf);

}  // namespace cni::spec
