// plugins/meta/firewall.h — the firewall meta plugin's internals, shared by its files:
// firewall_conf.cc (config), firewall_xt.cc (iptables-nft rule encoding), firewall_iptables.cc
// (the "iptables" backend and ingress policies), firewall_firewalld.cc (D-Bus), firewall.cc
// (verbs and backend choice).
//
// The "iptables" backend writes the reference plugin's iptables rules — through nf_tables
// netlink, in the exact encoding iptables-nft 1.8.9 uses (xt `match` expressions for comment and
// conntrack, payload+cmp for -s/-d, counter, immediate verdict, NFTA_RULE_COMPAT) — into the
// tables `ip filter` / `ip6 filter`, so `iptables-nft -S` lists them as the reference's:
//   -A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD        (first)
//   -A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
//   -A CNI-FORWARD -d IP/32 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment
//      "cnikit firewall: net=N id=CID if=IF" -j ACCEPT
//   -A CNI-FORWARD -s IP/32 -m comment --comment "cnikit firewall: ..." -j ACCEPT
// Rules inside FORWARD are what lets pod traffic through on hosts whose FORWARD policy is DROP
// (docker, iptables-nft firewalls): an accept in a separate nft table cannot override that.
// Deliberate difference: the per-IP rules carry the attachment comment, so DEL works without
// prevResult and GC can find stale attachments (see docs/compatibility.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/common/ip.h"
#include "src/netlink/message.h"
#include "src/nft/expr.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"
#include "src/pluginkit/masq.h"
#include "src/skel/netconf.h"
#include "src/spec/result.h"

namespace cni::plugins::firewall {

// --- configuration (firewall_conf.cc) -------------------------------------------------------

enum class Backend { kAuto, kIptables, kFirewalld };
enum class IngressPolicy { kOpen, kSameBridge, kIsolated };

inline constexpr std::string_view kDefaultAdminChain = "CNI-ADMIN";
inline constexpr std::string_view kDefaultZone = "trusted";
// iptables refuses chain names of 29 bytes or more ("must be under 29 chars").
inline constexpr size_t kMaxChainName = 28;

struct FirewallConf {
  skel::NetConf net;
  Backend backend = Backend::kAuto;
  std::string admin_chain{kDefaultAdminChain};
  std::string zone{kDefaultZone};
  IngressPolicy ingress = IngressPolicy::kOpen;
  std::vector<pluginkit::Attachment> valid_attachments;
  std::optional<spec::Result> prev;  // as received
  std::vector<IpAddress> ips;        // every address of prevResult (the reference uses all)
  std::string bridge;                // prevResult.interfaces[0].name ("" when absent)
};

// Decodes stdin; errors carry the reference's texts (bad types: 999 "failed to load netconf:
// ..."; unknown backend / ingressPolicy / bad admin chain name: code 7). `teardown` (DEL) lets
// those three values fall back to their defaults instead: a config that ADD refused must not
// make the runtime's DEL fail and stop the cleanup of the rest of the chain.
Expected<FirewallConf> loadConf(std::string_view stdin_data, bool teardown = false);

// "cnikit firewall: net=<net> id=<cid> if=<ifname>" (<= 255 bytes: xt_comment's limit; a longer
// one names the network by a hash, then is cut).
std::string attachmentComment(std::string_view network, std::string_view container_id,
                              std::string_view ifname);
// The prefixes every comment of `network` starts with (plain and hashed form).
std::vector<std::string> attachmentPrefixes(std::string_view network);

// --- iptables-nft compatible rules (firewall_xt.cc) -----------------------------------------

inline constexpr std::string_view kTable = "filter";
inline constexpr std::string_view kForward = "FORWARD";
inline constexpr std::string_view kPrivChain = "CNI-FORWARD";
inline constexpr std::string_view kStage1 = "CNI-ISOLATION-STAGE-1";
inline constexpr std::string_view kStage2 = "CNI-ISOLATION-STAGE-2";
inline constexpr uint32_t kCtRelatedEstablished = 0x6;  // xt_conntrack state bits

// One iptables rule of the shapes this plugin writes (and reads back).
struct XtRule {
  std::optional<IpPrefix> src;
  std::optional<IpPrefix> dst;
  std::string iif;  // -i (exact name)
  bool iif_neg = false;
  std::string oif;  // -o
  bool oif_neg = false;
  uint32_t ctstate = 0;               // -m conntrack --ctstate (0: no such match)
  std::vector<std::string> comments;  // -m comment --comment, in order
  nft::Verdict verdict;
  bool foreign = false;  // read back with expressions we do not model: equals nothing

