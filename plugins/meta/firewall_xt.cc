// plugins/meta/firewall_xt.cc — iptables rules as iptables-nft 1.8.9 encodes them in nf_tables,
// and back (see firewall.h).
//
// Encoding (measured with `nft --debug=netlink` and strace of iptables-nft 1.8.9):
//   -i/-o NAME     meta load iifname/oifname; cmp (n)eq over strlen+1 bytes (name + NUL)
//   -s/-d A/len    payload load 4b @ network + 12/16 (ip6: 16b @ 8/24); bitwise when len is
//                  not full; cmp eq
//   -m conntrack   match "conntrack" rev 3, struct xt_conntrack_mtinfo3 (168 bytes)
//   -m comment     match "comment" rev 0, char[256]
//   then           counter (zeroed bytes/packets), immediate verdict
//   rule attrs     NFTA_RULE_COMPAT { proto 0, flags 0 }; no userdata
//   -A / -I        NEWRULE with / without NLM_F_APPEND (no position: top of the chain)
//   table/chain    NEWTABLE filter; NEWCHAIN FORWARD hook forward prio 0 policy accept type
//                  filter — only when missing: re-sending it would reset a DROP policy.
// Reading back decodes exactly those shapes; anything else marks the rule foreign.
#include <linux/netfilter/nf_tables_compat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "plugins/meta/firewall.h"
#include "src/netlink/attr.h"
#include "src/netlink/socket.h"
#include "src/nft/list.h"
#include "src/nft/transaction.h"
#include "src/nft/wire.h"

namespace cni::plugins::firewall {
namespace {

using netlink::AttrList;
using nft::Expr;
using nft::Family;

constexpr size_t kCommentSize = 256;          // struct xt_comment_info
constexpr size_t kConntrackInfoSize = 168;    // XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3))
constexpr size_t kCtMatchFlagsOffset = 146;   // u16 match_flags
constexpr size_t kCtInvertFlagsOffset = 148;  // u16 invert_flags
constexpr size_t kCtStateMaskOffset = 150;    // u16 state_mask
constexpr uint16_t kXtConntrackState = 0x1;

std::string quoteIfNeeded(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\"'") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string verdictText(const nft::Verdict& v) {
  using K = nft::Verdict::Kind;
  switch (v.kind) {
    case K::kAccept:
      return "-j ACCEPT";
    case K::kDrop:
      return "-j DROP";
    case K::kReturn:
      return "-j RETURN";
    case K::kJump:
      return "-j " + v.chain;
    case K::kGoto:
      return "-g " + v.chain;
    case K::kContinue:
      return "";
  }
  return "";
}

std::string ctStateText(uint32_t bits) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {0x1, "INVALID"}, {0x8, "NEW"}, {0x4, "RELATED"}, {0x2, "ESTABLISHED"}, {0x40, "UNTRACKED"}};
  std::string out;
  for (auto [bit, name] : kNames) {
    if (bits & bit) out += (out.empty() ? "" : ",") + std::string(name);
  }
  return out;
}

Expr counterExpr() {
  nft::AttrBuf b;
  const uint64_t zero = 0;
  std::span<const uint8_t> z(reinterpret_cast<const uint8_t*>(&zero), sizeof zero);
  b.putBytes(NFTA_COUNTER_BYTES, z).putBytes(NFTA_COUNTER_PACKETS, z);
  return {"counter", b.bytes(), "[ counter pkts 0 bytes 0 ]"};
}

void addIfname(std::vector<Expr>& out, uint32_t key, const std::string& name, bool neg) {
  std::vector<uint8_t> v(name.begin(), name.end());
  v.push_back(0);
  out.push_back(nft::expr::meta(key));
  out.push_back(nft::expr::cmp(neg ? nft::CmpOp::kNeq : nft::CmpOp::kEq, v));
}

void addAddr(std::vector<Expr>& out, const IpPrefix& p, bool source) {
  const IpPrefix net = p.network();
  const bool v6 = net.isV6();
  const uint32_t len = v6 ? 16 : 4;
  const uint32_t offset = v6 ? (source ? 8 : 24) : (source ? 12 : 16);
  out.push_back(nft::expr::payload(nft::PayloadBase::kNetwork, offset, len));
  if (net.length() != net.address().bitLength()) {
    out.push_back(nft::expr::bitwise(net.mask().bytes()));
  }
  out.push_back(nft::expr::cmp(nft::CmpOp::kEq, net.address().bytes()));
}

