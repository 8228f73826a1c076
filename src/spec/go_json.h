// src/spec/go_json.h — the pieces of Go's encoding/json (and fmt %T) that cnikit must mimic.
//
// libcni decodes configuration into `interface{}` values and re-encodes them (what runtimes cache
// and what plugins read on stdin), and Go plugins put json.Unmarshal's error texts in their CNI
// errors. Runtimes compare those bytes and users grep for the texts, so both are reproduced here
// (behaviour of encoding/json's encoder, scanner.go and decode.go, not code):
//   * goReMarshal: json.Marshal of a value decoded into interface{} — object keys sorted
//     byte-wise, every number printed as a float64 ("1e3" -> 1000, "1.50" -> 1.5, integers beyond
//     2^53 lose precision exactly as Go's do), HTML-sensitive characters escaped. This is what
//     libcni's InjectConf / conf re-marshalling produce.
//   * goTypeName / goJsonKind: how Go names a decoded value's type and a JSON value's kind.
//   * goJsonSyntaxError / goFieldTypeError / goValueTypeError: json.Unmarshal's error texts.
// (%q and errno texts live in src/spec/go_text.h.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/spec/json.h"

namespace cni::spec {

// json.Marshal(v) where v came from json.Unmarshal(bytes, &interface{}): compact, sorted keys,
// float64 numbers, Go string escaping.
std::string goReMarshal(const Json& v);

// The number text json.Marshal emits for a float64: 'f' format with the shortest round-trip
// digits, 'e' for |f| < 1e-6 or >= 1e21 with "e-07" shortened to "e-7".
std::string goFormatFloat(double f);

// fmt %T of a decoded JSON value: string, float64, bool, <nil>, []interface {},
// map[string]interface {}.
std::string goTypeName(const Json& v);

// The JSON kind json.UnmarshalTypeError names: "string", "number", "bool", "array", "object"
// (and "null", which never produces an error in Go: it leaves the field untouched).
std::string goJsonKind(const Json& v);

// The error json.Unmarshal reports for syntactically invalid input ("unexpected end of JSON
// input", "invalid character 'x' after top-level value", ...), or nullopt if `text` is
// well-formed JSON by Go's rules.
std::optional<std::string> goJsonSyntaxError(std::string_view text);

// "json: cannot unmarshal <kind> into Go struct field <field_path> of type <go_type>".
std::string goFieldTypeError(const Json& v, std::string_view field_path, std::string_view go_type);
// "json: cannot unmarshal <kind> into Go value of type <go_type>".
std::string goValueTypeError(const Json& v, std::string_view go_type);

}  // namespace cni::spec
