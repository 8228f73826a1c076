// src/ipam/text_file.cc — see text_file.h.
#include "src/ipam/text_file.h"

namespace cni::ipam {

std::string trimSpace(std::string_view s) {
  constexpr std::string_view kWs = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(kWs);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kWs);
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace cni::ipam
