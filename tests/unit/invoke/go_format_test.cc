// tests/unit/invoke/go_format_test.cc — Go process-state and duration texts used in plugin
// errors (%q, lists and errno texts: tests/unit/spec/go_text_test.cc, tests/unit/common).
#include "src/invoke/go_format.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace cni::invoke {
namespace {

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
