// src/pluginkit/hostport_comment.cc — portmap's rule comments (see hostport_comment.h).
#include "src/pluginkit/hostport_comment.h"

#include "src/pluginkit/masq.h"

namespace cni::pluginkit {

std::string hostportNetworkPrefix(std::string_view network) {
  // The network hash is the masquerade one (first 16 hex digits of SHA-512 of the name).
  return "portmap net:" + masqNetworkHash(network) + " id:";
}

std::string hostportRuleComment(std::string_view network, std::string_view container_id,
                                std::string_view ifname) {
  std::string c =
      hostportNetworkPrefix(network) + std::string(container_id) + " if:" + std::string(ifname);
  if (c.size() > kHostportCommentMax) c.resize(kHostportCommentMax);
  return c;
}

}  // namespace cni::pluginkit
