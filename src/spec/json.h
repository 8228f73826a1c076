// src/spec/json.h — the JSON vocabulary of cnikit, and Go-compatible JSON behaviour.
//
// nlohmann::json (std::map objects → keys sorted) is used wherever Go marshals a map (request
// config injection re-marshals with sorted keys); nlohmann::ordered_json where Go marshals a struct
// (results, cache files: field order is declaration order). Decoding throws in nlohmann; the
// helpers here turn that into Error{kDecodingFailure} so library code never sees an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "src/common/error.h"

namespace cni {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

namespace spec {

// Parses text as JSON. `what` names the input in the error ("network configuration", ...).
Expected<Json> parseJson(std::string_view text, std::string_view what);
Expected<OrderedJson> parseOrderedJson(std::string_view text, std::string_view what);

// Go's encoding/json field lookup: exact key first, then the first case-insensitive match.
// Returns nullptr if `obj` is not an object or has no such key. (containerd sends `HostPort`
// where podman sends `hostPort`; the Go reference accepts both, so must we.)
const Json* findKey(const Json& obj, std::string_view key);
const OrderedJson* findKey(const OrderedJson& obj, std::string_view key);

// Serialises like Go's json.Marshal / json.MarshalIndent(v, "", "    "): HTML-sensitive
// characters escaped (\u003c \u003e \u0026), U+2028/U+2029 escaped, UTF-8 kept as is.
// indent < 0 means compact.
std::string goMarshal(const Json& j, int indent = -1);
std::string goMarshal(const OrderedJson& j, int indent = -1);

// A boolean the way libcni reads conflist flags: JSON true/false, or a string "true"/"false"
// in any case. `key` names the field in the error message.
Expected<bool> goBool(const Json& v, std::string_view key);

}  // namespace spec
}  // namespace cni
