// plugins/meta/firewall_iptables.cc — the "iptables" backend and the ingress policies, written
// through nf_tables in iptables-nft's encoding (firewall_xt.cc).
//
// Every verb reads the table first and sends one batch per family with only what is missing,
// so a batch never fails on "already there"/"not there" (docs/kernel-floor.md: an aborted batch
// costs a synchronize_rcu) and repeated ADDs add nothing. Reading and writing happen under
// /run/cni/firewall.lock (flock): two first ADDs at once would otherwise both see no FORWARD
// jump and both insert one — the reference has exactly that race (iptables -C then -I).
//
// Rule ownership: our per-IP rules carry the attachment comment. DEL removes those, and — when
// prevResult names the IPs — the reference's comment-less rules for them too, so a node that
// moves from the Go plugin to cnikit cleans up after it. The shared rules (FORWARD jump, admin
// jump, isolation chains) stay, as in the reference: other attachments use them.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "plugins/meta/firewall.h"
#include "src/common/scope_guard.h"
#include "src/common/unique_fd.h"
#include "src/nft/list.h"

namespace cni::plugins::firewall {
namespace {

using nft::Family;

constexpr const char* kLockDir = "/run/cni";
constexpr const char* kLockPath = "/run/cni/firewall.lock";
constexpr std::string_view kSameBridgeComment =
    "CNI firewall plugin rules (ingressPolicy: same-bridge)";
constexpr std::string_view kIsolatedComment = "CNI firewall plugin rules (ingressPolicy: isolated)";

// flock(LOCK_EX) on the plugin's lock file for the lifetime of the value.
class FileLock {
 public:
  static Expected<FileLock> acquire() {
    (void)::mkdir(kLockDir, 0755);
    UniqueFd fd(::open(kLockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return failErrno(ErrorCode::kIoFailure, std::string("open ") + kLockPath, errno);
    int rc;
    do {
      rc = ::flock(fd.get(), LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return failErrno(ErrorCode::kIoFailure, std::string("flock ") + kLockPath, errno);
    return FileLock(std::move(fd));
  }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

std::vector<Family> familiesOf(const std::vector<IpAddress>& ips) {
  std::vector<Family> out;
  if (std::ranges::any_of(ips, [](const IpAddress& a) { return a.isV4(); })) {
    out.push_back(Family::kIp);
  }
  if (std::ranges::any_of(ips, [](const IpAddress& a) { return a.isV6(); })) {
    out.push_back(Family::kIp6);
  }
  return out;
}

bool inFamily(const IpAddress& a, Family f) { return a.isV4() == (f == Family::kIp); }

// What `<family> filter` holds now.
struct TableState {
  bool table = false;
  std::set<std::string> chains;
  std::map<std::string, std::vector<XtRuleInfo>, std::less<>> rules;

  bool has(std::string_view chain, const XtRule& r) const {
    auto it = rules.find(chain);
    if (it == rules.end()) return false;
    return std::ranges::any_of(it->second, [&](const XtRuleInfo& i) { return i.rule == r; });
  }
};

Expected<TableState> readState(nft::NfSocket& s, Family f) {
  TableState st;
  CNI_ASSIGN_OR_RETURN(auto table, nft::findTable(s, f, kTable));
  if (!table) return st;
  st.table = true;
  CNI_ASSIGN_OR_RETURN(auto names, listChainNames(s, f));
  st.chains.insert(names.begin(), names.end());
  CNI_ASSIGN_OR_RETURN(auto rules, listXtRules(s, f, {}));
  for (XtRuleInfo& r : rules) st.rules[r.chain].push_back(std::move(r));
  return st;
}

void ensureChain(XtBatch& b, TableState& st, std::string_view name) {
  if (st.chains.contains(std::string(name))) return;
  if (name == kForward) {
    b.addForwardChain();
  } else {
    b.addChain(name);
  }
  st.chains.insert(std::string(name));
}

void ensureTable(XtBatch& b, TableState& st) {
  if (!st.table) b.addTable();
  st.table = true;
}

// The reference's setupChains: our chains, the FORWARD jump and the admin jump, each inserted
// at the top of its chain when it is not anywhere in it.
void ensureBase(XtBatch& b, TableState& st, std::string_view admin_chain) {
  ensureTable(b, st);
  ensureChain(b, st, kForward);
  ensureChain(b, st, kPrivChain);
  ensureChain(b, st, admin_chain);
  if (!st.has(kForward, forwardJumpRule())) b.insertRule(kForward, forwardJumpRule());
  if (!st.has(kPrivChain, adminJumpRule(admin_chain))) {
    b.insertRule(kPrivChain, adminJumpRule(admin_chain));
  }
}

// docker-style isolation (the reference's setupIsolationChains; "isolated" adds the
// same-bridge DROP of later reference versions):
//   -I FORWARD -j CNI-ISOLATION-STAGE-1
//   -I STAGE-1 -i BR ! -o BR -j CNI-ISOLATION-STAGE-2     -A STAGE-1 -j RETURN
//   [isolated] -I STAGE-1 -i BR -o BR -j DROP
//   -I STAGE-2 -o BR -j DROP                               -A STAGE-2 -j RETURN
// all with the policy comment. The shared jump and RETURN rules always carry the same-bridge
// comment, so networks of both policies on one node share them instead of doubling them.
void ensureIsolation(XtBatch& b, TableState& st, IngressPolicy policy, const std::string& bridge) {
  const std::string shared(kSameBridgeComment);
  const std::string mine(policy == IngressPolicy::kIsolated ? kIsolatedComment
                                                            : kSameBridgeComment);
  ensureTable(b, st);
  ensureChain(b, st, kForward);
  ensureChain(b, st, kStage1);
  ensureChain(b, st, kStage2);
  XtRule jump;
  jump.comments = {shared};
  jump.verdict = nft::Verdict::jump(kStage1);
  XtRule ret;
  ret.comments = {shared};
  ret.verdict = nft::Verdict::ret();
  XtRule s1;
  s1.iif = bridge;
  s1.oif = bridge;
  s1.oif_neg = true;
  s1.comments = {mine};
  s1.verdict = nft::Verdict::jump(kStage2);
  XtRule s1drop;
  s1drop.iif = bridge;
  s1drop.oif = bridge;
  s1drop.comments = {mine};
  s1drop.verdict = nft::Verdict::drop();
  XtRule s2;
  s2.oif = bridge;
  s2.comments = {mine};
  s2.verdict = nft::Verdict::drop();

  if (!st.has(kForward, jump)) b.insertRule(kForward, jump);
  if (!st.has(kStage1, s1)) b.insertRule(kStage1, s1);
  if (policy == IngressPolicy::kIsolated && !st.has(kStage1, s1drop)) {
    b.insertRule(kStage1, s1drop);
  }
  if (!st.has(kStage1, ret)) b.appendRule(kStage1, ret);
  if (!st.has(kStage2, s2)) b.insertRule(kStage2, s2);
  if (!st.has(kStage2, ret)) b.appendRule(kStage2, ret);
}

bool hasComment(const XtRule& r, std::string_view comment) {
  return r.comments.size() == 1 && r.comments.front() == comment;
}

// DEL's work for one family, under the lock: this attachment's commented rules, and the
// reference's rules for `ips`. Sends nothing when there is nothing to delete.
Status deleteRules(nft::NfSocket& s, Family f, const std::vector<IpAddress>& ips,
                   std::string_view comment) {
  CNI_ASSIGN_OR_RETURN(auto rules, listXtRules(s, f, kPrivChain));
  std::vector<XtRule> theirs;
  for (const IpAddress& ip : ips) {
    if (!inFamily(ip, f)) continue;
    for (XtRule& r : ipRules(ip, "")) theirs.push_back(std::move(r));
  }
  XtBatch b(f);
  for (const XtRuleInfo& r : rules) {
    if (hasComment(r.rule, comment) || std::ranges::find(theirs, r.rule) != theirs.end()) {
      b.deleteRule(kPrivChain, r.handle);
    }
  }
  return b.commit(s);
}

}  // namespace

Status iptablesAdd(const FirewallConf& c, std::string_view comment) {
  CNI_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire());
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  // A failure in the second family takes back this attachment's rules of the first.
  bool added = false;
  ScopeGuard undo([&] {
    if (!added) return;
    for (Family f : {Family::kIp, Family::kIp6}) (void)deleteRules(s, f, {}, comment);
  });
  for (Family f : familiesOf(c.ips)) {
    CNI_ASSIGN_OR_RETURN(TableState st, readState(s, f));
    XtBatch b(f);
    ensureBase(b, st, c.admin_chain);
    std::vector<XtRule> want;
    for (const IpAddress& ip : c.ips) {
      if (!inFamily(ip, f)) continue;
      for (XtRule& r : ipRules(ip, comment)) want.push_back(std::move(r));
    }
    // Rules this attachment had from an earlier ADD with other addresses go.
    for (const XtRuleInfo& r : st.rules[std::string(kPrivChain)]) {
      if (hasComment(r.rule, comment) && std::ranges::find(want, r.rule) == want.end()) {
        b.deleteRule(kPrivChain, r.handle);
      }
    }
    for (const XtRule& r : want) {
      if (!st.has(kPrivChain, r)) b.appendRule(kPrivChain, r);
    }
    if (c.ingress != IngressPolicy::kOpen) ensureIsolation(b, st, c.ingress, c.bridge);
    added = true;
    CNI_TRY(b.commit(s));
  }
  undo.dismiss();
  return {};
}

Status setupIngressPolicy(const FirewallConf& c) {
  if (c.ingress == IngressPolicy::kOpen) return {};
  CNI_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire());
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  for (Family f : familiesOf(c.ips)) {
    CNI_ASSIGN_OR_RETURN(TableState st, readState(s, f));
    XtBatch b(f);
    ensureIsolation(b, st, c.ingress, c.bridge);
    CNI_TRY(b.commit(s));
  }
  return {};
}

Status iptablesDel(const FirewallConf& c, std::string_view comment) {
  CNI_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire());
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  for (Family f : {Family::kIp, Family::kIp6}) CNI_TRY(deleteRules(s, f, c.ips, comment));
  return {};
}

Status iptablesCheck(const FirewallConf& c, std::string_view comment) {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  for (Family f : familiesOf(c.ips)) {
    CNI_ASSIGN_OR_RETURN(TableState st, readState(s, f));
    for (std::string_view chain : {kPrivChain, std::string_view(c.admin_chain)}) {
      if (!st.chains.contains(std::string(chain))) {
        return fail(ErrorCode::kInternal, "expected chain " + std::string(chain) + " not found",
                    std::string(nft::familyName(f)) + " filter");
      }
    }
    if (!st.has(kForward, forwardJumpRule())) {
      return fail(ErrorCode::kInternal,
                  "expected FORWARD rule " + forwardJumpRule().goText() + " not found");
    }
    if (!st.has(kPrivChain, adminJumpRule(c.admin_chain))) {
      return fail(ErrorCode::kInternal, "expected CNI-FORWARD rule " +
                                            adminJumpRule(c.admin_chain).goText() + " not found");
    }
    for (const IpAddress& ip : c.ips) {
      if (!inFamily(ip, f)) continue;
      const auto plain = ipRules(ip, "");
      const auto ours = ipRules(ip, comment);
      for (size_t i = 0; i < plain.size(); ++i) {
        if (!st.has(kPrivChain, plain[i]) && !st.has(kPrivChain, ours[i])) {
          return fail(ErrorCode::kInternal, "expected rule " + plain[i].goText() + " not found");
        }
      }
    }
  }
  return {};
}

Status iptablesGc(const FirewallConf& c) {
  std::set<std::string> keep;
  for (const pluginkit::Attachment& a : c.valid_attachments) {
    keep.insert(attachmentComment(c.net.name, a.container_id, a.ifname));
  }
  const std::vector<std::string> prefixes = attachmentPrefixes(c.net.name);
  CNI_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire());
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  for (Family f : {Family::kIp, Family::kIp6}) {
    CNI_ASSIGN_OR_RETURN(auto rules, listXtRules(s, f, kPrivChain));
    XtBatch b(f);
    for (const XtRuleInfo& r : rules) {
      if (r.rule.comments.size() != 1) continue;
      const std::string& comment = r.rule.comments.front();
      // A comment cut at 255 bytes cannot be told apart from a valid one: keep it.
      if (comment.size() >= 255 || keep.contains(comment)) continue;
      if (std::ranges::none_of(prefixes,
                               [&](const std::string& p) { return comment.starts_with(p); })) {
        continue;
      }
      b.deleteRule(kPrivChain, r.handle);
    }
    CNI_TRY(b.commit(s));
  }
  return {};
}

}  // namespace cni::plugins::firewall
