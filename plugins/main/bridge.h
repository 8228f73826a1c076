// plugins/main/bridge.h — the bridge plugin's configuration and the pieces its verbs share
// (bridge.cc: ADD/DEL/GC/STATUS, bridge_check.cc: CHECK, bridge_conf.cc: decoding).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/pluginkit/masq.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/result.h"

namespace cni::plugins::bridge {

inline constexpr std::string_view kDefaultBridge = "cni0";

// Every key of the reference bridge's NetConf (plugins v1.6), decoded with Go's rules.
struct BridgeConf {
  skel::NetConf net;
  std::string br_name = std::string(kDefaultBridge);  // "bridge"
  bool is_gw = false;                                 // "isGateway"
  bool is_default_gw = false;                         // "isDefaultGateway" (implies is_gw)
  bool force_address = false;                         // "forceAddress"
  bool ip_masq = false;                               // "ipMasq"
  std::string ip_masq_backend;                        // "ipMasqBackend": "", iptables, nftables
  int mtu = 0;                                        // "mtu"
  bool hairpin = false;                               // "hairpinMode"
  bool promisc = false;                               // "promiscMode"
  int vlan = 0;                                       // "vlan"
  std::vector<int> trunk;                             // "vlanTrunk", expanded and sorted
  bool preserve_default_vlan = true;                  // "preserveDefaultVlan"
  bool macspoofchk = false;                           // "macspoofchk"
  bool enable_dad = false;                            // "enabledad"
  bool disable_container_interface = false;           // "disableContainerInterface"
  bool port_isolation = false;                        // "portIsolation"
  std::vector<uint8_t> mac;  // CNI_ARGS MAC < args.cni.mac < runtimeConfig.mac (last wins)
  std::string mac_text;
  std::optional<spec::Dns> dns;  // "dns", when set (it then replaces the IPAM's)
  std::vector<pluginkit::Attachment> valid_attachments;  // "cni.dev/valid-attachments" (GC)

  bool layer3() const { return !net.ipam_type.empty(); }
  bool vlanFiltering() const { return vlan != 0 || !trunk.empty(); }
};

// Go loadNetConf + the checks cmdAdd makes before touching anything. Errors are the
// reference's texts ("failed to load netconf: ...", "invalid VLAN ID 5000 (must be between 0
// and 4094)", "cannot set hairpin mode and promiscuous mode at the same time", ...).
Expected<BridgeConf> loadConf(std::string_view stdin_data, std::string_view cni_args);

Status cmdCheck(const skel::CmdArgs& args);

}  // namespace cni::plugins::bridge
