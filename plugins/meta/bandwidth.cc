// plugins/meta/bandwidth.cc — the bandwidth meta plugin (reference doc §6.15): token-bucket
// shaping of a pod's traffic on the host end of its veth. Chained after a main plugin.
//
//   config  ingressRate/ingressBurst/egressRate/egressBurst (bits/s, bits) at the top level, or
//           runtimeConfig.bandwidth (the "bandwidth" capability); any top-level key wins, keys
//           match case-insensitively (containerd capitalises). Rate and burst go together;
//           burst/8 must stay below 4 GiB. All zero: the prevResult passes through.
//   ADD     the host veth = the peer (IFLA_LINK) of the pod's CNI_IFNAME, which must be listed
//           in prevResult without a sandbox. Ingress (towards the pod): root TBF 1: on the host
//           veth. Egress (from the pod): ifb `bwp<hash(net+cid)>` (MTU of the host veth, up),
//           ingress qdisc ffff: on the host veth with a u32 match-all mirred redirect to the
//           ifb, root TBF 1: on the ifb; the ifb is appended to the result's interfaces.
//           TBF: rate/8 bytes/s, buffer from burst/8, limit = 25 ms of rate + burst/8.
//           Unlike the reference, a failure undoes what this ADD created.
//   DEL     deletes the ifb (the host veth and its qdiscs go with the main plugin's DEL);
//           absent ifb = success.
//   CHECK   the TBFs on the host veth and on the ifb carry the configured rate/limit/buffer.
//   GC      (our extension; the reference has none) deletes ifbs of attachments no longer
//           valid. The ifb name is a hash of network name + container ID and cannot be mapped
//           back, and other networks' ifbs look the same, so ADD labels its ifb with the alias
//           "cnikit-bandwidth:<network>" and GC only touches ifbs carrying this network's label
//           whose name is not that of a valid attachment. Reference-made ifbs are left alone.
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>

#include <limits>

#include "src/common/rollback.h"
#include "src/common/sha512.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/tc.h"
#include "src/netns/netns.h"
#include "src/pluginkit/conf_fields.h"
#include "src/pluginkit/plain_error.h"
#include "src/skel/netconf.h"
#include "src/skel/skel.h"
#include "src/spec/go_json.h"
#include "src/spec/json.h"
#include "src/spec/result.h"
#include "src/spec/version.h"

namespace cni::plugins::bandwidth {

using pluginkit::plainError;
namespace {

using netlink::Link;
using netlink::Socket;

constexpr uint32_t kLatencyMs = 25;
constexpr size_t kMaxIfbNameLength = 15;
constexpr std::string_view kIfbPrefix = "bwp";
constexpr std::string_view kAliasPrefix = "cnikit-bandwidth:";

struct Entry {
  uint64_t ingress_rate = 0;
  uint64_t ingress_burst = 0;
  uint64_t egress_rate = 0;
  uint64_t egress_burst = 0;

