// src/conf/go_json.h — the pieces of Go's encoding/json and fmt that config parsing must mimic.
//
// libcni decodes configuration into `interface{}` values and re-encodes them, and reports type
// mismatches with Go's own wording. Runtimes cache the resulting bytes and users grep for the error
// texts, so both are reproduced here:
//   * goReMarshal: json.Marshal of a value decoded into interface{} — object keys sorted
//     byte-wise, every number printed as a float64 ("1e3" -> 1000, "1.50" -> 1.5, integers beyond
//     2^53 lose precision exactly as Go's do), HTML-sensitive characters escaped.
//   * goTypeName: fmt's %T of such a value ("float64", "[]interface {}", "<nil>", ...).
//   * checkPluginConfFields: the type checks json.Unmarshal performs when decoding a plugin object
//     into types.PluginConf (`"type": 5` is an error in Go, not a silently ignored key).
// (goReMarshal is what libcni's InjectConf produces as well; it could move to src/spec.)
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/spec/json.h"

namespace cni::conf {

// json.Marshal(v) where v came from json.Unmarshal(bytes, &interface{}): compact, sorted keys,
// float64 numbers, Go string escaping.
std::string goReMarshal(const Json& v);

// Go's strconv.FormatFloat(f, 'g'-like json rule): the number text json.Marshal emits for a float64
// ('f' format with the shortest round-trip digits, 'e' for |f| < 1e-6 or >= 1e21, "e-07" -> "e-7").
std::string goFormatFloat(double f);

// fmt %T of a decoded JSON value: string, float64, bool, <nil>, []interface {},
// map[string]interface {}.
std::string goTypeName(const Json& v);

// The JSON kind json.UnmarshalTypeError names: string, number, bool, array, object (null never
// mismatches in Go: it leaves the field untouched).
std::string goJsonKind(const Json& v);

// fmt %q of a string (strconv.Quote): "\"...\"" with \a\b\f\n\r\t\v\\\" escaped, other control
// bytes as \xNN; UTF-8 text kept as is.
std::string goQuote(std::string_view s);

// Go's syscall.Errno text: strerror() with a lower-case first letter ("permission denied").
std::string goErrnoText(int err);

// json.Unmarshal(obj, &types.PluginConf{}) type checking: the known fields (cniVersion, name, type,
// capabilities, ipam, dns, prevResult, cni.dev/valid-attachments), matched case-insensitively as
// Go does, must have the types of the Go struct. On mismatch returns Go's message, e.g.
// "json: cannot unmarshal number into Go struct field PluginConf.type of type string", with
// code kInvalidNetworkConfig (the JSON is well-formed, its shape is wrong). A non-object `obj`
// (other than null) is also an error.
Status checkPluginConfFields(const Json& obj);

}  // namespace cni::conf
