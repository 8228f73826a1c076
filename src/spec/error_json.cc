// src/spec/error_json.cc — encode/decode the CNI error object.
#include "src/spec/error_json.h"

#include <cstdint>

#include "src/spec/json.h"

namespace cni::spec {

std::string encodeErrorJson(const Error& e) {
  OrderedJson j;
  j["code"] = e.codeValue();
  j["msg"] = e.msg;
  if (!e.details.empty()) j["details"] = e.details;
  return goMarshal(j, 4);
}

Expected<Error> decodeErrorJson(std::string_view text) {
  CNI_ASSIGN_OR_RETURN(Json j, parseJson(text, "plugin error"));
  if (!j.is_object()) return fail(ErrorCode::kDecodingFailure, "plugin error is not an object");
  Error e(ErrorCode::kUnknown, "");
  // Go decodes into types.Error with case-insensitive field matching; wrong types fail.
  try {
    if (const Json* c = findKey(j, "code"); c && !c->is_null()) {
      // Go's uint field takes non-negative integers only. A fraction, a negative or a number
      // beyond our uint32 codes is refused: nlohmann would cast it (1e20: undefined behaviour).
      if (c->is_number() && (!c->is_number_unsigned() || c->get<uint64_t>() > UINT32_MAX)) {
        return fail(ErrorCode::kDecodingFailure,
                    "bad plugin error object: json: cannot unmarshal number " + c->dump() +
                        " into Go struct field Error.code of type uint");
      }
      e.code = static_cast<ErrorCode>(c->get<uint32_t>());
    }
    if (const Json* m = findKey(j, "msg"); m && !m->is_null()) e.msg = m->get<std::string>();
    if (const Json* d = findKey(j, "details"); d && !d->is_null()) {
      e.details = d->get<std::string>();
    }
  } catch (const std::exception& ex) {
    return fail(ErrorCode::kDecodingFailure, std::string("bad plugin error object: ") + ex.what());
  }
  return e;
}

}  // namespace cni::spec
