// src/common/error.h — the one error type of cnikit, and the value-based error plumbing.
//
// Library code returns `cni::Expected<T>` (std::expected<T, cni::Error>); exceptions appear only at
// edges (JSON decoding, plugin main, the C API). `Error` carries exactly what the CNI spec puts on
// the wire (SPEC "Error" object): a numeric code, a short message and optional details.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace cni {

// Well-known CNI error codes (spec 1.1.0 §"Error"), plus the Go library's extras (8, 999).
// Values >= 100 are plugin specific; any uint32_t may be carried.
enum class ErrorCode : uint32_t {
  kUnknown = 0,
  kIncompatibleCniVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironmentVariables = 4,
  kIoFailure = 5,
  kDecodingFailure = 6,
  kInvalidNetworkConfig = 7,
  kInvalidNetNs = 8,
  kTryAgainLater = 11,
  kPluginNotAvailable = 50,
  kPluginNotAvailableLimitedConnectivity = 51,
  kInternal = 999,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string msg;
  std::string details;

  Error() = default;
  Error(ErrorCode c, std::string m, std::string d = {})
      : code(c), msg(std::move(m)), details(std::move(d)) {}

  // `<what>: <strerror(err)>` with the given code.
  static Error fromErrno(ErrorCode c, std::string_view what, int err);

  uint32_t codeValue() const { return static_cast<uint32_t>(code); }

  // Prepends "<ctx>: " to msg (Go's errors.Annotate / fmt.Errorf("%s: %w")). Returns *this.
  Error& withContext(std::string_view ctx) &;
  Error&& withContext(std::string_view ctx) &&;

  // Go's types.Error.Error(): "msg" or "msg; details".
  std::string toString() const;
};

template <class T>
using Expected = std::expected<T, Error>;
using Status = Expected<void>;

// `return fail(ErrorCode::kX, "msg")` in any function returning Expected<T>.
inline std::unexpected<Error> fail(ErrorCode c, std::string msg, std::string details = {}) {
  return std::unexpected<Error>(Error(c, std::move(msg), std::move(details)));
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }
inline std::unexpected<Error> failErrno(ErrorCode c, std::string_view what, int err) {
  return std::unexpected<Error>(Error::fromErrno(c, what, err));
}

}  // namespace cni

#define CNI_CONCAT_INNER_(a, b) a##b
#define CNI_CONCAT_(a, b) CNI_CONCAT_INNER_(a, b)

// CNI_TRY(expr): evaluate an Expected<...>; on error return it from the enclosing function.
#define CNI_TRY(expr)                                                             \
  do {                                                                            \
    auto&& cni_try_result_ = (expr);                                              \
    if (!cni_try_result_) {                                                       \
      return ::std::unexpected<::cni::Error>(std::move(cni_try_result_).error()); \
    }                                                                             \
  } while (0)

// CNI_TRY_CTX(expr, ctx): as CNI_TRY, prefixing the error message with "ctx: ".
#define CNI_TRY_CTX(expr, ctx)                                                                     \
  do {                                                                                             \
    auto&& cni_try_result_ = (expr);                                                               \
    if (!cni_try_result_) {                                                                        \
      return ::std::unexpected<::cni::Error>(std::move(cni_try_result_).error().withContext(ctx)); \
    }                                                                                              \
  } while (0)

#define CNI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                  \
  auto&& tmp = (expr);                                              \
  if (!tmp) {                                                       \
    return ::std::unexpected<::cni::Error>(std::move(tmp).error()); \
  }                                                                 \
  lhs = std::move(*tmp)

// CNI_ASSIGN_OR_RETURN(auto x, expr): declare/assign from an Expected or return its error.
#define CNI_ASSIGN_OR_RETURN(lhs, expr) \
  CNI_ASSIGN_OR_RETURN_IMPL_(CNI_CONCAT_(cni_aor_, __COUNTER__), lhs, expr)
