// src/spec/go_text.cc — Go fmt quoting and list formatting (see go_text.h); the isPrint table is
// in go_isprint.cc.
#include "src/spec/go_text.h"

namespace cni::spec {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 if it is invalid. As in Go's
// utf8.DecodeRune, overlong forms, surrogates, code points above U+10FFFF and truncated
// sequences are invalid; the caller then escapes just the first byte and resumes after it.
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

void appendHex(std::string& out, std::string_view prefix, uint32_t v, int digits) {
  out += prefix;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xf];
}

// strconv's two-character escapes, or nullptr.
const char* shortEscape(uint32_t rune) {
  switch (rune) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\a':
      return "\\a";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\v':
      return "\\v";
    default:
      return nullptr;
  }
}

}  // namespace

std::string goQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    uint32_t rune = 0;
    size_t n = utf8SequenceLength(s, i, rune);
    if (n == 0) {  // not valid UTF-8: the byte itself
      appendHex(out, "\\x", static_cast<unsigned char>(s[i]), 2);
      ++i;
      continue;
    }
    if (const char* esc = shortEscape(rune)) {
      out += esc;
    } else if (goIsPrint(rune)) {
      out.append(s.substr(i, n));
    } else if (rune < 0x20 || rune == 0x7f) {
      appendHex(out, "\\x", rune, 2);
    } else if (rune < 0x10000) {
      appendHex(out, "\\u", rune, 4);
    } else {
      appendHex(out, "\\U", rune, 8);
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
