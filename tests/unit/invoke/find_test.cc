// tests/unit/invoke/find_test.cc — plugin lookup on CNI_PATH and CNI_PATH splitting.
#include "src/invoke/find.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/testutil/temp_dir.h"

namespace cni::invoke {
namespace {

using cni::testutil::TempDir;

TEST(FindInPath, ReturnsFirstDirectoryHoldingARegularFile) {
  TempDir a, b, c;
  b.write("myplugin", "x", 0644);  // exec bit deliberately absent: Go does not check it
  c.write("myplugin", "x", 0755);
  auto found = findInPath("myplugin", {a.path().string(), b.path().string(), c.path().string()});
  ASSERT_TRUE(found) << found.error().msg;
  EXPECT_EQ(*found, (b.path() / "myplugin").string());
}

TEST(FindInPath, SkipsDirectoriesAndFollowsSymlinks) {
  TempDir a, b;
  std::filesystem::create_directory(a.path() / "plug");  // a directory is not a plugin
  auto target = b.write("real", "x", 0755);
  std::filesystem::create_symlink(target, b.path() / "plug");
  auto found = findInPath("plug", {a.path().string(), b.path().string()});
  ASSERT_TRUE(found) << found.error().msg;
  EXPECT_EQ(*found, (b.path() / "plug").string());  // the link's path, not its target
}

TEST(FindInPath, DanglingSymlinkIsNotFound) {
  TempDir a;
  std::filesystem::create_symlink(a.path() / "nowhere", a.path() / "plug");
  auto found = findInPath("plug", {a.path().string()});
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().msg,
            "failed to find plugin \"plug\" in path [" + a.path().string() + "]");
}

TEST(FindInPath, CleansTheJoinedPathLikeGo) {
  TempDir a;
  a.write("sub/p", "x");
  const std::string dir = a.path().string() + "//sub/./";
  auto found = findInPath("p", {dir});
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, (a.path() / "sub" / "p").string());
}

TEST(FindInPath, ErrorTextsMatchGo) {
  auto e = findInPath("", {"/x"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().msg, "no plugin name provided");
  EXPECT_EQ(e.error().code, ErrorCode::kInternal);

  e = findInPath("../bridge", {"/x"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().msg, "invalid plugin name: ../bridge");

  e = findInPath("bridge", {});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().msg, "no paths provided");

  e = findInPath("nope", {"/nonexistent/a", "/nonexistent/b"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().msg,
            R"(failed to find plugin "nope" in path [/nonexistent/a /nonexistent/b])");

  e = findInPath("we\"ird", {"/nonexistent"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().msg, R"(failed to find plugin "we\"ird" in path [/nonexistent])");
}

TEST(FindInPath, FindsTheReferencePluginWhenInstalled) {
  struct stat st;
  if (::stat("/usr/lib/cni/bridge", &st) != 0) GTEST_SKIP() << "no /usr/lib/cni/bridge";
  auto found = findInPath("bridge", splitPath("/nonexistent::/usr/lib/cni"));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, "/usr/lib/cni/bridge");
}

TEST(SplitPath, DropsEmptyEntries) {
  EXPECT_EQ(splitPath(""), std::vector<std::string>{});
  EXPECT_EQ(splitPath(":"), std::vector<std::string>{});
  EXPECT_EQ(splitPath("/opt/cni/bin"), std::vector<std::string>{"/opt/cni/bin"});
  EXPECT_EQ(splitPath("::/a::/b:"), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(splitPath("a b:c"), (std::vector<std::string>{"a b", "c"}));
}

TEST(JoinPath, InverseOfSplit) {
  EXPECT_EQ(joinPath({}), "");
  EXPECT_EQ(joinPath({"/a", "/b"}), "/a:/b");
  EXPECT_EQ(splitPath(joinPath({"/a", "/b c"})), (std::vector<std::string>{"/a", "/b c"}));
}

TEST(GoJoinPath, MatchesFilepathJoin) {
  EXPECT_EQ(goJoinPath("/opt/cni/bin", "bridge"), "/opt/cni/bin/bridge");
  EXPECT_EQ(goJoinPath("/opt/cni/bin/", "bridge"), "/opt/cni/bin/bridge");
  EXPECT_EQ(goJoinPath("/a/../b", "p"), "/b/p");
  EXPECT_EQ(goJoinPath("/..", "p"), "/p");
  EXPECT_EQ(goJoinPath("../x", "p"), "../x/p");
  EXPECT_EQ(goJoinPath("", "p"), "p");
  EXPECT_EQ(goJoinPath(".", "p"), "p");
}

}  // namespace
}  // namespace cni::invoke