  bool isZero() const {
    return ingress_rate == 0 && ingress_burst == 0 && egress_rate == 0 && egress_burst == 0;
  }
};

struct BandwidthConf {
  skel::NetConf net;
  std::optional<Entry> bw;  // nullopt: no bandwidth given at all
  std::optional<spec::Result> prev;
  std::vector<pluginkit::Attachment> valid_attachments;
};

constexpr std::string_view kKeys[] = {"ingressRate", "ingressBurst", "egressRate", "egressBurst"};

// Go's json into a uint64 field: non-negative integers only.
Status readU64(const pluginkit::FieldReader& f, std::string_view path, std::string_view key,
               uint64_t* out) {
  const Json* v = f.raw(key);
  if (!v) return {};
  if (v->is_number_unsigned()) {
    *out = v->get<uint64_t>();
    return {};
  }
  if (v->is_number_integer() && v->get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(v->get<int64_t>());
    return {};
  }
  if (v->is_number()) {
    return fail(ErrorCode::kInternal, "json: cannot unmarshal number " + v->dump() +
                                          " into Go struct field " + std::string(path) + "." +
                                          std::string(key) + " of type uint64");
  }
  return fail(f.typeError(*v, key, "uint64"));
}

Expected<Entry> readEntry(const Json& obj, std::string path) {
  pluginkit::FieldReader f(obj, path);
  Entry e;
  uint64_t* dst[] = {&e.ingress_rate, &e.ingress_burst, &e.egress_rate, &e.egress_burst};
  for (size_t i = 0; i < std::size(kKeys); ++i) CNI_TRY(readU64(f, path, kKeys[i], dst[i]));
  return e;
}

Status validateRateAndBurst(uint64_t rate, uint64_t burst) {
  if (burst == 0 && rate != 0) {
    return fail(ErrorCode::kInternal, "if rate is set, burst must also be set");
  }
  if (rate == 0 && burst != 0) {
    return fail(ErrorCode::kInternal, "if burst is set, rate must also be set");
  }
  if (burst / 8 >= std::numeric_limits<uint32_t>::max()) {
    return fail(ErrorCode::kInternal, "burst cannot be more than 4GB");
  }
  return {};
}

Expected<BandwidthConf> loadConf(std::string_view stdin_data) {
  BandwidthConf c;
  auto net = skel::parseNetConf(stdin_data);
  if (!net) return fail(plainError(net.error(), "failed to parse network configuration"));
  c.net = std::move(*net);
  const Json& raw = c.net.raw;
  // Go decodes the keys into an embedded *BandwidthEntry: any one of them present allocates it,
  // and it then wins over runtimeConfig.bandwidth as a whole.
  bool top_level = false;
  for (std::string_view k : kKeys) top_level = top_level || spec::findKey(raw, k) != nullptr;
  auto entry = [&]() -> Expected<std::optional<Entry>> {
    if (top_level) return readEntry(raw, "PluginConf");
    const Json* rc = spec::findKey(raw, "runtimeConfig");
    if (!rc || !rc->is_object()) return std::optional<Entry>{};
    const Json* b = spec::findKey(*rc, "bandwidth");
    if (!b || b->is_null()) return std::optional<Entry>{};
    if (!b->is_object()) {
      return fail(
          ErrorCode::kInternal,
          spec::goFieldTypeError(*b, "PluginConf.runtimeConfig.bandwidth", "main.BandwidthEntry"));
    }
    // Go names this path after the embedded type: "BandwidthEntry.runtimeConfig.bandwidth".
    return readEntry(*b, "BandwidthEntry.runtimeConfig.bandwidth");
  }();
  if (!entry) return fail(plainError(entry.error(), "failed to parse network configuration"));
  c.bw = *entry;
  if (c.bw) {
    CNI_TRY(validateRateAndBurst(c.bw->ingress_rate, c.bw->ingress_burst));
    CNI_TRY(validateRateAndBurst(c.bw->egress_rate, c.bw->egress_burst));
  }
  if (c.net.has_prev_result) {
    auto prev = spec::parsePrevResult(raw);
    if (!prev) return fail(plainError(prev.error()));
    if (*prev) {
      auto cur = spec::convertResult(**prev, spec::kCurrentVersion);
      if (!cur) {
        return fail(plainError(cur.error(), "could not convert result to current version"));
      }
      c.prev = std::move(*cur);
    }
  }
  c.valid_attachments = pluginkit::validAttachments(raw);
  return c;
}

// utils.MustFormatHashWithPrefix(15, "bwp", net + cid).
std::string ifbName(std::string_view network, std::string_view container_id) {
  std::string s(network);
  s += container_id;
  return std::string(kIfbPrefix) + sha512Hex(s).substr(0, kMaxIfbNameLength - kIfbPrefix.size());
}

// The host end of the pod's veth: its IFLA_LINK peer, which prevResult must list on the host.
Expected<Link> hostInterface(Socket& sock, const netns::NetNs& ns, std::string_view ifname,
                             const std::vector<spec::Interface>& interfaces) {
  if (interfaces.empty()) return fail(ErrorCode::kInternal, "no interfaces provided");
  std::string why;
  auto peer_of = ns.run([&]() -> int {
    auto s = Socket::open();
    if (!s) {
      why = s.error().msg;
      return -1;
    }
    auto l = netlink::getLinkByName(*s, ifname);
    if (!l) {
      why = "could not look up \"" + std::string(ifname) + "\": " + l.error().msg;
      return -1;
    }
    if (l->kind != "veth") {
      why = "interface \"" + std::string(ifname) + "\" was not a veth interface";
      return -1;
    }
    return l->parent;
  });
  if (!peer_of) why = peer_of.error().msg;
  const int peer = peer_of ? *peer_of : -1;
  if (peer <= 0) {
    return fail(ErrorCode::kInternal,
                "container interface " + std::string(ifname) + " has no veth peer: " + why);
  }
  auto link = netlink::findLinkByIndex(sock, peer);
  if (!link || !*link) {
    return fail(ErrorCode::kInternal,
                "veth peer with index " + std::to_string(peer) + " is not in host ns");
  }
  for (const spec::Interface& i : interfaces) {
    if (i.sandbox.empty() && i.name == (*link)->name) return **link;
  }
  return fail(ErrorCode::kInternal, "no veth peer of container interface found in host ns");
}

Expected<netns::NetNs> openNs(std::string_view path) {
  auto ns = netns::NetNs::open(path);
  // Go formats its (nil) netns handle with %q here.
  if (!ns) return fail(plainError(ns.error(), "failed to open netns %!q(<nil>)"));
  return std::move(*ns);
}

Expected<netlink::TbfParams> tbfParams(uint64_t rate_bits, uint64_t burst_bits) {
  CNI_ASSIGN_OR_RETURN(netlink::PschedClock clock, netlink::schedClock());
  return netlink::tbfFromBits(rate_bits, burst_bits, kLatencyMs, clock);
}

Status createTbf(Socket& sock, int ifindex, uint64_t rate_bits, uint64_t burst_bits) {
  CNI_ASSIGN_OR_RETURN(netlink::TbfParams p, tbfParams(rate_bits, burst_bits));
  Status s = netlink::addTbf(sock, ifindex, netlink::makeTcHandle(1, 0), netlink::kTcHandleRoot, p);
  if (!s) return fail(plainError(s.error(), "create qdisc"));
  return {};
}

Expected<std::string> cmdAdd(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BandwidthConf c, loadConf(args.stdin_data));
  if (!c.bw || c.bw->isZero()) {
    if (!c.prev) return fail(ErrorCode::kInternal, "must be called as chained plugin");
    CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(*c.prev, c.net.cni_version));
    return spec::encodeResult(out);
  }
  if (!c.prev) return fail(ErrorCode::kInternal, "must be called as chained plugin");
  spec::Result result = *c.prev;
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, openNs(args.netns));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  CNI_ASSIGN_OR_RETURN(Link host, hostInterface(sock, ns, args.ifname, result.interfaces));
  const Entry& bw = *c.bw;
  Rollback undo;
  if (bw.ingress_rate > 0 && bw.ingress_burst > 0) {
    CNI_TRY(createTbf(sock, host.index, bw.ingress_rate, bw.ingress_burst));
    undo.add([&sock, &host] {
      (void)netlink::deleteQdisc(sock, host.index, netlink::makeTcHandle(1, 0),
                                 netlink::kTcHandleRoot);
    });
  }
  if (bw.egress_rate > 0 && bw.egress_burst > 0) {
    const std::string name = ifbName(c.net.name, args.container_id);
    Status s = netlink::createIfb(sock, {.name = name, .mtu = host.mtu, .up = true});
    if (!s) return fail(plainError(s.error(), "adding link"));
    undo.add([&sock, name] { (void)netlink::deleteLinkByName(sock, name); });
    CNI_ASSIGN_OR_RETURN(Link ifb, netlink::getLinkByName(sock, name));
    // Our label for GC (see the header comment); the name alone cannot tell networks apart.
    CNI_TRY(netlink::setLinkAlias(sock, ifb.index, std::string(kAliasPrefix) + c.net.name));
    result.interfaces.push_back(spec::Interface{.name = name, .mac = ifb.macString()});

    if (Status st = netlink::addIngressQdisc(sock, host.index); !st) {
      return fail(plainError(st.error(), "create ingress qdisc"));
    }
    undo.add([&sock, &host] {
      (void)netlink::deleteQdisc(sock, host.index, netlink::kIngressQdiscHandle,
                                 netlink::kTcHandleIngress);
    });
    // The reference's filter carries the mirred redirect twice (its netlink library prepends
    // one for RedirIndex, verdict "stolen", to the explicit one, verdict "pass"); the first
    // steals the packet, so the second never runs. Kept identical for `tc filter show`.
    const std::vector<netlink::MirredAction> actions = {
        {.eaction = TCA_EGRESS_REDIR,
         .ifindex = static_cast<uint32_t>(ifb.index),
         .verdict = TC_ACT_STOLEN},
        {.eaction = TCA_EGRESS_REDIR,
         .ifindex = static_cast<uint32_t>(ifb.index),
         .verdict = TC_ACT_OK},
    };
    if (Status st = netlink::addU32Redirect(sock, host.index, netlink::kIngressQdiscHandle, 1,
                                            ETH_P_ALL, netlink::makeTcHandle(1, 1), actions);
        !st) {
      return fail(plainError(st.error(), "add filter"));
    }
    if (Status st = createTbf(sock, ifb.index, bw.egress_rate, bw.egress_burst); !st) {
      return fail(plainError(st.error(), "create ifb qdisc"));
    }
  }
  CNI_ASSIGN_OR_RETURN(spec::Result out, spec::convertResult(result, c.net.cni_version));
  undo.commit();
  return spec::encodeResult(out);
}

