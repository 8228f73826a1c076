// src/pluginkit/hostport_comment.h — the names of the portmap plugin's nftables objects and the
// comment that ties each of its rules to one attachment (network, container, interface).
//
// Shared by the plugin (plugins/meta/portmap*) and by `cnikit doctor`, which must recognise the
// rules of live and dead attachments without linking the plugins. The layout itself is described
// in plugins/meta/portmap.h.
#pragma once

#include <string>
#include <string_view>

namespace cni::pluginkit {

// `table ip cni_hostport` / `table ip6 cni_hostport` and the chains holding per-attachment rules.
inline constexpr std::string_view kHostportTable = "cni_hostport";
inline constexpr std::string_view kHostportChain = "hostports";  // DNAT, any local addr
inline constexpr std::string_view kHostIpHostportChain = "hostip_hostports";  // DNAT, hostIP
inline constexpr std::string_view kHostportMasqChain = "masquerading";        // hairpin SNAT

// "portmap net:<sha512(net)[:16]> id:": every rule of the network's attachments starts so.
std::string hostportNetworkPrefix(std::string_view network);

// "portmap net:<sha512(net)[:16]> id:<cid> if:<ifname>", cut at 128 bytes like every nft
// comment (a cut comment cannot be told apart from a longer one: callers keep such rules).
std::string hostportRuleComment(std::string_view network, std::string_view container_id,
                                std::string_view ifname);

// nft's limit on a comment (NFTNL_UDATA_COMMENT_MAXLEN, stored with a NUL).
inline constexpr size_t kHostportCommentMax = 128;

}  // namespace cni::pluginkit
