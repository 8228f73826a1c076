// src/spec/go_json.cc — Go encoding/json behaviour: re-marshalling decoded values, number text,
// and the scanner's/decoder's error messages (see go_json.h).
#include "src/spec/go_json.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "src/spec/go_text.h"

namespace cni::spec {
namespace {

// ---- json.Marshal of an interface{} value ----

void emit(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    // interface{} holds every number as float64, so integers are printed through the float path:
    // exact up to 2^53, rounded beyond (as Go would).
    case Json::value_t::number_integer:
      out += goFormatFloat(static_cast<double>(v.get<int64_t>()));
      return;
    case Json::value_t::number_unsigned:
      out += goFormatFloat(static_cast<double>(v.get<uint64_t>()));
      return;
    case Json::value_t::number_float:
      out += goFormatFloat(v.get<double>());
      return;
    case Json::value_t::string:
      out += goMarshal(v);
      return;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        emit(e, out);
      }
      out += ']';
      return;
    }
    case Json::value_t::object: {
      // nlohmann::json keeps object keys in a std::map<std::string>: byte-wise order, which is
      // the order Go's encoder sorts map keys in.
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        out += goMarshal(Json(it.key()));
        out += ':';
        emit(it.value(), out);
      }
      out += '}';
      return;
    }
    default:  // binary / discarded never come out of the parser
      out += "null";
      return;
  }
}

// ---- Go's scanner (encoding/json/scanner.go) ----

constexpr size_t kMaxNestingDepth = 10000;  // Go's scanner limit

