// tests/unit/common/error_test.cc — Error helpers and the propagation macros.
#include "src/common/error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace cni {
namespace {

Expected<int> half(int x) {
  if (x % 2) return fail(ErrorCode::kInvalidNetworkConfig, "odd", std::to_string(x));
  return x / 2;
}

Expected<int> quarter(int x) {
  CNI_ASSIGN_OR_RETURN(int h, half(x));
  CNI_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status checkQuarter(int x) {
  CNI_TRY_CTX(quarter(x), "quarter");
  return {};
}

TEST(Error, PropagatesFirstFailureWithContext) {
  EXPECT_EQ(*quarter(8), 2);
  auto s = checkQuarter(6);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_EQ(s.error().msg, "quarter: odd");
  EXPECT_EQ(s.error().toString(), "quarter: odd; 3");
}

TEST(Error, FromErrnoNamesTheCall) {
  Error e = Error::fromErrno(ErrorCode::kIoFailure, "open /x", ENOENT);
  EXPECT_EQ(e.msg, "open /x: No such file or directory");
  EXPECT_EQ(e.codeValue(), 5u);
}

}  // namespace
}  // namespace cni
