// fuzz/fuzz_plugin_conf.cc — libFuzzer target: every plugin's stdin handling, up to (never
// including) the first namespace, link, socket, file or nftables rule.
//
// Input: one byte choosing the plugin (a key of kPlugins below, or any byte modulo their
// number), then CNI_ARGS up to the first newline, then the plugin's stdin. The decoders are the
// ones each plugin's verbs start with: skel's common NetConf and prevResult, bridge / firewall /
// portmap / tuning (their headers), host-local's IPAM config (src/ipam/config.h), and the
// file-local decoders of every other plugin (fuzz/plugin_decoders.h).
//
// Invariants (abort = bug): a refused config is an error with a message and a CNI error code;
// what a decoder accepts respects the plugin's own limits (VLAN IDs, trunk sets, MAC length,
// ports and protocols, chain names, canonical IPAM ranges, sysctl paths under
// /proc/sys/net/), DEL decodes whatever ADD does (firewall), and the rule comments that DEL and
// GC match on fit their kernel limits and start with the network's prefix.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "fuzz/plugin_decoders.h"
#include "plugins/main/bridge.h"
#include "plugins/meta/firewall.h"
#include "plugins/meta/portmap.h"
#include "plugins/meta/tuning.h"
#include "src/ipam/config.h"
#include "src/ipam/range.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/hostport_comment.h"
#include "src/skel/netconf.h"
#include "src/spec/result.h"
#include "src/spec/validate.h"

