// src/spec/error_json.h — the CNI error object on the wire (SPEC "Error"), both directions.
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"

namespace cni::spec {

// What a plugin prints on stdout before exiting 1. Matches Go skel byte for byte:
// 4-space indented {"code","msg","details"}, `details` omitted when empty, no trailing newline.
// (The spec also allows "cniVersion"; Go's skel omits it and libcni ignores it.)
std::string encodeErrorJson(const Error& e);

// Runtime side: decodes a plugin's error object ({code,msg,details}); nullopt-like failure when
// the text is not a JSON object (the caller then reports stderr instead).
Expected<Error> decodeErrorJson(std::string_view text);

}  // namespace cni::spec
