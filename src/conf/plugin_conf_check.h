// src/conf/plugin_conf_check.h — the type checks Go's json.Unmarshal applies to a plugin object.
//
// libcni decodes each plugin object into types.PluginConf, so `"type": 5` is an error in Go (with
// encoding/json's own wording), not a silently ignored key. Users grep for those texts; the Go
// JSON helpers this builds on are in src/spec/go_json.h.
#pragma once

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::conf {

// json.Unmarshal(obj, &types.PluginConf{}) type checking: the known fields (cniVersion, name, type,
// capabilities, ipam, dns, prevResult, cni.dev/valid-attachments), matched case-insensitively as
// Go does, must have the types of the Go struct. On mismatch returns Go's message, e.g.
// "json: cannot unmarshal number into Go struct field PluginConf.type of type string", with
// code kInvalidNetworkConfig (the JSON is well-formed, its shape is wrong). A non-object `obj`
// (other than null) is also an error.
Status checkPluginConfFields(const Json& obj);

}  // namespace cni::conf
