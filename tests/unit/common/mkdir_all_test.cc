// tests/unit/common/mkdir_all_test.cc — Go's os.MkdirAll: every missing component gets the
// caller's mode (never 0777, even under umask 0), existing directories are left as they are,
// and a failure carries the errno and the component that failed (callers word it themselves).
#include "src/common/mkdir_all.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/testutil/temp_dir.h"

namespace cni {
namespace {

mode_t modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

class MkdirAll : public ::testing::Test {
 protected:
  void SetUp() override { mask_ = ::umask(0); }
  void TearDown() override { ::umask(mask_); }
  testutil::TempDir tmp_;
  mode_t mask_ = 0;
};

TEST_F(MkdirAll, EveryMissingComponentGetsTheModeEvenUnderUmaskZero) {
  const std::string root = tmp_.path().string();
  ASSERT_EQ(::chmod(root.c_str(), 0755), 0);
  EXPECT_FALSE(mkdirAll(root + "/a//b/c/", 0700).has_value());
  for (const char* p : {"/a", "/a/b", "/a/b/c"}) {
    const mode_t m = modeOf(root + p);
    EXPECT_TRUE(S_ISDIR(m)) << p;
    EXPECT_EQ(m & 07777, 0700u) << p;
  }
  // The directory that was there keeps its own mode.
  EXPECT_EQ(modeOf(root) & 07777, 0755u);
  // Already there: nothing to do, nothing changed.
  ASSERT_EQ(::chmod((root + "/a/b").c_str(), 0750), 0);
  EXPECT_FALSE(mkdirAll(root + "/a/b/c", 0755).has_value());
  EXPECT_EQ(modeOf(root + "/a/b") & 07777, 0750u);
  EXPECT_EQ(modeOf(root + "/a/b/c") & 07777, 0700u);
}

TEST_F(MkdirAll, UmaskStillApplies) {
  ::umask(022);
  const std::string dir = tmp_.path().string() + "/x/y";
  EXPECT_FALSE(mkdirAll(dir, 0777).has_value());
  EXPECT_EQ(modeOf(dir) & 07777, 0755u);
}

TEST_F(MkdirAll, AFileInTheWayIsNotADirectoryAtTheRightComponent) {
  const std::string file = tmp_.write("f", "x").string();
  auto whole = mkdirAll(file, 0700);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->err, ENOTDIR);
  EXPECT_EQ(whole->path, file);

  auto below = mkdirAll(file + "/sub/dir", 0700);
  ASSERT_TRUE(below.has_value());
  EXPECT_EQ(below->err, ENOTDIR);
  EXPECT_EQ(below->path, file + "/sub");
}

TEST_F(MkdirAll, ASymlinkToADirectoryIsFollowedAsGoDoes) {
  const std::string root = tmp_.path().string();
  ASSERT_EQ(::mkdir((root + "/real").c_str(), 0755), 0);
  ASSERT_EQ(::symlink((root + "/real").c_str(), (root + "/link").c_str()), 0);
  EXPECT_FALSE(mkdirAll(root + "/link/d", 0700).has_value());
  EXPECT_TRUE(S_ISDIR(modeOf(root + "/real/d")));
}

TEST_F(MkdirAll, ARefusedMkdirNamesTheComponent) {
  // sysfs refuses new directories even to root (EPERM): a refusal that holds in CI.
  auto f = mkdirAll("/sys/cnikit-mkdir-test/a", 0700);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->err, EPERM);
  EXPECT_EQ(f->path, "/sys/cnikit-mkdir-test");
  if (::geteuid() == 0) return;  // mode bits never deny root
  const std::string root = tmp_.path().string();
  ASSERT_EQ(::mkdir((root + "/ro").c_str(), 0500), 0);
  auto denied = mkdirAll(root + "/ro/a/b", 0700);
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->err, EACCES);
  EXPECT_EQ(denied->path, root + "/ro/a");
}

TEST_F(MkdirAll, EmptyPathIsAnError) {
  auto f = mkdirAll("", 0700);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->err, ENOENT);
}

}  // namespace
}  // namespace cni