// --- decoding ---------------------------------------------------------------------------------

std::string strAttr(const AttrList& a, uint16_t type) {
  const netlink::Attr* x = a.find(type);
  return x ? x->str() : std::string();
}

uint32_t be32Attr(const AttrList& a, uint16_t type) {
  const netlink::Attr* x = a.find(type);
  return x ? nft::fromBe32(x->data) : 0;
}

// NFTA_*_DATA nest -> its NFTA_DATA_VALUE bytes.
std::vector<uint8_t> dataValue(const AttrList& a, uint16_t type) {
  const netlink::Attr* x = a.find(type);
  if (!x) return {};
  auto inner = x->nested();
  if (!inner) return {};
  const netlink::Attr* v = inner->find(NFTA_DATA_VALUE);
  if (!v) return {};
  return {v->data.begin(), v->data.end()};
}

struct Decoder {
  Family family;
  XtRule rule;
  // What the last load put in reg 1.
  enum class Loaded { kNone, kIif, kOif, kSrc, kDst } loaded = Loaded::kNone;
  std::optional<std::vector<uint8_t>> mask;

  void expr(const std::string& name, const AttrList& d) {
    if (name == "meta") {
      const uint32_t key = be32Attr(d, NFTA_META_KEY);
      loaded = key == NFT_META_IIFNAME   ? Loaded::kIif
               : key == NFT_META_OIFNAME ? Loaded::kOif
                                         : Loaded::kNone;
      if (loaded == Loaded::kNone) rule.foreign = true;
      mask.reset();
    } else if (name == "payload") {
      const uint32_t base = be32Attr(d, NFTA_PAYLOAD_BASE);
      const uint32_t off = be32Attr(d, NFTA_PAYLOAD_OFFSET);
      const uint32_t len = be32Attr(d, NFTA_PAYLOAD_LEN);
      const bool v6 = family == Family::kIp6;
      loaded = Loaded::kNone;
      if (base == NFT_PAYLOAD_NETWORK_HEADER && len == (v6 ? 16u : 4u)) {
        if (off == (v6 ? 8u : 12u)) loaded = Loaded::kSrc;
        if (off == (v6 ? 24u : 16u)) loaded = Loaded::kDst;
      }
      if (loaded == Loaded::kNone) rule.foreign = true;
      mask.reset();
    } else if (name == "bitwise") {
      mask = dataValue(d, NFTA_BITWISE_MASK);
    } else if (name == "cmp") {
      cmp(d);
    } else if (name == "match") {
      match(d);
    } else if (name == "counter") {
      // counters are not part of a rule's identity
    } else if (name == "immediate") {
      immediate(d);
    } else {
      rule.foreign = true;
    }
  }

  void cmp(const AttrList& d) {
    const uint32_t op = be32Attr(d, NFTA_CMP_OP);
    std::vector<uint8_t> v = dataValue(d, NFTA_CMP_DATA);
    switch (loaded) {
      case Loaded::kIif:
      case Loaded::kOif: {
        if (op != NFT_CMP_EQ && op != NFT_CMP_NEQ) break;
        // Exact names end in NUL; iptables' "eth+" wildcards do not (kept as "eth+").
        std::string n(v.begin(), v.end());
        if (!n.empty() && n.back() == '\0') {
          n.pop_back();
        } else {
          n += '+';
        }
        (loaded == Loaded::kIif ? rule.iif : rule.oif) = n;
        (loaded == Loaded::kIif ? rule.iif_neg : rule.oif_neg) = op == NFT_CMP_NEQ;
        loaded = Loaded::kNone;
        return;
      }
      case Loaded::kSrc:
      case Loaded::kDst: {
        if (op != NFT_CMP_EQ) break;
        auto addr = IpAddress::fromBytes(v);
        if (!addr) break;
        int len = addr->bitLength();
        if (mask) {
          len = 0;
          for (uint8_t b : *mask) len += std::popcount(b);
        }
        auto p = IpPrefix::make(*addr, len);
        if (!p) break;
        (loaded == Loaded::kSrc ? rule.src : rule.dst) = *p;
        loaded = Loaded::kNone;
        mask.reset();
        return;
      }
      case Loaded::kNone:
        break;
    }
    rule.foreign = true;
  }

