// src/pluginkit/conf_fields.h — plugin-specific config keys, decoded as Go's json.Unmarshal
// decodes them into a plugin's NetConf struct.
//
// Keys match exactly first, then case-insensitively (containerd sends "HostPort", podman
// "hostPort"); JSON null leaves the default; a value of the wrong JSON type fails with Go's
// text, e.g. `json: cannot unmarshal string into Go struct field NetConf.isGateway of type bool`
// (plugins prefix it, the bridge with "failed to load netconf: "). Errors carry kInternal: Go
// plugins return them as plain errors, which skel reports as code 999.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/common/error.h"
#include "src/pluginkit/masq.h"
#include "src/spec/json.h"
#include "src/spec/result.h"

namespace cni::pluginkit {

class FieldReader {
 public:
  // `path` is the Go struct path used in errors ("NetConf", "VlanTrunk.vlanTrunk").
  FieldReader(const Json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  Status boolean(std::string_view key, bool* out) const;
  // Go `int`: a JSON number with an integral value in range.
  Status integer(std::string_view key, int* out) const;
  // Go `*int`: as integer(), and records presence.
  Status optionalInteger(std::string_view key, std::optional<int>* out) const;
  Status string(std::string_view key, std::string* out) const;
  // Go `*string`.
  Status optionalString(std::string_view key, std::optional<std::string>* out) const;
  // The raw value (nullptr when absent or null).
  const Json* raw(std::string_view key) const;
  // Go's type error for `v` at this struct's field `key`.
  Error typeError(const Json& v, std::string_view key, std::string_view go_type) const;

 private:
  const Json& obj_;
  std::string path_;
};

// The config's "dns" when it says something (Go's dnsConfSet: any of nameservers, search,
// options present, or a domain): it then replaces the IPAM plugin's DNS in the result. The
// types were already checked by skel::parseNetConf.
std::optional<spec::Dns> configDns(const Json& conf);

// "cni.dev/valid-attachments" (GC).
std::vector<Attachment> validAttachments(const Json& conf);

}  // namespace cni::pluginkit
