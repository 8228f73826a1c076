// tests/unit/common/errno_text_test.cc — Go's syscall.Errno texts: error messages built from
// errnos (open, stat, read, netns, netlink) must read exactly as the Go reference prints them.
#include "src/common/errno_text.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace cni {
namespace {

TEST(GoErrnoText, LowerCasesLikeSyscallErrno) {
  EXPECT_EQ(goErrnoText(ENOENT), "no such file or directory");
  EXPECT_EQ(goErrnoText(EACCES), "permission denied");
  EXPECT_EQ(goErrnoText(EISDIR), "is a directory");
  EXPECT_EQ(goErrnoText(ETXTBSY), "text file busy");
  EXPECT_EQ(goErrnoText(ENOEXEC), "exec format error");
  EXPECT_EQ(goErrnoText(ENODEV), "no such device");
  EXPECT_EQ(goErrnoText(EEXIST), "file exists");
  EXPECT_EQ(goErrnoText(EIO), "input/output error");
  EXPECT_EQ(goErrnoText(EREMOTEIO), "remote I/O error");
  EXPECT_EQ(goErrnoText(ERFKILL), "operation not possible due to RF-kill");
}

TEST(GoErrnoText, FollowsGosTableWhereItDiffersFromGlibc) {
  // Go keeps a leading acronym ("RFS"), not "rFS".
  EXPECT_EQ(goErrnoText(EDOTDOT), "RFS specific error");
  // Go's table predates glibc's rename of ESTALE's text.
  EXPECT_EQ(goErrnoText(ESTALE), "stale NFS file handle");
  // Numbers Go's table has no text for (glibc: "Unknown error 41", "Memory page has ...").
  EXPECT_EQ(goErrnoText(0), "errno 0");
  EXPECT_EQ(goErrnoText(41), "errno 41");
  EXPECT_EQ(goErrnoText(58), "errno 58");
  EXPECT_EQ(goErrnoText(EHWPOISON), "errno 133");
  EXPECT_EQ(goErrnoText(4095), "errno 4095");
  EXPECT_EQ(goErrnoText(-1), "errno -1");
}

}  // namespace
}  // namespace cni