bool isSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isHex(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Go's quoteChar: how the scanner names the offending byte. The byte is taken as a Latin-1 rune
// (Go's string(rune(c))) and quoted like %q, with single quotes.
std::string quoteChar(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  std::string rune;
  if (c < 0x80) {
    rune += static_cast<char>(c);
  } else {
    rune += static_cast<char>(0xc0 | (c >> 6));
    rune += static_cast<char>(0x80 | (c & 0x3f));
  }
  std::string q = goQuote(rune);
  return "'" + q.substr(1, q.size() - 2) + "'";
}

std::string invalid(unsigned char c, std::string_view context) {
  return "invalid character " + quoteChar(c) + " " + std::string(context);
}

// Go's scanner (encoding/json/scanner.go) as an explicit state machine over bytes.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  std::optional<std::string> run() {
    State st = kBeginValue;
    while (true) {
      if (st == kEndValue && stack_.empty()) st = kEndTop;
      if (st != kInString && st < kNumNeg) {
        while (i_ < s_.size() && isSpace(at())) ++i_;
      }
      if (i_ == s_.size()) {
        // A top-level number ends at EOF; any other unfinished state is a truncated document.
        const bool number_done = st == kNum0 || st == kNum1 || st == kNumDot0 || st == kNumE0;
        if (st == kEndTop || (number_done && stack_.empty())) return std::nullopt;
        return std::string("unexpected end of JSON input");
      }
      const unsigned char c = at();
      switch (st) {
        case kEndTop:
          return invalid(c, "after top-level value");
        case kBeginValueOrEmpty:
          if (c == ']') {
            ++i_;
            stack_.pop_back();
            st = kEndValue;
            continue;
          }
          st = kBeginValue;
          continue;
        case kBeginValue:
          if (auto e = beginValue(c, &st)) return e;
          continue;
        case kBeginStringOrEmpty:
          if (c == '}') {
            ++i_;
            stack_.pop_back();
            st = kEndValue;
            continue;
          }
          [[fallthrough]];
        case kBeginString:
          if (c != '"') return invalid(c, "looking for beginning of object key string");
          ++i_;
          st = kInString;
          continue;
        case kEndValue:
          if (auto e = endValue(c, &st)) return e;
          continue;
        case kInString:
          if (auto e = inString(&st)) return e;
          continue;
        default:
          if (auto e = number(&st)) return e;
          continue;
      }
    }
  }

 private:
  enum Context { kObjectKey, kObjectValue, kArrayValue };
  enum State {
    kBeginValue,
    kBeginValueOrEmpty,
    kBeginStringOrEmpty,
    kBeginString,
    kEndValue,
    kEndTop,
    kInString,
    kNumNeg,
    kNum1,
    kNum0,
    kNumDot,
    kNumDot0,
    kNumE,
    kNumESign,
    kNumE0,  // no space skipping
  };

  unsigned char at() const { return static_cast<unsigned char>(s_[i_]); }

  std::optional<std::string> push(unsigned char c, Context ctx) {
    if (stack_.size() >= kMaxNestingDepth) return invalid(c, "exceeded max depth");
    stack_.push_back(ctx);
    return std::nullopt;
  }

  std::optional<std::string> beginValue(unsigned char c, State* st) {
    ++i_;
    switch (c) {
      case '{':
        *st = kBeginStringOrEmpty;
        return push(c, kObjectKey);
      case '[':
        *st = kBeginValueOrEmpty;
        return push(c, kArrayValue);
      case '"':
        *st = kInString;
        return std::nullopt;
      case '-':
        *st = kNumNeg;
        return std::nullopt;
      case '0':
        *st = kNum0;
        return std::nullopt;
      case 't':
        *st = kEndValue;
        return literal("true");
      case 'f':
        *st = kEndValue;
        return literal("false");
      case 'n':
        *st = kEndValue;
        return literal("null");
    }
    if (c >= '1' && c <= '9') {
      *st = kNum1;
      return std::nullopt;
    }
    return invalid(c, "looking for beginning of value");
  }

  // The first letter is consumed; checks the rest.
  std::optional<std::string> literal(std::string_view word) {
    for (size_t k = 1; k < word.size(); ++k, ++i_) {
      if (i_ == s_.size()) return std::string("unexpected end of JSON input");
      if (at() != static_cast<unsigned char>(word[k])) {
        return invalid(at(), "in literal " + std::string(word) + " (expecting " +
                                 quoteChar(static_cast<unsigned char>(word[k])) + ")");
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> endValue(unsigned char c, State* st) {
    Context& top = stack_.back();
    switch (top) {
      case kObjectKey:
        if (c != ':') return invalid(c, "after object key");
        ++i_;
        top = kObjectValue;
        *st = kBeginValue;
        return std::nullopt;
      case kObjectValue:
        if (c == ',') {
          ++i_;
          top = kObjectKey;
          *st = kBeginString;
          return std::nullopt;
        }
        if (c == '}') {
          ++i_;
          stack_.pop_back();
          return std::nullopt;
        }
        return invalid(c, "after object key:value pair");
      case kArrayValue:
        if (c == ',') {
          ++i_;
          *st = kBeginValue;
          return std::nullopt;
        }
        if (c == ']') {
          ++i_;
          stack_.pop_back();
          return std::nullopt;
        }
        return invalid(c, "after array element");
    }
    return std::nullopt;
  }

  std::optional<std::string> inString(State* st) {
    while (i_ < s_.size()) {
      unsigned char c = at();
      ++i_;
      if (c == '"') {
        *st = kEndValue;
        return std::nullopt;
      }
      if (c < 0x20) return invalid(c, "in string literal");
      if (c != '\\') continue;
      if (i_ == s_.size()) break;
      unsigned char e = at();
      ++i_;
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_) {
          if (i_ == s_.size()) return std::string("unexpected end of JSON input");
          if (!isHex(at())) return invalid(at(), "in \\u hexadecimal character escape");
        }
      } else if (std::string_view("\"\\/bfnrt").find(static_cast<char>(e)) ==
                 std::string_view::npos) {
        return invalid(e, "in string escape code");
      }
    }
    return std::string("unexpected end of JSON input");
  }

  // Number states; a byte that ends the number is left for kEndValue.
  std::optional<std::string> number(State* st) {
    const unsigned char c = at();
    switch (*st) {
      case kNumNeg:
        if (c == '0') {
          ++i_;
          *st = kNum0;
          return std::nullopt;
        }
        if (c >= '1' && c <= '9') {
          ++i_;
          *st = kNum1;
          return std::nullopt;
        }
        return invalid(c, "in numeric literal");
      case kNum1:
        if (isDigit(c)) {
          ++i_;
          return std::nullopt;
        }
        [[fallthrough]];
      case kNum0:
        if (c == '.') {
          ++i_;
          *st = kNumDot;
        } else if (c == 'e' || c == 'E') {
          ++i_;
          *st = kNumE;
        } else {
          *st = kEndValue;
        }
        return std::nullopt;
      case kNumDot:
        if (!isDigit(c)) return invalid(c, "after decimal point in numeric literal");
        ++i_;
        *st = kNumDot0;
        return std::nullopt;
      case kNumDot0:
        if (isDigit(c)) {
          ++i_;
        } else if (c == 'e' || c == 'E') {
          ++i_;
          *st = kNumE;
        } else {
          *st = kEndValue;
        }
        return std::nullopt;
      case kNumE:
        if (c == '+' || c == '-') {
          ++i_;
          *st = kNumESign;
          return std::nullopt;
        }
        [[fallthrough]];
      case kNumESign:
        if (!isDigit(c)) return invalid(c, "in exponent of numeric literal");
        ++i_;
        *st = kNumE0;
        return std::nullopt;
      case kNumE0:
        if (isDigit(c)) {
          ++i_;
        } else {
          *st = kEndValue;
        }
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::vector<Context> stack_;
};

}  // namespace

std::string goReMarshal(const Json& v) {
  std::string out;
  emit(v, out);
  return out;
}

std::string goFormatFloat(double f) {
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  if (!std::isfinite(f)) return "null";  // unreachable from parsed JSON; Go would fail to marshal
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // "-d.ddde+XX", shortest
  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);

  double abs = std::fabs(f);
  if (abs < 1e-6 || abs >= 1e21) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    int a = exp < 0 ? -exp : exp;
    // %e prints at least two exponent digits; the JSON encoder then shortens "e-07" to "e-7".
    if (a < 10 && exp > 0) out += '0';
    out += std::to_string(a);
    return out;
  }
  // 'f' format: value = 0.<digits> x 10^point.
  int point = exp + 1;
  int n = static_cast<int>(digits.size());
  std::string out = sign;
  if (point <= 0) {
    out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (point >= n) {
    out += digits + std::string(static_cast<size_t>(point - n), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(point)) + "." +
           digits.substr(static_cast<size_t>(point));
  }
  return out;
}

std::string goTypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "<nil>";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "[]interface {}";
    case Json::value_t::object:
      return "map[string]interface {}";
    default:
      return "float64";
  }
}

std::string goJsonKind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

std::optional<std::string> goJsonSyntaxError(std::string_view text) { return Scanner(text).run(); }

std::string goFieldTypeError(const Json& v, std::string_view field_path, std::string_view go_type) {
  return "json: cannot unmarshal " + goJsonKind(v) + " into Go struct field " +
         std::string(field_path) + " of type " + std::string(go_type);
}

std::string goValueTypeError(const Json& v, std::string_view go_type) {
  return "json: cannot unmarshal " + goJsonKind(v) + " into Go value of type " +
         std::string(go_type);
}

}  // namespace cni::spec
