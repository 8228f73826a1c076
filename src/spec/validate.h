// src/spec/validate.h — name rules of pkg/utils (network name, container ID, interface name).
//
// Error codes follow Go: network name 7 (kInvalidNetworkConfig); container ID empty 3
// (kUnknownContainer), bad characters 4 (kInvalidEnvironmentVariables); interface name 4.
#pragma once

#include <string_view>

#include "src/common/error.h"

namespace cni::spec {

// ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$
bool isValidIdentifier(std::string_view s);

Status validateNetworkName(std::string_view name);
Status validateContainerId(std::string_view id);
// Non-empty, <= 15 bytes (IFNAMSIZ-1), not "." or "..", no '/', ':' or whitespace.
Status validateInterfaceName(std::string_view ifname);

}  // namespace cni::spec
