// src/spec/result.h — the CNI success result (SPEC "Success"), every version 0.1.0–1.1.0.
//
// One value type holds the union of what the three Go result structs (pkg/types/020, 040, 100)
// can carry; `cniVersion` says which wire shape it has. Encoding is field for field what the Go
// library emits for that version (order, omitempty, pointer zeros, `"dns": {}`), and conversion
// follows Go's converter registry (internal/convert.go), lossy down-conversions included.
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
  int mtu = 0;               // 1.1.0: omitted when 0
  std::string sandbox;       // netns path for container interfaces, empty on the host
  std::string socket_path;   // 1.1.0 "socketPath"
  std::string pci_id;        // 1.1.0 "pciID"
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
  bool empty() const { return nameservers.empty() && domain.empty() && search.empty() && options.empty(); }
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
Expected<Result> convertResult(const Result& r, std::string_view to);

// Encoding with the shape of r.cni_version.
OrderedJson resultToJson(const Result& r);
// Go's PrintResult formatting: 4-space indent, no trailing newline (compact when indent=false).
std::string encodeResult(const Result& r, bool indent = true);

// Go version.ParsePrevResult: if conf has "prevResult", decode it with the config's cniVersion
// family (its own cniVersion if present, else the config's). nullopt when absent.
Expected<std::optional<Result>> parsePrevResult(const Json& conf);

}  // namespace cni::spec