namespace cni::fuzz {
namespace {

// The attachment the decoders are asked about.
constexpr std::string_view kContainerId = "cid";
constexpr std::string_view kIfname = "eth0";

// Go's int fields (mtu, vlan, table, ...), through the reader every plugin uses: a number is
// accepted only as exactly the value written.
void checkIntegerFields(const Json& raw) {
  if (!raw.is_object()) return;
  const pluginkit::FieldReader f(raw, "NetConf");
  for (const auto& [key, v] : raw.items()) {
    std::optional<int> got;
    if (!f.optionalInteger(key, &got) || !got) continue;
    const bool exact = v.is_number_unsigned()
                           ? *got >= 0 && static_cast<uint64_t>(*got) == v.get<uint64_t>()
                           : v.is_number_integer() && *got == v.get<int64_t>();
    FUZZ_CHECK(exact,
               "int field " + key + " read as " + std::to_string(*got) + " from " + v.dump());
  }
}

Status netConf(std::string_view stdin_data, std::string_view) {
  CNI_ASSIGN_OR_RETURN(skel::NetConf net, skel::parseNetConf(stdin_data));
  checkIntegerFields(net.raw);
  (void)pluginkit::configDns(net.raw);
  (void)pluginkit::validAttachments(net.raw);
  if (net.has_prev_result) CNI_TRY(spec::parsePrevResult(net.raw));
  return {};
}

Status bridge(std::string_view stdin_data, std::string_view cni_args) {
  CNI_ASSIGN_OR_RETURN(auto c, plugins::bridge::loadConf(stdin_data, cni_args));
  FUZZ_CHECK(c.vlan >= 0 && c.vlan <= 4094, "bridge: vlan " + std::to_string(c.vlan));
  FUZZ_CHECK(std::is_sorted(c.trunk.begin(), c.trunk.end()) &&
                 std::adjacent_find(c.trunk.begin(), c.trunk.end()) == c.trunk.end() &&
                 (c.trunk.empty() || (c.trunk.front() >= 1 && c.trunk.back() <= 4094)),
             "bridge: trunk not a sorted set of VLAN IDs");
  FUZZ_CHECK(c.vlan == 0 || c.trunk.empty(), "bridge: vlan and vlanTrunk together");
  FUZZ_CHECK(c.mac_text.empty() || c.mac.size() == 6,
             "bridge: MAC of " + std::to_string(c.mac.size()) + " bytes");
  FUZZ_CHECK(!(c.hairpin && c.promisc), "bridge: hairpin and promisc together");
  FUZZ_CHECK(!c.is_default_gw || c.is_gw, "bridge: default gateway that is not a gateway");
  return {};
}

Status firewall(std::string_view stdin_data, std::string_view) {
  namespace fw = plugins::firewall;
  auto add = fw::loadConf(stdin_data, /*teardown=*/false);
  auto del = fw::loadConf(stdin_data, /*teardown=*/true);
  FUZZ_CHECK(!add || del, "firewall: DEL refuses a config ADD accepts: " + del.error().msg);
  if (!add) return fail(add.error());
  FUZZ_CHECK(!add->admin_chain.empty() && add->admin_chain.size() <= fw::kMaxChainName,
             "firewall: admin chain " + add->admin_chain);
  if (spec::validateNetworkName(add->net.name)) {  // skel lets no other name through
    const std::string comment = fw::attachmentComment(add->net.name, kContainerId, kIfname);
    const auto prefixes = fw::attachmentPrefixes(add->net.name);
    FUZZ_CHECK(comment.size() <= 255, "firewall: comment over xt_comment's 255 bytes");
    FUZZ_CHECK(std::any_of(prefixes.begin(), prefixes.end(),
                           [&](const std::string& p) { return comment.starts_with(p); }),
               "firewall: comment DEL/GC cannot match: " + comment);
  }
  return {};
}

Status portmap(std::string_view stdin_data, std::string_view) {
  namespace pm = plugins::portmap;
  CNI_ASSIGN_OR_RETURN(auto c, pm::loadConf(stdin_data, kIfname));
  for (const pm::PortMapping& m : c.mappings) {
    FUZZ_CHECK(m.host_port >= 1 && m.host_port <= 65535 && m.container_port >= 1 &&
                   m.container_port <= 65535,
               "portmap: port out of range");
    FUZZ_CHECK(m.proto == 6 || m.proto == 17 || m.proto == 132, "portmap: protocol");
  }
  const std::string comment = pm::ruleComment(c.net.name, kContainerId, kIfname);
  FUZZ_CHECK(comment.size() <= pluginkit::kHostportCommentMax, "portmap: comment too long");
  FUZZ_CHECK(comment.starts_with(pluginkit::hostportNetworkPrefix(c.net.name)),
             "portmap: comment GC cannot match: " + comment);
  return {};
}

Status tuning(std::string_view stdin_data, std::string_view cni_args) {
  namespace tu = plugins::tuning;
  (void)tu::checkDuplicateSysctls(stdin_data);
  CNI_ASSIGN_OR_RETURN(auto c, tu::parseConf(stdin_data, cni_args));
  for (const auto& [key, value] : c.sysctl) {
    auto path = tu::sysctlPath(key, kIfname);
    if (!path) continue;
    FUZZ_CHECK(path->starts_with("/proc/sys/net/") && path->find("/../") == std::string::npos &&
                   !path->ends_with("/.."),
               "tuning: sysctl " + key + " escapes /proc/sys/net: " + *path);
  }
  return {};
}

Status hostLocal(std::string_view stdin_data, std::string_view cni_args) {
  CNI_ASSIGN_OR_RETURN(ipam::IpamConfig c, ipam::loadIpamConfig(stdin_data, cni_args));
  for (const ipam::RangeSet& set : c.ranges) {
    FUZZ_CHECK(!set.empty(), "host-local: empty range set");
    for (const ipam::Range& r : set) {
      FUZZ_CHECK(r.has_subnet && r.range_start && r.range_end,
                 "host-local: range not canonical: " + r.str());
      FUZZ_CHECK(r.contains(*r.range_start) && r.contains(*r.range_end),
                 "host-local: range bounds outside the range: " + r.str());
    }
    (void)ipam::rangeSetStr(set);
  }
  return {};
}

Status staticIpam(std::string_view stdin_data, std::string_view cni_args) {
  return decodeStatic(stdin_data, cni_args);
}
Status tap(std::string_view stdin_data, std::string_view cni_args) {
  return decodeTap(stdin_data, cni_args);
}
// The plugins whose decoders take stdin only.
template <Status (*F)(std::string_view)>
Status stdinOnly(std::string_view stdin_data, std::string_view) {
  return F(stdin_data);
}

struct Plugin {
  char key;  // the input's first byte
  Status (*decode)(std::string_view stdin_data, std::string_view cni_args);
};

constexpr std::array<Plugin, 19> kPlugins = {{
    {'n', netConf},
    {'b', bridge},
    {'f', firewall},
    {'p', portmap},
    {'t', tuning},
    {'h', hostLocal},
    {'s', staticIpam},
    {'d', stdinOnly<decodeDhcp>},
    {'l', stdinOnly<decodeLoopback>},
    {'P', stdinOnly<decodePtp>},
    {'u', stdinOnly<decodeDummy>},
    {'H', stdinOnly<decodeHostDevice>},
    {'i', stdinOnly<decodeIpvlan>},
    {'m', stdinOnly<decodeMacvlan>},
    {'v', stdinOnly<decodeVlan>},
    {'T', tap},
    {'w', stdinOnly<decodeBandwidth>},
    {'S', stdinOnly<decodeSbr>},
    {'V', stdinOnly<decodeVrf>},
}};

const Plugin& pick(uint8_t b) {
  for (const Plugin& p : kPlugins) {
    if (static_cast<uint8_t>(p.key) == b) return p;
  }
  return kPlugins[b % kPlugins.size()];
}

}  // namespace
}  // namespace cni::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cni;
  fuzz::Input in(data, size);
  const fuzz::Plugin& plugin = fuzz::pick(in.byte());
  const std::string_view cni_args = in.until('\n');
  const std::string_view stdin_data = in.rest();
  if (Status s = plugin.decode(stdin_data, cni_args); !s) {
    fuzz::checkError(s.error(),
                     {ErrorCode::kIncompatibleCniVersion, ErrorCode::kUnsupportedField,
                      ErrorCode::kInvalidEnvironmentVariables, ErrorCode::kDecodingFailure,
                      ErrorCode::kInvalidNetworkConfig, ErrorCode::kInternal},
                     "plugin config");
  }
  return 0;
}
