// src/common/error.cc — cni::Error helpers.
#include "src/common/error.h"

#include <cstring>

namespace cni {

Error Error::fromErrno(ErrorCode c, std::string_view what, int err) {
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return Error(c, std::move(m));
}

Error& Error::withContext(std::string_view ctx) & {
  std::string m(ctx);
  m += ": ";
  m += msg;
  msg = std::move(m);
  return *this;
}

Error&& Error::withContext(std::string_view ctx) && { return std::move(withContext(ctx)); }

std::string Error::toString() const {
  if (details.empty()) return msg;
  return msg + "; " + details;
}

}  // namespace cni
