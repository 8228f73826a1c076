// src/spec/go_text.h — Go's fmt text for the values that appear inside CNI error messages.
//
// The reference implementation builds its messages with fmt verbs (%q, %v of []string) and
// syscall.Errno texts; runtimes and tests compare those strings, so the few renderings we need are
// reproduced here exactly, once, for every module (spec, conf, invoke, skel, plugins).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

// goErrnoText (syscall.Errno.Error()) lives in src/common so that netns/netlink, which do not
// depend on spec, share it; it is re-exported here with the other Go texts.
#include "src/common/errno_text.h"

namespace cni::spec {

// strconv.IsPrint (= unicode.IsPrint) as of the reference plugins' Go (Unicode 13.0): letters,
// marks, numbers, punctuation, symbols and the ASCII space. U+00A0, U+00AD, the other Unicode
// spaces (U+1680, U+2000..U+200A, U+202F, U+205F, U+3000), U+2028/9, format characters such as
// U+200B..U+200F and U+FEFF, private use and unassigned runes are not printable.
bool goIsPrint(uint32_t rune);

// strconv.Quote / fmt "%q" of a string: double-quoted, \" and \\ escaped, \a\b\f\n\r\t\v short
// escapes, other ASCII controls and bytes that are not valid UTF-8 (stray bytes, truncated or
// overlong sequences, surrogates, > U+10FFFF) as \xNN, other non-printable runes (goIsPrint) as
// \uNNNN or \UNNNNNNNN; printable UTF-8 is kept verbatim.
std::string goQuote(std::string_view s);

// fmt "%q" of a []string: ["a" "b"]; "[]" when empty.
std::string goQuoteList(std::span<const std::string> items);

// fmt "%v" / "%s" of a []string: [a b]; "[]" when empty ("" elements leave a gap:
// [ 0.1.0 0.2.0]).
std::string goPlainList(std::span<const std::string> items);

}  // namespace cni::spec
