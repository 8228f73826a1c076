// src/doctor/check_kernel.h — internals of the kernel-state check family,
// shared by check_kernel.cc (entry point, the kernel snapshot, bridges,
// forwarding) and check_kernel_rules.cc (masquerade and portmap rules of live
// and dead attachments).
//
// The kernel is read ONCE, inside the node's network namespace on a dedicated
// thread, into a Snapshot; every finding is then computed from the snapshot and
// the Context without touching the kernel again. Only a repair (--fix) goes
// back to the kernel, and it re-reads first.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "src/common/error.h"
#include "src/doctor/doctor.h"
#include "src/ipam/range.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netns/netns.h"
#include "src/nft/list.h"

namespace cni::doctor::kernel {

// What the node's kernel holds, read in one go.
struct Snapshot {
  std::string netns_label;  // "netns /run/netns/x" or "own netns"
  std::vector<netlink::Link> links;
  std::vector<netlink::Address> addrs;
  std::optional<std::string> ipv4_forward,
      ipv6_forward;     // nullopt: could not be read
  bool nft_ok = false;  // nf_tables could be read (else nft_error says why)
  std::string nft_error;
  std::vector<nft::RuleInfo> masq_rules;      // inet cni_plugins_masquerade, chain masq_checks
  std::vector<nft::RuleInfo> hostport_rules;  // ip + ip6 cni_hostport, every chain
  // Chain names of iptables' nat tables (ip/ip6 "nat", as iptables-nft keeps them): the Go
  // reference before its nftables backend masquerades and maps ports with per-attachment
  // chains there, CNI-<h24> and CNI-DN-<h21>, h = hex(sha512(network + containerID)).
  std::set<std::string> xt_nat_chains;
};

// The reference's iptables chain names for an attachment (see Snapshot::xt_nat_chains).
std::string referenceMasqChain(std::string_view network, std::string_view container_id);
std::string referencePortmapChain(std::string_view network, std::string_view container_id);

// One usable network, decoded as far as the kernel checks need.
struct NetInfo {
  const Network* net = nullptr;
  std::string type;    // the first plugin's type
  std::string bridge;  // bridge networks: "bridge", default "cni0"
  bool is_gw = false, ip_masq = false, force_address = false, has_portmap = false;
  int vlan = 0;
  bool host_local = false;             // first plugin's IPAM is host-local
  std::vector<ipam::RangeSet> ranges;  // host-local ranges, canonicalised (gateways filled in)
  std::string data_dir;                // host-local dataDir
  bool v6 = false;                     // has an IPv6 range

  const std::string& name() const { return net->list.name; }
  // Whether the node must forward this network's traffic (routed or masqueraded
  // pods).
  bool needsForwarding() const {
    return (type == "bridge" && (is_gw || ip_masq)) || type == "ptp" || ip_masq;
  }
};

enum class Liveness { kLive, kDead, kUnknown };

struct Attachment {
  const CacheFile* file = nullptr;
  Liveness liveness = Liveness::kUnknown;
  NetnsState netns_state = NetnsState::kUnknown;

  const libcni::CacheEntry& entry() const { return *file->entry; }
};

// Everything the analysis needs, computed once.
struct Model {
  std::vector<NetInfo> nets;
  std::vector<Attachment> attachments;  // every complete cache entry

  const NetInfo* net(std::string_view name) const;
  std::vector<const Attachment*> live(std::string_view network) const;
};

Model buildModel(const Context& c);

// The `where` of evidence about a kernel object: "<what> (netns /run/netns/x)".
std::string inNetns(const Snapshot& s, std::string_view what);

// "container <cid> (<ifname>, netns <path>)".
std::string attachmentText(const libcni::CacheEntry& e);
// "1 pod" / "2 pods".
std::string plural(size_t n, std::string_view one, std::string_view many);

// Runs fn (returning Status or Expected<T>) inside the node's network namespace
// (opts.node_netns,
// "" = the doctor's own) on a dedicated thread.
template <class F>
auto inNodeNetns(const Options& o, F&& fn) -> netns::RunResult<F> {
  auto ns = o.node_netns.empty() ? netns::NetNs::current() : netns::NetNs::open(o.node_netns);
  if (!ns) return std::unexpected(ns.error());
  return ns->run(std::forward<F>(fn));
}

// Whether a host-local lease under <data_dir>/<network> (any network dir when
// network is empty) names container `cid` and is younger than `grace`: the mark
// of an ADD still in flight.
bool youngLeaseFor(const std::string& data_dir, std::string_view network, std::string_view cid,
                   std::chrono::seconds grace);

void bridgeFindings(const Context& c, const Model& m, const Snapshot& s, Report& r);
void forwardingFindings(const Context& c, const Model& m, const Snapshot& s, Report& r);
void masqueradeFindings(const Context& c, const Model& m, const Snapshot& s, Report& r);
void portmapFindings(const Context& c, const Model& m, const Snapshot& s, Report& r);
void referenceChainFindings(const Model& m, const Snapshot& s, Report& r);

}  // namespace cni::doctor::kernel