  // Same matches and verdict; a foreign rule equals nothing.
  bool operator==(const XtRule& o) const;
  // iptables-save syntax without the chain: "-d 10.0.0.2/32 -m conntrack ... -j ACCEPT".
  std::string text() const;
  // The reference's error spelling of a rule: "[-d 10.0.0.2/32 -m conntrack ... -j ACCEPT]".
  std::string goText() const;
  // The nf_tables expressions iptables-nft 1.8.9 generates for this rule.
  std::vector<nft::Expr> expressions(nft::Family f) const;
};

struct XtRuleInfo {
  std::string chain;
  uint64_t handle = 0;
  XtRule rule;
};

// Rules of one chain of `<family> filter` (empty when the table/chain does not exist).
Expected<std::vector<XtRuleInfo>> listXtRules(nft::NfSocket& s, nft::Family f,
                                              std::string_view chain);
// Names of the chains of `<family> filter`.
Expected<std::vector<std::string>> listChainNames(nft::NfSocket& s, nft::Family f);

// One atomic batch of iptables-nft compatible changes to `<family> filter`.
class XtBatch {
 public:
  explicit XtBatch(nft::Family f) : family_(f) {}
  void addTable();
  void addForwardChain();  // the built-in FORWARD: hook forward, priority 0, policy accept
  void addChain(std::string_view name);
  void insertRule(std::string_view chain, const XtRule& r);  // at the top (iptables -I)
  void appendRule(std::string_view chain, const XtRule& r);  // iptables -A
  void deleteRule(std::string_view chain, uint64_t handle);
  bool empty() const { return ops_.empty(); }
  std::string render() const;  // one line per change, for errors and tests
  Status commit(nft::NfSocket& s) const;

 private:
  struct Op {
    std::string text;
    netlink::Message msg;
  };
  void rule(std::string_view chain, const XtRule& r, bool append);
  nft::Family family_;
  std::vector<Op> ops_;
};

// --- backends -------------------------------------------------------------------------------

// The reference's fixed rules.
XtRule forwardJumpRule();
XtRule adminJumpRule(std::string_view admin_chain);
// The two per-IP rules; `comment` empty = the reference's exact rules.
std::vector<XtRule> ipRules(const IpAddress& ip, std::string_view comment);

// firewall_iptables.cc. Each takes the plugin's lock (/run/cni/firewall.lock).
Status iptablesAdd(const FirewallConf& c, std::string_view comment);
Status iptablesDel(const FirewallConf& c, std::string_view comment);
Status iptablesCheck(const FirewallConf& c, std::string_view comment);
Status iptablesGc(const FirewallConf& c);
// Isolation chains for same-bridge / isolated (raw iptables rules even with firewalld, like
// the reference); nothing for open.
Status setupIngressPolicy(const FirewallConf& c);

// firewall_firewalld.cc.
// Whether org.fedoraproject.FirewallD1 has an owner on the system bus (false when the bus is
// not there at all).
bool firewalldRunning();
Status firewalldAdd(const FirewallConf& c);
Status firewalldDel(const FirewallConf& c);
Status firewalldCheck(const FirewallConf& c);

}  // namespace cni::plugins::firewall