Status cmdDel(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BandwidthConf c, loadConf(args.stdin_data));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  CNI_ASSIGN_OR_RETURN(auto gone,
                       netlink::deleteLinkByName(sock, ifbName(c.net.name, args.container_id)));
  (void)gone;  // kNotFound: no egress shaping, or a repeated DEL
  return {};
}

// The root TBF of `link` must carry exactly `want`.
Status checkTbf(Socket& sock, const Link& link, const netlink::TbfParams& want) {
  CNI_ASSIGN_OR_RETURN(std::vector<netlink::Qdisc> qdiscs, netlink::listQdiscs(sock, link.index));
  std::erase_if(qdiscs, [](const netlink::Qdisc& q) { return q.kind == "pfifo_fast"; });
  if (qdiscs.empty()) return fail(ErrorCode::kInternal, "Failed to find qdisc");
  const netlink::Qdisc* root = nullptr;
  for (const auto& q : qdiscs) {
    if (q.parent == netlink::kTcHandleRoot) root = &q;
  }
  if (!root || !root->tbf) {
    return fail(ErrorCode::kInternal, "Failed to find tbf qdisc on " + link.name);
  }
  if (root->tbf->rate != want.rate) return fail(ErrorCode::kInternal, "Rate doesn't match");
  if (root->tbf->limit != want.limit) return fail(ErrorCode::kInternal, "Limit doesn't match");
  if (root->tbf->buffer != want.buffer) return fail(ErrorCode::kInternal, "Buffer doesn't match");
  return {};
}

