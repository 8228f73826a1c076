// tests/unit/spec/go_text_test.cc — Go's %q (strconv.Quote), %v/%q of []string and IsPrint.
// Expected strings are what Go prints: the non-printable-rune cases were checked against the
// go1.19 reference plugins (host-local's "ARGS: invalid pair %q" on the same bytes).
#include "src/spec/go_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cni::spec {
namespace {

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(goQuote(""), R"("")");
  EXPECT_EQ(goQuote("a b"), R"("a b")");
  EXPECT_EQ(goQuote("yes"), "\"yes\"");
  EXPECT_EQ(goQuote("plain text"), R"("plain text")");
  EXPECT_EQ(goQuote("q\"b\\"), R"("q\"b\\")");
  EXPECT_EQ(goQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(goQuote("it's"), R"("it's")");  // only the double quote is escaped
  EXPECT_EQ(goQuote("\a\b\f\n\r\t\v"), R"("\a\b\f\n\r\t\v")");
  EXPECT_EQ(goQuote("line\n\ttab\r"), R"("line\n\ttab\r")");
  EXPECT_EQ(goQuote("t\tn\n\x01\x7f"), R"("t\tn\n\x01\x7f")");
  EXPECT_EQ(goQuote(std::string_view("\x00\x1f\x7f", 3)), R"("\x00\x1f\x7f")");
  EXPECT_EQ(goQuote(std::string_view("\x01\x7f\a\b\f\v", 6)), R"("\x01\x7f\a\b\f\v")");
  EXPECT_EQ(goQuote(std::string_view("nul\0", 4)), R"("nul\x00")");
}

TEST(GoQuote, KeepsPrintableUtf8) {
  EXPECT_EQ(goQuote("é✓"), "\"é✓\"");
  EXPECT_EQ(goQuote("h\xC3\xA9"), "\"h\xC3\xA9\"");
  EXPECT_EQ(goQuote("caf\xc3\xa9 \xe2\x9c\x93"), "\"caf\xc3\xa9 \xe2\x9c\x93\"");
  EXPECT_EQ(goQuote("\u00a1\u00ff\u0100"), "\"\u00a1\u00ff\u0100\"");      // Latin-1 edges
  EXPECT_EQ(goQuote("\U0001F600\U00030000"), "\"\U0001F600\U00030000\"");  // astral, Unicode 13
  EXPECT_EQ(goQuote("\uFFFD"), "\"\uFFFD\"");  // a valid U+FFFD is a symbol, kept
}

TEST(GoQuote, EscapesBytesThatAreNotValidUtf8) {
  EXPECT_EQ(goQuote("\xff"
                    "a"),
            R"("\xffa")");                                // invalid byte
  EXPECT_EQ(goQuote("bad\xff"), R"("bad\xff")");          // stray byte
  EXPECT_EQ(goQuote("\xc3"), R"("\xc3")");                // truncated sequence
  EXPECT_EQ(goQuote("bad\xff\xc3"), R"("bad\xff\xc3")");  // invalid and truncated
  EXPECT_EQ(goQuote("\xe2\x82"
                    "A"),
            R"("\xe2\x82A")");                                      // cut short by ASCII
  EXPECT_EQ(goQuote("\xc0\xaf"), R"("\xc0\xaf")");                  // overlong '/'
  EXPECT_EQ(goQuote("\xe0\x80\x80"), R"("\xe0\x80\x80")");          // overlong NUL
  EXPECT_EQ(goQuote("\xed\xa0\x80"), R"("\xed\xa0\x80")");          // UTF-16 surrogate
  EXPECT_EQ(goQuote("\xf4\x90\x80\x80"), R"("\xf4\x90\x80\x80")");  // above U+10FFFF
  EXPECT_EQ(goQuote("\xf5\x80"), R"("\xf5\x80")");
}

TEST(GoQuote, EscapesNonPrintableRunesLikeGo) {
  EXPECT_EQ(goQuote("\xc2\x85"), R"("\u0085")");  // C1 control
  EXPECT_EQ(goQuote("\u009f"), R"("\u009f")");
  EXPECT_EQ(goQuote("\u2028\u00ad"), R"("\u2028\u00ad")");  // line separator, soft hyphen
  EXPECT_EQ(goQuote("\u2029\uFEFF"), R"("\u2029\ufeff")");  // paragraph separator, BOM
  // Unicode spaces other than U+0020 are not printable for Go.
  EXPECT_EQ(goQuote("a\u00a0b"), R"("a\u00a0b")");
  EXPECT_EQ(goQuote("\u1680\u2000\u200a\u202f\u205f\u3000"),
            R"("\u1680\u2000\u200a\u202f\u205f\u3000")");
  // Format characters (zero-width, bidi controls), private use, unassigned, noncharacters.
  EXPECT_EQ(goQuote("\u200b\u200f\u202a\u2060\u2066\u061c\u180e"),
            R"("\u200b\u200f\u202a\u2060\u2066\u061c\u180e")");
  EXPECT_EQ(goQuote("\ue000\uf8ff\u0378\ud7ff\ufff9\ufffe\uffff"),
            R"("\ue000\uf8ff\u0378\ud7ff\ufff9\ufffe\uffff")");
  // Above the BMP: \U with eight digits.
  EXPECT_EQ(goQuote("\U000E0001\U000F0000\U0010FFFF"), R"("\U000e0001\U000f0000\U0010ffff")");
  // Assigned only in Unicode 14 (after the reference plugins' Go 1.19): still escaped there.
  EXPECT_EQ(goQuote("\U0001FAE0\u0870"), R"("\U0001fae0\u0870")");
}

TEST(GoIsPrint, MatchesStrconvIsPrint) {
  EXPECT_TRUE(goIsPrint(' '));
  EXPECT_TRUE(goIsPrint('~'));
  EXPECT_FALSE(goIsPrint('\t'));
  EXPECT_FALSE(goIsPrint(0x7f));
  EXPECT_FALSE(goIsPrint(0xa0));
  EXPECT_TRUE(goIsPrint(0xa1));
  EXPECT_FALSE(goIsPrint(0xad));
  EXPECT_TRUE(goIsPrint(0xff));
  EXPECT_TRUE(goIsPrint(0x100));
  EXPECT_TRUE(goIsPrint(0x4e2d));   // CJK
  EXPECT_TRUE(goIsPrint(0x1f600));  // emoji
  EXPECT_FALSE(goIsPrint(0x3000));
  EXPECT_FALSE(goIsPrint(0xd800));  // surrogate
  EXPECT_FALSE(goIsPrint(0x10ffff));
  EXPECT_FALSE(goIsPrint(0x110000));
}

TEST(GoLists, FormatLikePercentQAndPercentV) {
  std::vector<std::string> items = {"a=1", "b"};
  EXPECT_EQ(goQuoteList(items), R"(["a=1" "b"])");
  EXPECT_EQ(goQuoteList({}), "[]");
  std::vector<std::string> versions = {"", "0.1.0", "0.2.0"};
  EXPECT_EQ(goPlainList(versions), "[ 0.1.0 0.2.0]");
  EXPECT_EQ(goPlainList({}), "[]");
  EXPECT_EQ(goPlainList(std::vector<std::string>{"/a"}), "[/a]");
  EXPECT_EQ(goPlainList(std::vector<std::string>{"/a", "/b c"}), "[/a /b c]");
}

}  // namespace
}  // namespace cni::spec
