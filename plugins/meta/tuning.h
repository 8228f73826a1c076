// plugins/meta/tuning.h — the tuning plugin's configuration (tuning_conf.cc) shared with its
// commands (tuning.cc).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/netconf.h"

namespace cni::plugins::tuning {

inline constexpr std::string_view kDefaultDataDir = "/run/cni/tuning";
inline constexpr std::string_view kAllowlistFile = "/etc/cni/tuning/allowlist.conf";

using pluginkit::failPlain;
using pluginkit::plainNoDetails;

struct TuningConf {
  skel::NetConf net;
  std::string data_dir;
  std::map<std::string, std::string> sysctl;
  std::string mac;
  bool promisc = false;
  int mtu = 0;
  std::optional<bool> allmulti;
  std::optional<int> txqlen;
  std::vector<pluginkit::Attachment> valid_attachments;

  bool changesLink() const { return !mac.empty() || mtu != 0 || promisc || allmulti || txqlen; }
};

// Decodes stdin (Go-typed keys) and applies the overrides of CNI_ARGS, runtimeConfig and
// args.cni in the reference's order.
Expected<TuningConf> parseConf(std::string_view stdin_data, std::string_view env_args);
// The same key twice in a "sysctl" object is refused (the raw text is scanned).
Status checkDuplicateSysctls(std::string_view stdin_data);
// Every sysctl key matches a line of the allowlist file (absent file = no restriction).
Status validateAllowlist(const TuningConf& c);
// "net.ipv4.conf.IFNAME.arp_notify" -> "/proc/sys/net/ipv4/conf/eth0/arp_notify", lexically
// cleaned; anything that does not stay under /proc/sys/net/ is refused.
Expected<std::string> sysctlPath(std::string_view key, std::string_view ifname);

}  // namespace cni::plugins::tuning
