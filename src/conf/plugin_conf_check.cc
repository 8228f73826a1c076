// src/conf/plugin_conf_check.cc — json.Unmarshal's type checks for types.PluginConf
// (see plugin_conf_check.h).
#include "src/conf/plugin_conf_check.h"

#include <span>

#include "src/spec/go_json.h"

namespace cni::conf {
namespace {

using spec::goJsonKind;

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

Status checkPluginConfFields(const Json& obj) {
  if (obj.is_null()) return {};
  if (!obj.is_object()) {
    return fail(ErrorCode::kInvalidNetworkConfig, "json: cannot unmarshal " + goJsonKind(obj) +
                                                      " into Go value of type types.PluginConf");
  }
  return checkStruct(obj, kPluginConf, "");
}

}  // namespace cni::conf
