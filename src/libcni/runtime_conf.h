// src/libcni/runtime_conf.h — what a runtime says about one attachment (Go libcni RuntimeConf).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "src/spec/json.h"

namespace cni::libcni {

using ArgPairs = std::vector<std::pair<std::string, std::string>>;

struct RuntimeConf {
  std::string container_id;
  std::string netns;  // path, may be empty on DEL
  std::string ifname;
  ArgPairs args;  // CNI_ARGS, in order
  // Capability arguments ({"portMappings": [...], ...}); injected as runtimeConfig into plugins
  // that declare the capability. Null or an object.
  Json capability_args;
};

// One attachment named by the runtime as still valid (GC's cni.dev/valid-attachments entry).
struct GcAttachment {
  std::string container_id;
  std::string ifname;
  bool operator==(const GcAttachment&) const = default;
};

// "K1=V1;K2=V2" (Go invoke's stringify of [][2]string).
std::string joinArgs(const ArgPairs& args);

}  // namespace cni::libcni
