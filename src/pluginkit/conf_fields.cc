// src/pluginkit/conf_fields.cc — see conf_fields.h.
#include "src/pluginkit/conf_fields.h"

#include <limits>

#include "src/spec/go_json.h"

namespace cni::pluginkit {

const Json* FieldReader::raw(std::string_view key) const {
  if (!obj_.is_object()) return nullptr;
  const Json* v = spec::findKey(obj_, key);
  return v && !v->is_null() ? v : nullptr;
}

Error FieldReader::typeError(const Json& v, std::string_view key, std::string_view go_type) const {
  std::string field = path_ + "." + std::string(key);
  if (v.is_number() && go_type == "int") {
    // Go names the offending literal for numbers that do not fit the integer type.
    return Error(ErrorCode::kInternal, "json: cannot unmarshal number " +
                                           spec::goFormatFloat(v.get<double>()) +
                                           " into Go struct field " + field + " of type int");
  }
  return Error(ErrorCode::kInternal, spec::goFieldTypeError(v, field, go_type));
}

Status FieldReader::boolean(std::string_view key, bool* out) const {
  const Json* v = raw(key);
  if (!v) return {};
  if (!v->is_boolean()) return fail(typeError(*v, key, "bool"));
  *out = v->get<bool>();
  return {};
}

Status FieldReader::integer(std::string_view key, int* out) const {
  std::optional<int> v;
  CNI_TRY(optionalInteger(key, &v));
  if (v) *out = *v;
  return {};
}

Status FieldReader::optionalInteger(std::string_view key, std::optional<int>* out) const {
  const Json* v = raw(key);
  if (!v) return {};
  // is_number_integer() is also true for unsigned values, which get<int64_t>() would wrap
  // (18446744073709550116 read as -1500): those are range-checked as unsigned.
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      *out = static_cast<int>(v->get<uint64_t>());
      return {};
    }
  } else if (v->is_number_integer()) {
    const int64_t i = v->get<int64_t>();
    if (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max()) {
      *out = static_cast<int>(i);
      return {};
    }
  }
  // Not a number, a fraction ("1.5"; Go also refuses "1.0" for an int) or out of range.
  return fail(typeError(*v, key, "int"));
}

Status FieldReader::string(std::string_view key, std::string* out) const {
  std::optional<std::string> v;
  CNI_TRY(optionalString(key, &v));
  if (v) *out = std::move(*v);
  return {};
}

Status FieldReader::optionalString(std::string_view key, std::optional<std::string>* out) const {
  const Json* v = raw(key);
  if (!v) return {};
  if (!v->is_string()) return fail(typeError(*v, key, "string"));
  *out = v->get<std::string>();
  return {};
}

namespace {

std::vector<std::string> stringList(const Json& obj, std::string_view key) {
  std::vector<std::string> out;
  if (const Json* v = spec::findKey(obj, key); v && v->is_array()) {
    for (const Json& e : *v) out.push_back(e.is_string() ? e.get<std::string>() : "");
  }
  return out;
}

std::string stringAt(const Json& obj, std::string_view key) {
  const Json* v = spec::findKey(obj, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::optional<spec::Dns> configDns(const Json& conf) {
  const Json* v = spec::findKey(conf, "dns");
  if (!v || !v->is_object()) return std::nullopt;
  auto present = [&](std::string_view k) {
    const Json* x = spec::findKey(*v, k);
    return x && !x->is_null();
  };
  spec::Dns d{.nameservers = stringList(*v, "nameservers"),
              .domain = stringAt(*v, "domain"),
              .search = stringList(*v, "search"),
              .options = stringList(*v, "options")};
  if (!present("nameservers") && !present("search") && !present("options") && d.domain.empty()) {
    return std::nullopt;
  }
  return d;
}

std::vector<Attachment> validAttachments(const Json& conf) {
  std::vector<Attachment> out;
  const Json* v = spec::findKey(conf, "cni.dev/valid-attachments");
  if (!v || !v->is_array()) return out;
  for (const Json& a : *v) {
    if (a.is_object()) out.push_back({stringAt(a, "containerID"), stringAt(a, "ifname")});
  }
  return out;
}

}  // namespace cni::pluginkit
