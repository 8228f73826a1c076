// src/ipam/config.h — the host-local IPAM configuration, decoded as Go's LoadIPAMConfig does.
//
// Inputs merged (reference doc §6.11, §5): `ipam.ranges`, the legacy top-level `ipam.subnet/
// rangeStart/rangeEnd/gateway` (prepended as its own range set), `runtimeConfig.ipRanges`
// (prepended before both), and the requested IPs from CNI_ARGS `IP=`, `args.cni.ips` and
// `runtimeConfig.ips`, appended in that order. Keys match as Go's encoding/json does (exact, then
// case-insensitive). Every error is a plain error (code 999 on the wire) with Go's text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/ipam/range.h"
#include "src/spec/json.h"
#include "src/spec/result.h"

namespace cni::ipam {

inline constexpr std::string_view kDefaultDataDir = "/var/lib/cni/networks";

struct IpamConfig {
  std::string name;         // the network name (the store directory under data_dir)
  std::string cni_version;  // the config's cniVersion, as written
  std::vector<RangeSet> ranges;
  std::vector<spec::Route> routes;
  std::string data_dir;  // "" = kDefaultDataDir
  std::string resolv_conf;
  std::vector<IpAddress> requested;  // canonical (IPv4 unmapped)
};

// `stdin_data` is the full plugin config, `env_args` CNI_ARGS.
Expected<IpamConfig> loadIpamConfig(std::string_view stdin_data, std::string_view env_args);

// Parses a JSON array of range sets (`ranges`, `runtimeConfig.ipRanges`); not canonicalised.
Expected<std::vector<RangeSet>> parseRangeSets(const Json& v);

// Go's parseResolvConf: nameserver/domain/search/options lines. Missing file: "open <f>: ...".
Expected<spec::Dns> parseResolvConf(const std::string& path);

}  // namespace cni::ipam
