// src/common/sha512.h — SHA-512 (FIPS 180-4), self-contained.
//
// CNI names things by SHA-512 hex digests (cnitool's container ID, iptables chain names
// `CNI-<sha512(name+id)>`, bandwidth's ifb device names). The plugin binary is static with no
// crypto library, so a small, tested implementation lives here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cni {

std::array<uint8_t, 64> sha512(std::string_view data);
// Lower-case hex of the digest.
std::string sha512Hex(std::string_view data);

}  // namespace cni
