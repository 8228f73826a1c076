// src/nft/transaction.cc — encoding model values as nf_tables batch messages (see transaction.h).
#include "src/nft/transaction.h"

#include <sys/utsname.h>

#include <cstdio>

#include "src/netlink/socket.h"
#include "src/nft/wire.h"

namespace cni::nft {
namespace {

using netlink::Message;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

void putBe32(Message& m, uint16_t type, uint32_t v) { m.putU32(type, toBe32(v)); }
void putBe64(Message& m, uint16_t type, uint64_t v) { m.putU64(type, toBe64(v)); }

void putUdata(Message& m, uint16_t type, std::string_view comment) {
  if (comment.empty()) return;
  m.putBytes(type, commentUdata(comment));
}

std::string prefix(Family f, std::string_view table) {
  return std::string(familyName(f)) + " " + std::string(table);
}

// nft prints standard priorities by name; anything else as a number.
std::string priorityText(Family f, const BaseChain& b) {
  struct Named {
    int32_t value;
    const char* name;
  };
  static constexpr Named kInet[] = {{-300, "raw"}, {-150, "mangle"}, {-100, "dstnat"},
                                    {0, "filter"}, {50, "security"}, {100, "srcnat"}};
  static constexpr Named kBridge[] = {
      {-300, "dstnat"}, {-200, "filter"}, {100, "out"}, {300, "srcnat"}};
  auto find = [&](auto& table) -> const char* {
    for (const Named& n : table) {
      if (n.value == b.priority) return n.name;
    }
    return nullptr;
  };
  const char* name = f == Family::kBridge ? find(kBridge) : find(kInet);
  return name ? name : std::to_string(b.priority);
}

void putElements(Message& m, const Set& s) {
  auto list = m.beginNest(NFTA_SET_ELEM_LIST_ELEMENTS);
  for (const SetElement& e : s.elements) {
    auto elem = m.beginNest(NFTA_LIST_ELEM);
    auto key = m.beginNest(NFTA_SET_ELEM_KEY);
    m.putBytes(NFTA_DATA_VALUE, e.key);
    m.endNest(key);
    if (s.data) {
      auto data = m.beginNest(NFTA_SET_ELEM_DATA);
      m.putBytes(NFTA_DATA_VALUE, e.value);
      m.endNest(data);
    }
    m.endNest(elem);
  }
  m.endNest(list);
}

std::string elementsText(const Set& s) {
  std::string t;
  for (const SetElement& e : s.elements) t += (t.empty() ? "" : ", ") + elementText(s, e);
  return "{ " + t + " }";
}

// The delete and destroy variants of one object differ only in the message type (destroy, 6.3+,
// succeeds when the object is already gone); one builder serves both.
Message tableOp(uint16_t type, Family f, std::string_view table) {
  Message m = nftMessage(type, static_cast<uint8_t>(f), 0);
  m.putString(NFTA_TABLE_NAME, table);
  return m;
}

Message chainOp(uint16_t type, Family f, std::string_view table, std::string_view chain) {
  Message m = nftMessage(type, static_cast<uint8_t>(f), 0);
  m.putString(NFTA_CHAIN_TABLE, table);
  m.putString(NFTA_CHAIN_NAME, chain);
  return m;
}

Message ruleOp(uint16_t type, Family f, std::string_view table, std::string_view chain,
               uint64_t handle) {
  Message m = nftMessage(type, static_cast<uint8_t>(f), 0);
  m.putString(NFTA_RULE_TABLE, table);
  m.putString(NFTA_RULE_CHAIN, chain);
  putBe64(m, NFTA_RULE_HANDLE, handle);
  return m;
}

}  // namespace

void Transaction::push(std::string text, netlink::Message msg) {
  ops_.push_back(Op{std::move(text), std::move(msg)});
}

Transaction& Transaction::add(const Table& t) {
  Message m = nftMessage(NFT_MSG_NEWTABLE, static_cast<uint8_t>(t.family), NLM_F_CREATE);
  m.putString(NFTA_TABLE_NAME, t.name);
  putBe32(m, NFTA_TABLE_FLAGS, 0);
  putUdata(m, NFTA_TABLE_USERDATA, t.comment);
  std::string text = "add table " + prefix(t.family, t.name);
  if (!t.comment.empty()) text += " { comment " + quoted(t.comment) + "; }";
  push(std::move(text), std::move(m));
  return *this;
}

Transaction& Transaction::add(const Chain& c) {
  Message m = nftMessage(NFT_MSG_NEWCHAIN, static_cast<uint8_t>(c.family), NLM_F_CREATE);
  m.putString(NFTA_CHAIN_TABLE, c.table);
  m.putString(NFTA_CHAIN_NAME, c.name);
  std::string body;
  if (c.base) {
    auto hook = m.beginNest(NFTA_CHAIN_HOOK);
    putBe32(m, NFTA_HOOK_HOOKNUM, static_cast<uint32_t>(c.base->hook));
    putBe32(m, NFTA_HOOK_PRIORITY, static_cast<uint32_t>(c.base->priority));
    m.endNest(hook);
    putBe32(m, NFTA_CHAIN_POLICY, c.base->policy_drop ? NF_DROP : NF_ACCEPT);
    m.putString(NFTA_CHAIN_TYPE, chainTypeName(c.base->type));
    body = "type " + std::string(chainTypeName(c.base->type)) + " hook " +
           std::string(hookName(c.base->hook)) + " priority " + priorityText(c.family, *c.base) +
           "; policy " + (c.base->policy_drop ? "drop" : "accept") + "; ";
  }
  putUdata(m, NFTA_CHAIN_USERDATA, c.comment);
  if (!c.comment.empty()) body += "comment " + quoted(c.comment) + "; ";
  std::string text = "add chain " + prefix(c.family, c.table) + " " + c.name;
  if (!body.empty()) text += " { " + body + "}";
  push(std::move(text), std::move(m));
  return *this;
}

Transaction& Transaction::add(const Set& s) {
  const uint32_t id = next_set_id_++;
  Message m = nftMessage(NFT_MSG_NEWSET, static_cast<uint8_t>(s.family), NLM_F_CREATE);
  m.putString(NFTA_SET_TABLE, s.table);
  m.putString(NFTA_SET_NAME, s.name);
  putBe32(m, NFTA_SET_FLAGS, s.data ? NFT_SET_MAP : 0);
  putBe32(m, NFTA_SET_KEY_TYPE, static_cast<uint32_t>(s.key));
  putBe32(m, NFTA_SET_KEY_LEN, setTypeLen(s.key));
  if (s.data) {
    putBe32(m, NFTA_SET_DATA_TYPE, static_cast<uint32_t>(*s.data));
    putBe32(m, NFTA_SET_DATA_LEN, setTypeLen(*s.data));
  }
  putBe32(m, NFTA_SET_ID, id);
  std::string type(setTypeName(s.key));
  if (s.data) type += " : " + std::string(setTypeName(*s.data));
  push(std::string(s.data ? "add map " : "add set ") + prefix(s.family, s.table) + " " + s.name +
           " { type " + type + "; }",
       std::move(m));
  if (!s.elements.empty()) addElements(s);
  return *this;
}

Transaction& Transaction::addElements(const Set& s) {
  Message m = nftMessage(NFT_MSG_NEWSETELEM, static_cast<uint8_t>(s.family), NLM_F_CREATE);
  m.putString(NFTA_SET_ELEM_LIST_TABLE, s.table);
  m.putString(NFTA_SET_ELEM_LIST_SET, s.name);
  putElements(m, s);
  push("add element " + prefix(s.family, s.table) + " " + s.name + " " + elementsText(s),
       std::move(m));
  return *this;
}

Transaction& Transaction::deleteElements(const Set& s) {
  Message m = nftMessage(NFT_MSG_DELSETELEM, static_cast<uint8_t>(s.family), 0);
  m.putString(NFTA_SET_ELEM_LIST_TABLE, s.table);
  m.putString(NFTA_SET_ELEM_LIST_SET, s.name);
  putElements(m, s);
  push("delete element " + prefix(s.family, s.table) + " " + s.name + " " + elementsText(s),
       std::move(m));
  return *this;
}

Transaction& Transaction::add(const Rule& r) {
  Message m =
      nftMessage(NFT_MSG_NEWRULE, static_cast<uint8_t>(r.family), NLM_F_CREATE | NLM_F_APPEND);
  m.putString(NFTA_RULE_TABLE, r.table);
  m.putString(NFTA_RULE_CHAIN, r.chain);
  auto list = m.beginNest(NFTA_RULE_EXPRESSIONS);
  for (const Expr& e : r.expressions()) {
    auto elem = m.beginNest(NFTA_LIST_ELEM);
    m.putString(NFTA_EXPR_NAME, e.name);
    if (!e.data.empty()) m.putBytes(NFTA_EXPR_DATA | NLA_F_NESTED, e.data);
    m.endNest(elem);
  }
  m.endNest(list);
  putUdata(m, NFTA_RULE_USERDATA, r.comment);
  push("add rule " + prefix(r.family, r.table) + " " + r.chain + " " + r.text(), std::move(m));
  return *this;
}

Transaction& Transaction::flushChain(Family f, std::string_view table, std::string_view chain) {
  Message m = nftMessage(NFT_MSG_DELRULE, static_cast<uint8_t>(f), 0);
  m.putString(NFTA_RULE_TABLE, table);
  m.putString(NFTA_RULE_CHAIN, chain);
  push("flush chain " + prefix(f, table) + " " + std::string(chain), std::move(m));
  return *this;
}

Transaction& Transaction::deleteTable(Family f, std::string_view table) {
  push("delete table " + prefix(f, table), tableOp(NFT_MSG_DELTABLE, f, table));
  return *this;
}

Transaction& Transaction::destroyTable(Family f, std::string_view table) {
  push("destroy table " + prefix(f, table), tableOp(kMsgDestroyTable, f, table));
  return *this;
}

Transaction& Transaction::deleteChain(Family f, std::string_view table, std::string_view chain) {
  push("delete chain " + prefix(f, table) + " " + std::string(chain),
       chainOp(NFT_MSG_DELCHAIN, f, table, chain));
  return *this;
}

Transaction& Transaction::destroyChain(Family f, std::string_view table, std::string_view chain) {
  push("destroy chain " + prefix(f, table) + " " + std::string(chain),
       chainOp(kMsgDestroyChain, f, table, chain));
  return *this;
}

Transaction& Transaction::deleteSet(Family f, std::string_view table, std::string_view set) {
  Message m = nftMessage(NFT_MSG_DELSET, static_cast<uint8_t>(f), 0);
  m.putString(NFTA_SET_TABLE, table);
  m.putString(NFTA_SET_NAME, set);
  push("delete set " + prefix(f, table) + " " + std::string(set), std::move(m));
  return *this;
}

Transaction& Transaction::deleteRule(Family f, std::string_view table, std::string_view chain,
                                     uint64_t handle) {
  push("delete rule " + prefix(f, table) + " " + std::string(chain) + " handle " +
           std::to_string(handle),
       ruleOp(NFT_MSG_DELRULE, f, table, chain, handle));
  return *this;
}

Transaction& Transaction::destroyRule(Family f, std::string_view table, std::string_view chain,
                                      uint64_t handle) {
  push("destroy rule " + prefix(f, table) + " " + std::string(chain) + " handle " +
           std::to_string(handle),
       ruleOp(kMsgDestroyRule, f, table, chain, handle));
  return *this;
}

std::string Transaction::render() const {
  std::string out;
  for (const Op& op : ops_) out += op.text + "\n";
  return out;
}

std::vector<netlink::Message> Transaction::messages() const {
  std::vector<netlink::Message> out;
  out.reserve(ops_.size());
  for (const Op& op : ops_) out.push_back(op.msg);
  return out;
}

Status Transaction::commit(NfSocket& sock) const {
  if (ops_.empty()) return {};
  std::vector<netlink::Message> msgs = messages();
  CNI_ASSIGN_OR_RETURN(auto failures, sock.sendBatch(msgs));
  if (failures.empty()) return {};
  std::string details;
  for (const BatchFailure& f : failures) {
    if (!details.empty()) details += "; ";
    details += f.index < ops_.size() ? ops_[f.index].text : std::string("batch");
    details += ": " + netlink::errnoText(f.error);
    if (!f.ext_ack.empty()) details += " (" + f.ext_ack + ")";
  }
  return fail(ErrorCode::kInternal, "nftables: " + netlink::errnoText(failures.front().error),
              std::move(details));
}

bool kernelHasDestroy() {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 3);
}

}  // namespace cni::nft
