// tests/testutil/netns_fixture.h — throwaway named network namespaces for root-only tests.
//
// TestNetNs creates /run/netns/cnikit-<pid>-<n>-<tag> (unique per process and object, so
// parallel test binaries never collide) and removes it on destruction, also when the test
// failed. NetNsTest is a gtest fixture that skips without root and gives each test one fresh
// namespace (`lo` down, nothing else configured).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/netns/netns.h"

namespace cni::testutil {

class TestNetNs {
 public:
  explicit TestNetNs(std::string_view tag = "t");
  ~TestNetNs();
  TestNetNs(const TestNetNs&) = delete;
  TestNetNs& operator=(const TestNetNs&) = delete;

  // Whether creation worked; error() says why not.
  bool ok() const { return ns_.has_value(); }
  const Error& error() const { return error_; }

  const std::string& name() const { return name_; }
  std::string path() const { return netns::NetNs::namedPath(name_); }
  const netns::NetNs& ns() const { return *ns_; }

  template <class F>
  auto run(F&& f) const {
    return ns_->run(std::forward<F>(f));
  }

 private:
  std::string name_;
  std::optional<netns::NetNs> ns_;
  Error error_;
};

class NetNsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  TestNetNs& netns() { return *ns_; }

 private:
  std::optional<TestNetNs> ns_;
};

}  // namespace cni::testutil
