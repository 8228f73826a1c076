// tests/unit/common/file_text_test.cc — the syscall-level text helpers: Go's strings.Fields,
// line splitting, and whole-file read/write with errno on failure.
#include "src/common/file_text.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace cni {
namespace {

using Views = std::vector<std::string_view>;

TEST(FileText, SplitFieldsIsGoStringsFields) {
  EXPECT_EQ(splitFields(""), Views{});
  EXPECT_EQ(splitFields(" \t\r\n "), Views{});
  EXPECT_EQ(splitFields("nameserver 10.0.0.1"), (Views{"nameserver", "10.0.0.1"}));
  EXPECT_EQ(splitFields("\tsearch  a.example\tb.example \r"),
            (Views{"search", "a.example", "b.example"}));
  // /proc/net/psched: four hex words and a newline.
  EXPECT_EQ(splitFields("000003e8 00000040 000f4240 3b9aca00\n"),
            (Views{"000003e8", "00000040", "000f4240", "3b9aca00"}));
}

TEST(FileText, SplitLinesKeepsEmptyLinesButNoTrailingOne) {
  EXPECT_EQ(splitLines(""), Views{});
  EXPECT_EQ(splitLines("a\n"), Views{"a"});
  EXPECT_EQ(splitLines("a\n\nb"), (Views{"a", "", "b"}));
  EXPECT_EQ(splitLines("a\r\nb\n"), (Views{"a\r", "b"}));
}

TEST(FileText, ReadAndWriteWholeFilesWithErrnoOnFailure) {
  testutil::TempDir tmp;
  const std::string path = (tmp.path() / "f").string();
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ASSERT_TRUE(writeFileText(path, "first version, longer\n"));
  ASSERT_TRUE(writeFileText(path, "12345"));  // truncates
  EXPECT_EQ(readFileText(path), "12345");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u & ~mask);
  // Bigger than the read buffer.
  const std::string big(10000, 'x');
  ASSERT_TRUE(writeFileText(path, big));
  EXPECT_EQ(readFileText(path), big);

  errno = 0;
  EXPECT_EQ(readFileText((tmp.path() / "missing").string()), std::nullopt);
  EXPECT_EQ(errno, ENOENT);
  errno = 0;
  EXPECT_EQ(readFileText(tmp.path().string()), std::nullopt);  // a directory: read fails
  EXPECT_EQ(errno, EISDIR);
  errno = 0;
  EXPECT_FALSE(writeFileText((tmp.path() / "no" / "dir").string(), "x"));
  EXPECT_EQ(errno, ENOENT);
}

}  // namespace
}  // namespace cni
