// tests/unit/invoke/go_format_test.cc — Go fmt renderings used in plugin errors.
#include "src/invoke/go_format.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

namespace cni::invoke {
namespace {

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(goQuote(""), R"("")");
  EXPECT_EQ(goQuote("plain text"), R"("plain text")");
  EXPECT_EQ(goQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(goQuote("line\n\ttab\r"), R"("line\n\ttab\r")");
  EXPECT_EQ(goQuote(std::string_view("\x01\x7f\a\b\f\v", 6)), R"("\x01\x7f\a\b\f\v")");
  EXPECT_EQ(goQuote(std::string_view("nul\0", 4)), R"("nul\x00")");
  EXPECT_EQ(goQuote("caf\xc3\xa9 \xe2\x9c\x93"), "\"caf\xc3\xa9 \xe2\x9c\x93\"");  // kept
  EXPECT_EQ(goQuote("bad\xff\xc3"), R"("bad\xff\xc3")");  // invalid and truncated UTF-8
  EXPECT_EQ(goQuote("\xc0\xaf"), R"("\xc0\xaf")");        // overlong '/'
  EXPECT_EQ(goQuote("\xc2\x85"), R"("\u0085")");          // C1 control
}

TEST(GoStringList, FormatsLikePercentV) {
  EXPECT_EQ(goStringList({}), "[]");
  EXPECT_EQ(goStringList({"/a"}), "[/a]");
  EXPECT_EQ(goStringList({"/a", "/b c"}), "[/a /b c]");
}

TEST(GoErrnoText, LowerCasesLikeSyscallErrno) {
  EXPECT_EQ(goErrnoText(ENOENT), "no such file or directory");
  EXPECT_EQ(goErrnoText(EACCES), "permission denied");
  EXPECT_EQ(goErrnoText(ETXTBSY), "text file busy");
  EXPECT_EQ(goErrnoText(ENOEXEC), "exec format error");
}

TEST(GoWaitStatus, MatchesProcessStateString) {
  EXPECT_EQ(goWaitStatus(0), "exit status 0");
  EXPECT_EQ(goWaitStatus(3 << 8), "exit status 3");
  EXPECT_EQ(goWaitStatus(SIGKILL), "signal: killed");
  EXPECT_EQ(goWaitStatus(SIGTERM), "signal: terminated");
  EXPECT_EQ(goWaitStatus(SIGSEGV | 0x80), "signal: segmentation fault (core dumped)");
  EXPECT_EQ(goWaitStatus(SIGRTMIN + 1), "signal: signal " + std::to_string(SIGRTMIN + 1));
}

TEST(GoDuration, MatchesDurationString) {
  using namespace std::chrono_literals;
  EXPECT_EQ(goDuration(0ns), "0s");
  EXPECT_EQ(goDuration(999ns), "999ns");
  EXPECT_EQ(goDuration(1500ns), "1.5\u00b5s");
  EXPECT_EQ(goDuration(250ms), "250ms");
  EXPECT_EQ(goDuration(1500us), "1.5ms");
  EXPECT_EQ(goDuration(1s), "1s");
  EXPECT_EQ(goDuration(2500ms), "2.5s");
  EXPECT_EQ(goDuration(90s), "1m30s");
  EXPECT_EQ(goDuration(1h), "1h0m0s");
  EXPECT_EQ(goDuration(3723s + 100ms), "1h2m3.1s");
}

}  // namespace
}  // namespace cni::invoke
