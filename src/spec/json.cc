// src/spec/json.cc — JSON parsing/encoding with Go-compatible behaviour (see json.h).
#include "src/spec/json.h"

#include <strings.h>

namespace cni::spec {
namespace {

template <class J>
Expected<J> parseAs(std::string_view text, std::string_view what) {
  try {
    return J::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    return fail(ErrorCode::kDecodingFailure,
                "error parsing " + std::string(what) + ": " + std::string(e.what()));
  }
}

template <class J>
const J* findKeyIn(const J& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it != obj.end()) return &*it;
  for (auto i = obj.begin(); i != obj.end(); ++i) {
    const std::string& k = i.key();
    if (k.size() == key.size() && ::strncasecmp(k.data(), key.data(), k.size()) == 0) {
      return &*i;
    }
  }
  return nullptr;
}

// Go escapes <, > and & (and U+2028/2029) in every string. In serialised JSON these characters
// can only occur inside strings, so escaping the whole text is exact.
std::string goEscape(std::string s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < s.size() && s[i + 1] == '\x80' &&
               (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
      out += s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

template <class J>
std::string marshal(const J& j, int indent) {
  return goEscape(j.dump(indent, ' ', false, J::error_handler_t::replace));
}

}  // namespace

Expected<Json> parseJson(std::string_view text, std::string_view what) {
  return parseAs<Json>(text, what);
}
Expected<OrderedJson> parseOrderedJson(std::string_view text, std::string_view what) {
  return parseAs<OrderedJson>(text, what);
}

const Json* findKey(const Json& obj, std::string_view key) { return findKeyIn(obj, key); }
const OrderedJson* findKey(const OrderedJson& obj, std::string_view key) {
  return findKeyIn(obj, key);
}

std::string goMarshal(const Json& j, int indent) { return marshal(j, indent); }
std::string goMarshal(const OrderedJson& j, int indent) { return marshal(j, indent); }

Expected<bool> goBool(const Json& v, std::string_view key) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (::strcasecmp(s.c_str(), "true") == 0) return true;
    if (::strcasecmp(s.c_str(), "false") == 0) return false;
  }
  return fail(ErrorCode::kDecodingFailure, "invalid value for \"" + std::string(key) +
                                               "\": " + v.dump() +
                                               " (expected a boolean or \"true\"/\"false\")");
}

}  // namespace cni::spec
