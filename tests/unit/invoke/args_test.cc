// tests/unit/invoke/args_test.cc — the plugin environment (Go invoke.Args.AsEnv semantics).
#include "src/invoke/args.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cni::invoke {
namespace {

// A NULL-terminated environment array over string literals.
struct FakeEnviron {
  explicit FakeEnviron(std::vector<std::string> entries) : storage(std::move(entries)) {
    for (auto& s : storage) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
  char** get() { return ptrs.data(); }
  std::vector<std::string> storage;
  std::vector<char*> ptrs;
};

TEST(BuildEnv, InheritsBaseAndSetsAllSixCniVariables) {
  FakeEnviron base({"PATH=/usr/bin", "HOME=/root", "HTTP_PROXY=http://p:3128"});
  Args a;
  a.command = "ADD";
  a.container_id = "ctr1";
  a.netns = "/run/netns/x";
  a.ifname = "eth0";
  a.plugin_args = "IgnoreUnknown=1;K=V";
  a.path = "/opt/cni/bin:/usr/lib/cni";
  EXPECT_EQ(buildEnv(a, base.get()),
            (std::vector<std::string>{"PATH=/usr/bin", "HOME=/root", "HTTP_PROXY=http://p:3128",
                                      "CNI_COMMAND=ADD", "CNI_CONTAINERID=ctr1",
                                      "CNI_NETNS=/run/netns/x", "CNI_ARGS=IgnoreUnknown=1;K=V",
                                      "CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin:/usr/lib/cni"}));
}

TEST(BuildEnv, CniValuesOverrideTheRuntimesOwnAndStaleOnesAreBlanked) {
  // A runtime that is itself running under CNI_* (e.g. a plugin delegating) must not leak its
  // CNI_CONTAINERID into a GC call, where it must be empty.
  FakeEnviron base({"CNI_COMMAND=DEL", "A=1", "CNI_CONTAINERID=stale", "A=2", "NOEQUALS"});
  auto env = buildEnv(gcStatusArgs("GC", "/opt/cni/bin"), base.get());
  EXPECT_EQ(env, (std::vector<std::string>{
                     "CNI_COMMAND=GC", "A=2", "CNI_CONTAINERID=", "NOEQUALS",
                     "CNI_NETNS=", "CNI_ARGS=", "CNI_IFNAME=", "CNI_PATH=/opt/cni/bin"}));
}

TEST(BuildEnv, ValueMayContainEqualsSigns) {
  FakeEnviron base({"X=a=b", "X=c=d"});
  auto env = buildEnv(Args{}, base.get());
  EXPECT_EQ(env[0], "X=c=d");
  EXPECT_EQ(env.size(), 7u);
}

TEST(BuildEnv, DefaultsToTheProcessEnvironment) {
  ASSERT_EQ(::setenv("CNIKIT_ARGS_TEST", "present", 1), 0);
  ASSERT_EQ(::setenv("CNI_IFNAME", "from-runtime", 1), 0);
  Args a;
  a.ifname = "net1";
  auto env = buildEnv(a);
  ::unsetenv("CNIKIT_ARGS_TEST");
  ::unsetenv("CNI_IFNAME");
  EXPECT_NE(std::find(env.begin(), env.end(), "CNIKIT_ARGS_TEST=present"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "CNI_IFNAME=net1"), env.end());
  EXPECT_EQ(std::count_if(env.begin(), env.end(),
                          [](const std::string& e) { return e.starts_with("CNI_IFNAME="); }),
            1);
}

TEST(VersionArgs, UsesDummiesForOldSkel) {
  Args a = versionArgs();
  EXPECT_EQ(a.command, "VERSION");
  EXPECT_EQ(a.netns, "dummy");
  EXPECT_EQ(a.ifname, "dummy");
  EXPECT_EQ(a.path, "dummy");
  EXPECT_EQ(a.container_id, "");
  EXPECT_EQ(a.plugin_args, "");
}

TEST(GcStatusArgs, OnlyCommandAndPath) {
  Args a = gcStatusArgs("STATUS", "/a:/b");
  EXPECT_EQ(a.command, "STATUS");
  EXPECT_EQ(a.path, "/a:/b");
  EXPECT_TRUE(a.container_id.empty() && a.netns.empty() && a.ifname.empty() &&
              a.plugin_args.empty());
}

}  // namespace
}  // namespace cni::invoke