Status cmdCheck(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BandwidthConf c, loadConf(args.stdin_data));
  if (!c.prev) return fail(ErrorCode::kInternal, "must be called as a chained plugin");
  CNI_ASSIGN_OR_RETURN(netns::NetNs ns, openNs(args.netns));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  CNI_ASSIGN_OR_RETURN(Link host, hostInterface(sock, ns, args.ifname, c.prev->interfaces));
  if (!c.bw) return {};
  const Entry& bw = *c.bw;
  if (bw.ingress_rate > 0 && bw.ingress_burst > 0) {
    CNI_ASSIGN_OR_RETURN(netlink::TbfParams p, tbfParams(bw.ingress_rate, bw.ingress_burst));
    CNI_TRY(checkTbf(sock, host, p));
  }
  if (bw.egress_rate > 0 && bw.egress_burst > 0) {
    auto ifb = netlink::getLinkByName(sock, ifbName(c.net.name, args.container_id));
    if (!ifb) return fail(plainError(ifb.error(), "get ifb device"));
    CNI_ASSIGN_OR_RETURN(netlink::TbfParams p, tbfParams(bw.egress_rate, bw.egress_burst));
    CNI_TRY(checkTbf(sock, *ifb, p));
  }
  return {};
}

Status cmdGc(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BandwidthConf c, loadConf(args.stdin_data));
  std::vector<std::string> keep;
  for (const auto& a : c.valid_attachments) keep.push_back(ifbName(c.net.name, a.container_id));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  CNI_ASSIGN_OR_RETURN(std::vector<Link> links, netlink::listLinks(sock));
  const std::string label = std::string(kAliasPrefix) + c.net.name;
  for (const Link& l : links) {
    if (l.kind != "ifb" || !l.name.starts_with(kIfbPrefix) || l.alias != label) continue;
    if (std::ranges::find(keep, l.name) != keep.end()) continue;
    CNI_ASSIGN_OR_RETURN(auto gone, netlink::deleteLink(sock, l.index));
    (void)gone;  // a concurrent DEL got there first
  }
  return {};
}

Status cmdStatus(const skel::CmdArgs& args) {
  CNI_ASSIGN_OR_RETURN(BandwidthConf c, loadConf(args.stdin_data));
  (void)c;
  return {};
}

constexpr std::span<const std::string_view> kVersions =
    std::span<const std::string_view>(spec::kAllVersions).subspan(2);  // 0.3.0 and later
static_assert(kVersions.front() == "0.3.0");

}  // namespace

extern const skel::PluginSpec kSpec;
constinit const skel::PluginSpec kSpec = {
    .name = "bandwidth",
    .versions = kVersions,
    .add = cmdAdd,
    .del = cmdDel,
    .check = cmdCheck,
    .gc = cmdGc,
    .status = cmdStatus,
};

}  // namespace cni::plugins::bandwidth