  void match(const AttrList& d) {
    const std::string name = strAttr(d, NFTA_MATCH_NAME);
    const uint32_t rev = be32Attr(d, NFTA_MATCH_REV);
    const netlink::Attr* info = d.find(NFTA_MATCH_INFO);
    std::span<const uint8_t> b = info ? info->data : std::span<const uint8_t>();
    if (name == "comment" && rev == 0 && b.size() >= kCommentSize) {
      const auto* p = reinterpret_cast<const char*>(b.data());
      rule.comments.emplace_back(p, strnlen(p, kCommentSize));
      return;
    }
    if (name == "conntrack" && rev == 3 && b.size() >= kConntrackInfoSize) {
      auto u16 = [&](size_t off) {
        uint16_t v;
        std::memcpy(&v, b.data() + off, sizeof v);
        return v;
      };
      if (u16(kCtMatchFlagsOffset) == kXtConntrackState && u16(kCtInvertFlagsOffset) == 0) {
        rule.ctstate = u16(kCtStateMaskOffset);
        return;
      }
    }
    rule.foreign = true;
  }

  void immediate(const AttrList& d) {
    if (be32Attr(d, NFTA_IMMEDIATE_DREG) != NFT_REG_VERDICT) {
      rule.foreign = true;
      return;
    }
    const netlink::Attr* data = d.find(NFTA_IMMEDIATE_DATA);
    auto dl = data ? data->nested() : Expected<AttrList>(AttrList());
    const netlink::Attr* verdict = dl ? dl->find(NFTA_DATA_VERDICT) : nullptr;
    auto vl = verdict ? verdict->nested() : Expected<AttrList>(AttrList());
    if (!vl) {
      rule.foreign = true;
      return;
    }
    const auto code = static_cast<int32_t>(be32Attr(*vl, NFTA_VERDICT_CODE));
    const std::string chain = strAttr(*vl, NFTA_VERDICT_CHAIN);
    using K = nft::Verdict::Kind;
    switch (code) {
      case NF_ACCEPT:
        rule.verdict = {K::kAccept, {}};
        break;
      case NF_DROP:
        rule.verdict = {K::kDrop, {}};
        break;
      case NFT_RETURN:
        rule.verdict = {K::kReturn, {}};
        break;
      case NFT_JUMP:
        rule.verdict = {K::kJump, chain};
        break;
      case NFT_GOTO:
        rule.verdict = {K::kGoto, chain};
        break;
      default:
        rule.foreign = true;
    }
  }
};

}  // namespace

bool XtRule::operator==(const XtRule& o) const {
  return !foreign && !o.foreign && src == o.src && dst == o.dst && iif == o.iif &&
         iif_neg == o.iif_neg && oif == o.oif && oif_neg == o.oif_neg && ctstate == o.ctstate &&
         comments == o.comments && verdict.kind == o.verdict.kind &&
         verdict.chain == o.verdict.chain;
}

