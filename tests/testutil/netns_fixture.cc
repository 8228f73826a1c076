// tests/testutil/netns_fixture.cc — TestNetNs / NetNsTest (see netns_fixture.h).
#include "tests/testutil/netns_fixture.h"

#include <unistd.h>

#include <atomic>

#include "tests/testutil/temp_dir.h"

namespace cni::testutil {
namespace {

std::atomic<int> g_counter{0};

}  // namespace

TestNetNs::TestNetNs(std::string_view tag)
    : name_("cnikit-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++) + "-" +
            std::string(tag)) {
  auto ns = netns::NetNs::createNamed(name_);
  if (ns) {
    ns_.emplace(std::move(*ns));
  } else {
    error_ = ns.error();
  }
}

TestNetNs::~TestNetNs() {
  if (!ns_) return;
  ns_.reset();  // close our fd first, so removal really frees the namespace
  (void)netns::NetNs::removeNamed(name_);
}

void NetNsTest::SetUp() {
  if (!isRoot()) GTEST_SKIP() << "needs root (network namespaces)";
  ns_.emplace("t");
  ASSERT_TRUE(ns_->ok()) << ns_->error().toString();
}

}  // namespace cni::testutil
