// src/spec/go_text.cc — Go fmt quoting (see go_text.h).
#include "src/spec/go_text.h"

#include <cstdint>

namespace cni::spec {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 if it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in Go).
size_t utf8SequenceLength(std::string_view s, size_t i, uint32_t& rune) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    rune = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2, rune = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, rune = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, rune = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    rune = (rune << 6) | (byte(i + k) & 0x3f);
  }
  if (rune < min || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return 0;
  return n;
}

// The non-printable runes (unicode.IsPrint false) that can plausibly occur in CNI text.
bool isNonPrintableRune(uint32_t r) {
  return (r >= 0x80 && r <= 0x9f) || r == 0xad || r == 0x2028 || r == 0x2029 || r == 0xfeff;
}

}  // namespace

std::string goQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t rune = 0;
    size_t n = utf8SequenceLength(s, i, rune);
    if (n == 0) {  // invalid byte
      unsigned char c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      ++i;
      continue;
    }
    if (n == 1) {
      char c = s[i];
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (rune < 0x20 || rune == 0x7f) {
            out += "\\x";
            out += kHex[rune >> 4];
            out += kHex[rune & 0xf];
          } else {
            out += c;
          }
      }
    } else if (isNonPrintableRune(rune)) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(rune >> shift) & 0xf];
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
  return out;
}

std::string goQuoteList(std::span<const std::string> items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += goQuote(items[i]);
  }
  return out + "]";
}

std::string goPlainList(std::span<const std::string> items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ' ';
    out += items[i];
  }
  return out + "]";
}

}  // namespace cni::spec
