// src/skel/netconf.cc — types.NetConf decoding with Go's type errors (see netconf.h).
#include "src/skel/netconf.h"

#include "src/spec/go_json.h"

namespace cni::skel {
namespace {

Error typeError(const Json& v, std::string_view field, std::string_view go_type) {
  return Error(ErrorCode::kInternal, spec::goFieldTypeError(v, field, go_type));
}

// A string field: string or null, else Go's error naming `field` (Struct.path form).
Status stringField(const Json& obj, std::string_view key, std::string_view field,
                   std::string* out) {
  const Json* v = spec::findKey(obj, key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) return fail(typeError(*v, field, "string"));
  if (out) *out = v->get<std::string>();
  return {};
}

Status stringList(const Json& obj, std::string_view key, std::string_view field) {
  const Json* v = spec::findKey(obj, key);
  if (!v || v->is_null()) return {};
  if (!v->is_array()) return fail(typeError(*v, field, "[]string"));
  for (const Json& e : *v) {
    if (!e.is_null() && !e.is_string()) return fail(typeError(e, field, "string"));
  }
  return {};
}

Status checkCapabilities(const Json& conf) {
  const Json* v = spec::findKey(conf, "capabilities");
  if (!v || v->is_null()) return {};
  if (!v->is_object()) return fail(typeError(*v, "NetConf.capabilities", "map[string]bool"));
  for (const Json& e : *v) {
    if (!e.is_null() && !e.is_boolean()) return fail(typeError(e, "NetConf.capabilities", "bool"));
  }
  return {};
}

Status checkIpam(const Json& conf, std::string* ipam_type) {
  const Json* v = spec::findKey(conf, "ipam");
  if (!v || v->is_null()) return {};
  if (!v->is_object()) return fail(typeError(*v, "NetConf.ipam", "types.IPAM"));
  return stringField(*v, "type", "IPAM.ipam.type", ipam_type);
}

Status checkDns(const Json& conf) {
  const Json* v = spec::findKey(conf, "dns");
  if (!v || v->is_null()) return {};
  if (!v->is_object()) return fail(typeError(*v, "NetConf.dns", "types.DNS"));
  CNI_TRY(stringList(*v, "nameservers", "DNS.dns.nameservers"));
  CNI_TRY(stringField(*v, "domain", "DNS.dns.domain", nullptr));
  CNI_TRY(stringList(*v, "search", "DNS.dns.search"));
  return stringList(*v, "options", "DNS.dns.options");
}

Status checkAttachments(const Json& conf) {
  const Json* v = spec::findKey(conf, "cni.dev/valid-attachments");
  if (!v || v->is_null()) return {};
  if (!v->is_array()) {
    return fail(typeError(*v, "NetConf.cni.dev/valid-attachments", "[]types.GCAttachment"));
  }
  for (const Json& e : *v) {
    if (e.is_null()) continue;
    if (!e.is_object()) {
      return fail(typeError(e, "NetConf.cni.dev/valid-attachments", "types.GCAttachment"));
    }
    CNI_TRY(stringField(e, "containerID", "GCAttachment.cni.dev/valid-attachments.containerID",
                        nullptr));
    CNI_TRY(stringField(e, "ifname", "GCAttachment.cni.dev/valid-attachments.ifname", nullptr));
  }
  return {};
}

}  // namespace

Expected<NetConf> parseNetConf(std::string_view stdin_data) {
  if (auto syntax = spec::goJsonSyntaxError(stdin_data)) {
    return fail(ErrorCode::kInternal, std::move(*syntax));
  }
  auto parsed = spec::parseJson(stdin_data, "network configuration");
  if (!parsed) return fail(ErrorCode::kInternal, parsed.error().msg);  // e.g. invalid UTF-8
  NetConf c;
  c.raw = std::move(*parsed);
  const Json& j = c.raw;
  if (j.is_null()) return c;
  if (!j.is_object()) return fail(ErrorCode::kInternal, spec::goValueTypeError(j, "types.NetConf"));
  CNI_TRY(stringField(j, "cniVersion", "NetConf.cniVersion", &c.cni_version));
  CNI_TRY(stringField(j, "name", "NetConf.name", &c.name));
  CNI_TRY(stringField(j, "type", "NetConf.type", &c.type));
  CNI_TRY(checkCapabilities(j));
  CNI_TRY(checkIpam(j, &c.ipam_type));
  CNI_TRY(checkDns(j));
  if (const Json* prev = spec::findKey(j, "prevResult"); prev && !prev->is_null()) {
    if (!prev->is_object()) {
      return fail(typeError(*prev, "NetConf.prevResult", "map[string]interface {}"));
    }
    c.has_prev_result = true;
  }
  CNI_TRY(checkAttachments(j));
  return c;
}

}  // namespace cni::skel
