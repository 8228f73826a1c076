// src/pluginkit/plain_error.h — the error a Go plugin returns with fmt.Errorf.
//
// The reference plugins wrap almost every failure in a plain Go error; skel then reports it as
// code 999 whatever code the inner error had, with "<context>: <inner message>" as msg. These two
// helpers build exactly that, so each plugin does not keep its own copy.
#pragma once

#include <string>
#include <string_view>

#include "src/common/error.h"

namespace cni::pluginkit {

inline Error plainError(std::string msg) { return Error(ErrorCode::kInternal, std::move(msg)); }

// `e` re-coded as 999, its message prefixed with "<ctx>: " when ctx is given (details kept).
inline Error plainError(Error e, std::string_view ctx = {}) {
  e.code = ErrorCode::kInternal;
  if (!ctx.empty()) e.withContext(ctx);
  return e;
}

// As plainError, also dropping the details (what tuning, sbr and vrf print: Go formats the
// inner error into the message only).
inline Error plainNoDetails(Error e, std::string_view ctx = {}) {
  e.details.clear();
  return plainError(std::move(e), ctx);
}
inline std::unexpected<Error> failPlain(std::string msg) {
  return fail(plainError(std::move(msg)));
}

}  // namespace cni::pluginkit
