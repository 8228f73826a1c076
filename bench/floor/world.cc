// bench/floor/world.cc — the untimed world of one bench-floor run (see floor.h).
//
// What the first pod of a real node would have created is created here, once, untimed: the node
// namespace with lo up and forwarding on; for the bridge kind the bridge (up, accept_ra=0, the
// gateway address with its broadcast, the MAC pinned — as our bridge plugin leaves it); the
// `inet cni_plugins_masquerade` table with its two chains and postrouting's three rules (the
// layout of src/pluginkit/masq.cc); the host-local directory with its lock file. Every pod's
// names, address, lease text and rule comment are computed here too, so the timed ops do only
// kernel work.
//
// All namespaces are anonymous (unshare, held by an fd): nothing is mounted under /run/netns, so
// nothing can leak even if the process is killed — closing the fds lets the kernel free the
// namespaces with everything in them. Only the mktemp directory needs removing.
#include <fcntl.h>
#include <linux/if_addr.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "bench/floor/floor.h"
#include "src/common/sha512.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/socket.h"
#include "src/nft/list.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"
#include "src/nft/transaction.h"
#include "src/sysctl/sysctl.h"

namespace cni::floorbench {

std::atomic<bool> g_stop{false};

namespace {

constexpr uint32_t kSubnetBase = (10u << 24) | (88u << 16);  // 10.88.0.0/20
constexpr int kSubnetLength = 20;
constexpr std::string_view kTableComment =
    "Masquerading for plugins from github.com/containernetworking/plugins";
constexpr std::string_view kChainComment =
    "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";
constexpr size_t kCommentMax = 128;  // nft's (and the reference's) comment limit

std::string hash16(std::string_view s) { return sha512Hex(s).substr(0, 16); }

// The reference's masquerade rule comment (src/pluginkit/masq.h), computed without pluginkit:
// only its length and prefix matter to the kernel, but an identical text keeps the rule the same.
void ruleComment(Pod& p) {
  p.comment_key = hash16(kNetwork) + "-" + hash16(std::string(kPodIfname) + ":" + p.container_id);
  p.comment = p.comment_key + ", net: " + std::string(kNetwork) +
              ", if: " + std::string(kPodIfname) + ", id: " + p.container_id;
  if (p.comment.size() > kCommentMax) p.comment.resize(kCommentMax);
}

nft::Rule masqRule(std::string_view chain, std::vector<nft::Stmt> stmts) {
  return nft::Rule{nft::Family::kInet, std::string(kMasqTable), std::string(chain),
                   std::move(stmts), ""};
}

// Table, masq_checks, postrouting and its three rules: what the first pod's ADD creates.
Status createMasqTable() {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  nft::Transaction tx;
  tx.add(nft::Table{nft::Family::kInet, std::string(kMasqTable), std::string(kTableComment)});
  tx.add(nft::Chain{nft::Family::kInet, std::string(kMasqTable), std::string(kMasqChain),
                    std::nullopt, std::string(kChainComment)});
  tx.add(nft::Chain{
      nft::Family::kInet, std::string(kMasqTable), "postrouting",
      nft::BaseChain{nft::ChainType::kNat, nft::Hook::kPostrouting, nft::kPrioSrcnat, false}, ""});
  CNI_ASSIGN_OR_RETURN(IpPrefix mcast4, IpPrefix::parse("224.0.0.0/4"));
  CNI_ASSIGN_OR_RETURN(IpPrefix mcast6, IpPrefix::parse("ff00::/8"));
  tx.add(
      masqRule("postrouting", {nft::stmt::daddr(mcast4), nft::stmt::verdict(nft::Verdict::ret())}));
  tx.add(
      masqRule("postrouting", {nft::stmt::daddr(mcast6), nft::stmt::verdict(nft::Verdict::ret())}));
  tx.add(masqRule("postrouting", {nft::stmt::verdict(nft::Verdict::goTo(kMasqChain))}));
  return tx.commit(s);
}

}  // namespace

uint64_t monotonicNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t threadCpuNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string_view kindName(Kind k) { return k == Kind::kBridge ? "bridge" : "ptp"; }

Expected<netns::NetNs> newAnonymousNetns() {
  std::optional<Expected<netns::NetNs>> out;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      out.emplace(failErrno(ErrorCode::kInternal, "unshare(CLONE_NEWNET)", errno));
      return;
    }
    out.emplace(netns::NetNs::current());
  });
  t.join();
  return std::move(*out);
}

Expected<NsSwitch> NsSwitch::enter(const netns::NetNs& target, const netns::NetNs& home) {
  if (::setns(target.fd(), CLONE_NEWNET) != 0) {
    return failErrno(ErrorCode::kInternal, "setns into a pod namespace", errno);
  }
  return NsSwitch(&home);
}

NsSwitch::~NsSwitch() {
  if (home_ != nullptr && ::setns(home_->fd(), CLONE_NEWNET) != 0) {
    std::perror("bench-floor: setns back into the node namespace");
    std::abort();
  }
}

Status joinNetns(const netns::NetNs& ns) {
  if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
    return failErrno(ErrorCode::kInternal, "setns into the node namespace", errno);
  }
  return {};
}

