// src/spec/go_text.h — Go's fmt text for the values that appear inside CNI error messages.
//
// The reference implementation builds its messages with fmt verbs (%q, %v of []string); runtimes
// and tests compare those strings, so the few verbs we need are reproduced here exactly.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace cni::spec {

// strconv.Quote / fmt "%q" of a string: double-quoted, \" and \\ escaped, \a\b\f\n\r\t\v short
// escapes, other ASCII controls and invalid UTF-8 bytes as \xNN, C1 controls and the Unicode
// line/paragraph separators, soft hyphen and BOM as \uNNNN; other valid UTF-8 is kept verbatim.
std::string goQuote(std::string_view s);

// fmt "%q" of a []string: ["a" "b"]; "[]" when empty.
std::string goQuoteList(std::span<const std::string> items);

// fmt "%v" of a []string: [a b]; "[]" when empty ("" elements leave a gap: [ 0.1.0 0.2.0]).
std::string goPlainList(std::span<const std::string> items);

}  // namespace cni::spec
