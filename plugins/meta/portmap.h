// plugins/meta/portmap.h — the portmap meta plugin's internals shared by its three files:
// portmap_conf.cc (config + prevResult decoding), portmap_rules.cc (nftables), portmap.cc (verbs).
//
// Rules live in the reference's nftables-backend layout (plugins v1.5+ portmap_nftables.go), so a
// node moving between the Go plugin's nftables backend and us finds one set of tables:
//   table ip cni_hostport / table ip6 cni_hostport   (comment "CNI portmap plugin")
//     chain hostports, chain hostip_hostports        (regular: one DNAT rule per mapping)
//     chain prerouting { type nat hook prerouting priority dstnat }   rewritten on ADD unless
//         exactly: jump hostip_hostports; fib daddr type local jump hostports
//     chain output { type nat hook output priority -100 }              the same two jumps
//     chain masquerading { type nat hook postrouting priority srcnat } hairpin/localhost SNAT
// Differences (deliberate, see docs/compatibility.md): the prerouting jump to `hostports` is
// limited to local destinations (the iptables backend's `--dst-type LOCAL`; the Go nftables
// backend DNATs forwarded traffic too), the hairpin masquerade covers the pod's whole subnet
// and only DNATed connections (`ct status dnat`, as the iptables backend's mark does) and the
// rule comment names the network and interface as well as the container, so DEL, CHECK and GC
// work per attachment without runtimeConfig. DEL also removes the Go plugin's rules (comment =
// bare container ID).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"
#include "src/pluginkit/hostport_comment.h"
#include "src/pluginkit/masq.h"
#include "src/skel/netconf.h"
#include "src/spec/result.h"

namespace cni::plugins::portmap {

inline constexpr std::string_view kTable = pluginkit::kHostportTable;
inline constexpr std::string_view kHostPortsChain = pluginkit::kHostportChain;
inline constexpr std::string_view kHostIpHostPortsChain = pluginkit::kHostIpHostportChain;
inline constexpr std::string_view kMasqChain = pluginkit::kHostportMasqChain;

struct PortMapping {
  int host_port = 0;
  int container_port = 0;
  uint8_t proto = 0;                 // IPPROTO_TCP / UDP / SCTP
  std::optional<IpAddress> host_ip;  // absent: any local address
};

struct PortMapConf {
  skel::NetConf net;
  bool snat = true;
  bool masq_all = false;
  std::vector<PortMapping> mappings;
  std::vector<pluginkit::Attachment> valid_attachments;
  std::optional<spec::Result> prev;      // as received (its own version)
  std::optional<IpPrefix> container_v4;  // first v4 / v6 of CNI_IFNAME in the sandbox
  std::optional<IpPrefix> container_v6;
};

// Decodes stdin the way the Go plugin's parseConfig does (errors are its texts, without the
// verb's "failed to parse config: " prefix). iptables-only keys: see portmap_conf.cc.
Expected<PortMapConf> loadConf(std::string_view stdin_data, std::string_view ifname);

// "portmap net:<sha512(net)[:16]> id:<cid> if:<ifname>", cut at 128 bytes like every comment.
std::string ruleComment(std::string_view network, std::string_view container_id,
                        std::string_view ifname);

// ADD for one family (the container's address gives it): one atomic batch with the table, the
// chains and fresh jump rules (only when they are not already exactly so), and this
// attachment's rules (replacing any it already had).
Status forwardPorts(nft::NfSocket& sock, const PortMapConf& c, const IpPrefix& container,
                    std::string_view comment);
// CHECK: every rule forwardPorts would add is present.
Status checkPorts(nft::NfSocket& sock, const PortMapConf& c, const IpPrefix& container,
                  std::string_view comment);
// DEL: removes (both families) the rules with `comment` or with the bare container ID (the Go
// plugin's). Sends nothing when there is nothing to remove. Returns how many went.
Expected<size_t> unforwardPorts(nft::NfSocket& sock, std::string_view comment,
                                std::string_view container_id);
// GC: removes this network's rules of attachments not in `valid`.
Expected<size_t> gcPorts(nft::NfSocket& sock, std::string_view network,
                         const std::vector<pluginkit::Attachment>& valid);
// route_localnet=1 on the host interface that routes to `container` (v4, snat): lets DNATed
// 127.0.0.1 traffic leave the loopback domain.
Status enableLocalnetRouting(const IpAddress& container);

}  // namespace cni::plugins::portmap