Expected<std::unique_ptr<World>> World::create(const Options& o) {
  std::unique_ptr<World> w(new World());
  w->opts_ = o;
  // $TMPDIR as mktemp(1) has it (default /tmp): the driver can put the floor's IPAM files on the
  // same filesystem as the plugins' (file creation cost depends on it, see docs/performance.md).
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/cnikit-floor-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return failErrno(ErrorCode::kIoFailure, "mkdtemp " + tmpl, errno);
  }
  w->tmp_dir_ = tmpl;
  w->ipam_dir_ = w->tmp_dir_ + "/" + std::string(kNetwork);
  w->last_reserved_path_ = w->ipam_dir_ + "/last_reserved_ip.0";
  if (::mkdir(w->ipam_dir_.c_str(), 0755) != 0) {
    return failErrno(ErrorCode::kIoFailure, "mkdir " + w->ipam_dir_, errno);
  }
  // host-local creates the lock file when it opens the store (mode 0750, as the reference).
  UniqueFd lock(::open((w->ipam_dir_ + "/lock").c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0750));
  if (!lock) return failErrno(ErrorCode::kIoFailure, "create the lock file", errno);

  w->subnet_ = *IpPrefix::make(IpAddress::v4(kSubnetBase), kSubnetLength);
  w->gateway_ = IpAddress::v4(kSubnetBase + 1);
  w->has_destroy_ = nft::kernelHasDestroy();
  CNI_ASSIGN_OR_RETURN(auto node, newAnonymousNetns());
  w->node_.emplace(std::move(node));
  CNI_TRY_CTX(w->setupNode(), "node namespace setup");
  CNI_TRY_CTX(w->setupPods(), "pod namespace setup");
  return w;
}

Status World::setupNode() {
  return node_->run([&]() -> Status {
    CNI_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::open());
    CNI_ASSIGN_OR_RETURN(netlink::Link lo, netlink::getLinkByName(sock, "lo"));
    CNI_TRY(netlink::setLinkUp(sock, lo.index));
    CNI_TRY(sysctl::enableIpForward(IpFamily::kV4));
    if (opts_.kind == Kind::kBridge) {
      CNI_TRY(netlink::createBridge(sock, {.name = std::string(kBridgeName), .up = true}));
      CNI_TRY(sysctl::set(sysctl::ifaceKey(IpFamily::kV6, kBridgeName, "accept_ra"), "0"));
      CNI_ASSIGN_OR_RETURN(netlink::Link br, netlink::getLinkByName(sock, kBridgeName));
      bridge_index_ = br.index;
      CNI_ASSIGN_OR_RETURN(IpPrefix gw, IpPrefix::make(gateway_, subnet_.length()));
      netlink::AddressOptions ao;
      ao.broadcast = gw.lastAddress();
      CNI_TRY(netlink::addAddress(sock, br.index, gw, ao));
      // Pinned as our plugin pins it, so ports coming and going never change the bridge's MAC.
      CNI_TRY(netlink::setLinkMac(sock, br.index, br.mac));
    }
    return createMasqTable();
  });
}

Status World::setupPods() {
  pods_.resize(static_cast<size_t>(opts_.pods));
  for (int i = 0; i < opts_.pods; ++i) {
    if (g_stop.load()) return fail(ErrorCode::kInternal, "interrupted");
    Pod& p = pods_[static_cast<size_t>(i)];
    p.index = i;
    p.container_id = "c" + std::to_string(i);
    const IpAddress ip = IpAddress::v4(kSubnetBase + 2 + static_cast<uint32_t>(i));
    p.address = *IpPrefix::make(ip, subnet_.length());
    char name[16];
    std::snprintf(name, sizeof name, "veth%08x", static_cast<unsigned>(i));
    p.host_veth = name;
    p.ip_text = ip.str();
    p.lease_path = ipam_dir_ + "/" + p.ip_text;
    p.lease_text = p.container_id + "\r\n" + std::string(kPodIfname);
    ruleComment(p);
    CNI_ASSIGN_OR_RETURN(auto ns, newAnonymousNetns());
    p.ns.emplace(std::move(ns));
  }
  return {};
}

Status World::learnRuleHandles() {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  CNI_ASSIGN_OR_RETURN(auto rules, nft::listRules(s, nft::Family::kInet, kMasqTable, kMasqChain));
  std::map<std::string, uint64_t> by_comment;
  for (const nft::RuleInfo& r : rules) by_comment[r.comment] = r.handle;
  for (Pod& p : pods_) {
    auto it = by_comment.find(p.comment);
    if (it == by_comment.end()) {
      return fail(ErrorCode::kInternal, "no masquerade rule for pod " + std::to_string(p.index));
    }
    p.rule_handle = it->second;
  }
  return {};
}

World::~World() {
  // Pods first, the node last: closing the fds lets the kernel dismantle each namespace.
  pods_.clear();
  node_.reset();
  if (!tmp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmp_dir_, ec);
    if (ec)
      std::fprintf(stderr, "bench-floor: cannot remove %s: %s\n", tmp_dir_.c_str(),
                   ec.message().c_str());
  }
}

}  // namespace cni::floorbench
