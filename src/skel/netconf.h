// src/skel/netconf.h — the common part of a plugin's config, decoded as Go plugins decode it.
//
// Every reference plugin starts by json.Unmarshal-ing stdin into a struct embedding
// types.NetConf (cniVersion, name, type, capabilities, ipam, dns, prevResult,
// cni.dev/valid-attachments). A value of the wrong JSON type in one of those fields fails the
// whole decode with Go's text, e.g. "json: cannot unmarshal number into Go struct field
// NetConf.type of type string"; plugins prefix it ("failed to parse network config: ...").
// Keys match case-insensitively (Go's rule); JSON null leaves a field empty.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::skel {

struct NetConf {
  std::string cni_version;  // as written; "" when absent
  std::string name;
  std::string type;
  std::string ipam_type;         // ipam.type
  bool has_prev_result = false;  // "prevResult" present and not null
  Json raw;                      // the whole document, for plugin-specific keys and prevResult
};

// Errors carry ErrorCode::kInternal (Go plugins return them as plain errors) and Go's
// encoding/json message, without a prefix.
Expected<NetConf> parseNetConf(std::string_view stdin_data);

}  // namespace cni::skel
