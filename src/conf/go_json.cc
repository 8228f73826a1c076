// src/conf/go_json.cc — Go encoding/json and fmt behaviour needed by config parsing (go_json.h).
#include "src/conf/go_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <span>

namespace cni::conf {
namespace {

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
      out += spec::goMarshal(v);
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
        out += spec::goMarshal(Json(it.key()));
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

bool asciiEqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A Go struct as json.Unmarshal sees it: which JSON keys map to which typed fields.
enum class Kind { kString, kBoolMap, kAnyMap, kStringSlice, kStruct, kStructSlice };

struct StructSpec;
struct FieldSpec {
  std::string_view name;  // the json tag
  Kind kind;
  std::string_view go_type;          // as reflect.Type.String() prints it
  const StructSpec* elem = nullptr;  // for kStruct / kStructSlice
};
struct StructSpec {
  std::string_view name;  // unqualified, as UnmarshalTypeError.Struct prints it
  std::span<const FieldSpec> fields;
};

constexpr FieldSpec kIpamFields[] = {{"type", Kind::kString, "string"}};
constexpr StructSpec kIpam{"IPAM", kIpamFields};
constexpr FieldSpec kDnsFields[] = {{"nameservers", Kind::kStringSlice, "[]string"},
                                    {"domain", Kind::kString, "string"},
                                    {"search", Kind::kStringSlice, "[]string"},
                                    {"options", Kind::kStringSlice, "[]string"}};
constexpr StructSpec kDns{"DNS", kDnsFields};
constexpr FieldSpec kAttachmentFields[] = {{"containerID", Kind::kString, "string"},
                                           {"ifname", Kind::kString, "string"}};
constexpr StructSpec kAttachment{"GCAttachment", kAttachmentFields};
constexpr FieldSpec kPluginConfFields[] = {
    {"cniVersion", Kind::kString, "string"},
    {"name", Kind::kString, "string"},
    {"type", Kind::kString, "string"},
    {"capabilities", Kind::kBoolMap, "map[string]bool"},
    {"ipam", Kind::kStruct, "types.IPAM", &kIpam},
    {"dns", Kind::kStruct, "types.DNS", &kDns},
    {"prevResult", Kind::kAnyMap, "map[string]interface {}"},
    {"cni.dev/valid-attachments", Kind::kStructSlice, "[]types.GCAttachment", &kAttachment},
};
constexpr StructSpec kPluginConf{"PluginConf", kPluginConfFields};

Status typeError(const Json& v, std::string_view struct_name, std::string_view path,
                 std::string_view go_type) {
  return fail(ErrorCode::kInvalidNetworkConfig,
              "json: cannot unmarshal " + goJsonKind(v) + " into Go struct field " +
                  std::string(struct_name) + "." + std::string(path) + " of type " +
                  std::string(go_type));
}

const FieldSpec* fieldFor(const StructSpec& s, std::string_view key) {
  for (const auto& f : s.fields) {
    if (f.name == key) return &f;
  }
  for (const auto& f : s.fields) {
    if (asciiEqualFold(f.name, key)) return &f;
  }
  return nullptr;
}

Status checkStruct(const Json& obj, const StructSpec& s, const std::string& prefix);

Status checkField(const Json& v, const FieldSpec& f, const StructSpec& owner,
                  const std::string& path) {
  if (v.is_null()) return {};  // null leaves a Go field untouched, whatever its type
  switch (f.kind) {
    case Kind::kString:
      if (!v.is_string()) return typeError(v, owner.name, path, f.go_type);
      return {};
    case Kind::kBoolMap:
      if (!v.is_object()) return typeError(v, owner.name, path, f.go_type);
      for (const auto& e : v) {
        if (!e.is_null() && !e.is_boolean()) return typeError(e, owner.name, path, "bool");
      }
      return {};
    case Kind::kAnyMap:
      if (!v.is_object()) return typeError(v, owner.name, path, f.go_type);
      return {};
    case Kind::kStringSlice:
      if (!v.is_array()) return typeError(v, owner.name, path, f.go_type);
      for (const auto& e : v) {
        if (!e.is_null() && !e.is_string()) return typeError(e, owner.name, path, "string");
      }
      return {};
    case Kind::kStruct:
      if (!v.is_object()) return typeError(v, owner.name, path, f.go_type);
      return checkStruct(v, *f.elem, path + ".");
    case Kind::kStructSlice:
      if (!v.is_array()) return typeError(v, owner.name, path, f.go_type);
      for (const auto& e : v) {
        if (e.is_null()) continue;
        if (!e.is_object()) {
          return typeError(e, owner.name, path, "types." + std::string(f.elem->name));
        }
        CNI_TRY(checkStruct(e, *f.elem, path + "."));
      }
      return {};
  }
  return {};
}

Status checkStruct(const Json& obj, const StructSpec& s, const std::string& prefix) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const FieldSpec* f = fieldFor(s, it.key());
    if (f == nullptr) continue;  // unknown keys are allowed (and preserved by the caller)
    CNI_TRY(checkField(it.value(), *f, s, prefix + std::string(f->name)));
  }
  return {};
}

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

std::string goQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '"':
        out += "\\\"";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Keep a well-formed UTF-8 sequence; escape a stray byte as Go does.
    size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len - 1;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out += '"';
  return out;
}

std::string goErrnoText(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

Status checkPluginConfFields(const Json& obj) {
  if (obj.is_null()) return {};
  if (!obj.is_object()) {
    return fail(ErrorCode::kInvalidNetworkConfig, "json: cannot unmarshal " + goJsonKind(obj) +
                                                      " into Go value of type types.PluginConf");
  }
  return checkStruct(obj, kPluginConf, "");
}

}  // namespace cni::conf