std::string XtRule::text() const {
  std::vector<std::string> parts;
  if (src) parts.push_back("-s " + src->str());
  if (dst) parts.push_back("-d " + dst->str());
  if (!iif.empty()) parts.push_back(std::string(iif_neg ? "! " : "") + "-i " + iif);
  if (!oif.empty()) parts.push_back(std::string(oif_neg ? "! " : "") + "-o " + oif);
  if (ctstate) parts.push_back("-m conntrack --ctstate " + ctStateText(ctstate));
  for (const std::string& c : comments) parts.push_back("-m comment --comment " + quoteIfNeeded(c));
  const std::string v = verdictText(verdict);
  if (!v.empty()) parts.push_back(v);
  if (foreign) parts.push_back("<not an iptables rule of this plugin>");
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string XtRule::goText() const {
  // Go prints the argument slice: no quoting of the comment.
  std::string t;
  if (src) t += " -s " + src->str();
  if (dst) t += " -d " + dst->str();
  if (!iif.empty()) t += std::string(iif_neg ? " !" : "") + " -i " + iif;
  if (!oif.empty()) t += std::string(oif_neg ? " !" : "") + " -o " + oif;
  if (ctstate) t += " -m conntrack --ctstate " + ctStateText(ctstate);
  for (const std::string& c : comments) t += " -m comment --comment " + c;
  t += " " + verdictText(verdict);
  return "[" + t.substr(1) + "]";
}

std::vector<Expr> XtRule::expressions(Family f) const {
  (void)f;
  std::vector<Expr> out;
  if (!iif.empty()) addIfname(out, NFT_META_IIFNAME, iif, iif_neg);
  if (!oif.empty()) addIfname(out, NFT_META_OIFNAME, oif, oif_neg);
  if (src) addAddr(out, *src, true);
  if (dst) addAddr(out, *dst, false);
  if (ctstate) {
    std::vector<uint8_t> info(kConntrackInfoSize, 0);
    const uint16_t flags = kXtConntrackState, mask = static_cast<uint16_t>(ctstate);
    std::memcpy(info.data() + kCtMatchFlagsOffset, &flags, sizeof flags);
    std::memcpy(info.data() + kCtStateMaskOffset, &mask, sizeof mask);
    out.push_back(nft::expr::xtMatch("conntrack", 3, info));
  }
  for (const std::string& c : comments) {
    std::vector<uint8_t> info(kCommentSize, 0);
    std::memcpy(info.data(), c.data(), std::min(c.size(), kCommentSize - 1));
    out.push_back(nft::expr::xtMatch("comment", 0, info));
  }
  out.push_back(counterExpr());
  out.push_back(nft::expr::immediate(verdict));
  return out;
}

XtRule forwardJumpRule() {
  XtRule r;
  r.comments = {"CNI firewall plugin rules"};
  r.verdict = nft::Verdict::jump(kPrivChain);
  return r;
}

XtRule adminJumpRule(std::string_view admin_chain) {
  XtRule r;
  r.comments = {"CNI firewall plugin admin overrides"};
  r.verdict = nft::Verdict::jump(admin_chain);
  return r;
}

std::vector<XtRule> ipRules(const IpAddress& ip, std::string_view comment) {
  auto host = IpPrefix::make(ip, ip.bitLength());
  XtRule in;
  in.dst = *host;
  in.ctstate = kCtRelatedEstablished;
  in.verdict = nft::Verdict::accept();
  XtRule out;
  out.src = *host;
  out.verdict = nft::Verdict::accept();
  if (!comment.empty()) {
    in.comments = {std::string(comment)};
    out.comments = {std::string(comment)};
  }
  return {in, out};
}

Expected<std::vector<XtRuleInfo>> listXtRules(nft::NfSocket& s, Family f, std::string_view chain) {
  netlink::Message req = nft::nftMessage(NFT_MSG_GETRULE, static_cast<uint8_t>(f), 0);
  req.putString(NFTA_RULE_TABLE, kTable);
  if (!chain.empty()) req.putString(NFTA_RULE_CHAIN, chain);
  int err = 0;
  auto msgs = s.dump(req, &err);
  if (!msgs && err == ENOENT) return std::vector<XtRuleInfo>{};
  if (!msgs) return fail(msgs.error());
  std::vector<XtRuleInfo> out;
  for (const netlink::RawMessage& m : *msgs) {
    auto g = m.familyHeader<nfgenmsg>();
    if (!g || g->nfgen_family != static_cast<uint8_t>(f)) continue;
    CNI_ASSIGN_OR_RETURN(AttrList a, m.attrs(sizeof(nfgenmsg)));
    XtRuleInfo info;
    info.chain = strAttr(a, NFTA_RULE_CHAIN);
    if (strAttr(a, NFTA_RULE_TABLE) != kTable || (!chain.empty() && info.chain != chain)) continue;
    if (const netlink::Attr* h = a.find(NFTA_RULE_HANDLE)) info.handle = nft::fromBe64(h->data);
    Decoder dec{f, {}};
    if (const netlink::Attr* exprs = a.find(NFTA_RULE_EXPRESSIONS)) {
      CNI_ASSIGN_OR_RETURN(AttrList list, exprs->nested());
      for (const netlink::Attr& e : list.all()) {
        CNI_ASSIGN_OR_RETURN(AttrList ea, e.nested());
        AttrList data;
        if (const netlink::Attr* d = ea.find(NFTA_EXPR_DATA)) {
          CNI_ASSIGN_OR_RETURN(data, d->nested());
        }
        dec.expr(strAttr(ea, NFTA_EXPR_NAME), data);
      }
    }
    // An nft-style comment (rule userdata) is listed by iptables-nft as -m comment too.
    if (const netlink::Attr* u = a.find(NFTA_RULE_USERDATA)) {
      std::string c = nft::commentFromUdata(u->data);
      if (!c.empty()) dec.rule.comments.push_back(std::move(c));
    }
    info.rule = std::move(dec.rule);
    out.push_back(std::move(info));
  }
  return out;
}

Expected<std::vector<std::string>> listChainNames(nft::NfSocket& s, Family f) {
  CNI_ASSIGN_OR_RETURN(auto chains, nft::listChains(s, f, kTable));
  std::vector<std::string> out;
  for (auto& c : chains) out.push_back(std::move(c.name));
  return out;
}

// --- XtBatch ----------------------------------------------------------------------------------

void XtBatch::addTable() {
  nft::Transaction t;
  t.add(nft::Table{family_, std::string(kTable), {}});
  ops_.push_back(
      {"add table " + std::string(nft::familyName(family_)) + " filter", t.messages().front()});
}

void XtBatch::addForwardChain() {
  nft::Transaction t;
  nft::BaseChain b{nft::ChainType::kFilter, nft::Hook::kForward, nft::kPrioFilter, false};
  t.add(nft::Chain{family_, std::string(kTable), std::string(kForward), b, {}});
  ops_.push_back({"-P FORWARD ACCEPT (create)", t.messages().front()});
}

void XtBatch::addChain(std::string_view name) {
  nft::Transaction t;
  t.add(nft::Chain{family_, std::string(kTable), std::string(name), std::nullopt, {}});
  ops_.push_back({"-N " + std::string(name), t.messages().front()});
}

void XtBatch::rule(std::string_view chain, const XtRule& r, bool append) {
  const uint16_t flags = NLM_F_CREATE | (append ? NLM_F_APPEND : 0);
  netlink::Message m = nft::nftMessage(NFT_MSG_NEWRULE, static_cast<uint8_t>(family_), flags);
  m.putString(NFTA_RULE_TABLE, kTable);
  m.putString(NFTA_RULE_CHAIN, chain);
  auto list = m.beginNest(NFTA_RULE_EXPRESSIONS);
  for (const Expr& e : r.expressions(family_)) {
    auto elem = m.beginNest(NFTA_LIST_ELEM);
    m.putString(NFTA_EXPR_NAME, e.name);
    if (!e.data.empty()) m.putBytes(NFTA_EXPR_DATA | NLA_F_NESTED, e.data);
    m.endNest(elem);
  }
  m.endNest(list);
  auto compat = m.beginNest(NFTA_RULE_COMPAT);
  m.putU32(NFTA_RULE_COMPAT_PROTO, nft::toBe32(0));
  m.putU32(NFTA_RULE_COMPAT_FLAGS, nft::toBe32(0));
  m.endNest(compat);
  ops_.push_back(
      {std::string(append ? "-A " : "-I ") + std::string(chain) + " " + r.text(), std::move(m)});
}

void XtBatch::insertRule(std::string_view chain, const XtRule& r) { rule(chain, r, false); }
void XtBatch::appendRule(std::string_view chain, const XtRule& r) { rule(chain, r, true); }

void XtBatch::deleteRule(std::string_view chain, uint64_t handle) {
  nft::Transaction t;
  if (nft::kernelHasDestroy()) {
    t.destroyRule(family_, kTable, chain, handle);
  } else {
    t.deleteRule(family_, kTable, chain, handle);
  }
  ops_.push_back({"-D " + std::string(chain) + " (handle " + std::to_string(handle) + ")",
                  t.messages().front()});
}

std::string XtBatch::render() const {
  std::string out;
  for (const Op& op : ops_) out += op.text + "\n";
  return out;
}

Status XtBatch::commit(nft::NfSocket& s) const {
  if (ops_.empty()) return {};
  std::vector<netlink::Message> msgs;
  msgs.reserve(ops_.size());
  for (const Op& op : ops_) msgs.push_back(op.msg);
  CNI_ASSIGN_OR_RETURN(auto failures, s.sendBatch(msgs));
  if (failures.empty()) return {};
  std::string details;
  for (const nft::BatchFailure& f : failures) {
    if (!details.empty()) details += "; ";
    details += f.index < ops_.size() ? ops_[f.index].text : std::string("batch");
    details += ": " + netlink::errnoText(f.error);
    if (!f.ext_ack.empty()) details += " (" + f.ext_ack + ")";
  }
  return fail(ErrorCode::kInternal,
              std::string(nft::familyName(family_)) +
                  " filter: " + netlink::errnoText(failures.front().error),
              std::move(details));
}

}  // namespace cni::plugins::firewall
