// src/skel/go_json.h — the exact texts of Go's encoding/json and fmt errors that plugins print.
//
// Go plugins decode their stdin with json.Unmarshal and put the resulting error text in the CNI
// error object ("error unmarshall network config: invalid character '}' looking for beginning
// of object key string"). Runtimes and users grep for these; matching them byte for byte is
// part of being a drop-in replacement, so the scanner states and messages of Go's
// encoding/json/scanner.go are reproduced here (behaviour, not code). (%q lives in
// src/spec/go_text.h.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/spec/json.h"

namespace cni::skel {

// The error json.Unmarshal reports for syntactically invalid input ("unexpected end of JSON
// input", "invalid character 'x' after top-level value", ...), or nullopt if `text` is
// well-formed JSON by Go's rules.
std::optional<std::string> goJsonSyntaxError(std::string_view text);

// How Go names a JSON value's kind in UnmarshalTypeError: "string", "number", "bool", "array",
// "object" (and "null", which never produces an error).
std::string_view goJsonKind(const Json& v);

// "json: cannot unmarshal <kind> into Go struct field <field_path> of type <go_type>".
std::string goFieldTypeError(const Json& v, std::string_view field_path, std::string_view go_type);
// "json: cannot unmarshal <kind> into Go value of type <go_type>".
std::string goValueTypeError(const Json& v, std::string_view go_type);

}  // namespace cni::skel
