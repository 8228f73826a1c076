// bench/floor/pod_ops.cc — one pod's ADD and DEL: the kernel work of our plugins, timed.
//
// Mirrors `strace -f` of build/cni-bin/bridge and build/cni-bin/ptp (bench-pods scenario (a)/(c)
// configs: host-local with a /20 and a default route, ipMasq on), keeping every state-changing
// kernel operation in the plugin's order and with the plugin's flags, and the one lookup the
// changes cannot be expressed without (the pod eth0's index; ptp also the host veth's). Each op
// opens and closes its own netlink sockets, as a one-shot plugin must (closing the nf_tables socket
// after a delete is part of DEL's cost: it waits for nf_tables' deferred destroy unless the veth's
// grace period already covered it). Pod-namespace work is done on the worker thread itself with
// setns(2) into the pod and back (the plugins spawn a thread per namespace, which is userspace
// overhead, not floor).
//
// bridge ADD (node netns unless marked [pod]):
//   veth        socket(NETLINK_ROUTE); RTM_NEWLINK veth, host end IFF_UP + IFLA_MASTER=bridge +
//               IFLA_TXQLEN 0, peer "eth0" created in the pod (IFLA_NET_NS_FD in VETH_INFO_PEER)
//   host-sysctl /proc/sys/net/ipv6/conf/<veth>/accept_ra = 0
//   ipam        open+flock(LOCK_EX) <dir>/lock; open <dir>/<ip> O_CREAT|O_EXCL, write
//               "<cid>\r\neth0", close; open last_reserved_ip.0 (no O_TRUNC), write <ip>,
//               ftruncate, close; close lock
//   pod-sysctl  [pod] setns; ipv6/conf/eth0/accept_dad = 0; ipv4/conf/eth0/arp_notify = 1
//   pod-link    [pod] socket; RTM_GETLINK eth0; RTM_NEWADDR <ip>/20 brd (EXCL); RTM_NEWLINK
//               eth0 IFF_UP; RTM_NEWROUTE 0.0.0.0/0 via <gw> dev eth0 (NLM_F_CREATE); close;
//               setns back
//   nft         socket(NETLINK_NETFILTER); one batch: NEWRULE in masq_checks `ip saddr <ip> ip
//               daddr != <subnet> masquerade comment "<hash>, ..."`; close
//   close       close the node rtnetlink socket
// bridge DEL:
//   nft         socket(NETLINK_NETFILTER); one batch: DESTROYRULE <handle> (DELRULE before 6.3).
//               The plugin first dumps masq_checks to find the handle by comment (one GETRULE
//               dump, growing with the rule count); the floor knows the handle (see
//               World::learnRuleHandles)
//   ipam        open+flock lock; unlink <dir>/<ip>; close lock
//   veth-del    [pod] setns; socket; RTM_DELLINK IFLA_IFNAME eth0 (takes the host end with it:
//               one rcu_barrier, the bulk of DEL); close; setns back
//   nft-close   close the netfilter socket (after the veth: its grace period covers nf_tables')
// ptp ADD:
//   ipam        as bridge
//   veth        socket; RTM_NEWLINK veth, host end IFF_UP + TXQLEN 0 (no master), peer in pod
//   host-sysctl ipv6/conf/<veth>/accept_ra = 0
//   host-getlink RTM_GETLINK <veth> (its index for the address and route below)
//   pod-link    [pod] setns; socket; RTM_GETLINK eth0; RTM_NEWADDR <ip>/20 brd; RTM_NEWLINK up;
//               RTM_NEWROUTE default via <gw> (CREATE); RTM_DELROUTE <subnet> dev eth0 (the
//               kernel's prefix route); RTM_NEWROUTE <gw>/32 dev eth0 scope link src <ip>;
//               RTM_NEWROUTE <subnet> via <gw> src <ip> (EXCL); close; setns back
//   host-addr   RTM_NEWADDR <gw>/32 on <veth>; RTM_NEWROUTE <ip>/32 dev <veth> scope host
//   nft         as bridge
//   close       close the node rtnetlink socket
// ptp DEL (the plugin's order: the veth before IPAM):
//   nft, veth-del, ipam, nft-close   as bridge
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <cerrno>

#include "bench/floor/floor.h"
#include "src/ipam/file_lock.h"
#include "src/netlink/addr.h"
#include "src/netlink/link.h"
#include "src/netlink/link_create.h"
#include "src/netlink/link_set.h"
#include "src/netlink/route.h"
#include "src/netlink/socket.h"
#include "src/nft/model.h"
#include "src/nft/nfsocket.h"
#include "src/nft/transaction.h"
#include "src/sysctl/sysctl.h"

namespace cni::floorbench {
namespace {

using netlink::Socket;

// Splits one op into consecutive steps; mark(i) charges the time since the previous mark.
class StepClock {
 public:
  explicit StepClock(OpTiming& t)
      : t_(t), cpu_start_(threadCpuNs()), start_(monotonicNs()), last_(start_) {}
  void mark(size_t step) {
    const uint64_t now = monotonicNs();
    t_.step_ns[step] += now - last_;
    last_ = now;
  }
  void finish() {
    t_.total_ns = last_ - start_;
    t_.cpu_ns = threadCpuNs() - cpu_start_;
    t_.done = true;
  }

 private:
  OpTiming& t_;
  uint64_t cpu_start_;
  uint64_t start_;
  uint64_t last_;
};

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failErrno(ErrorCode::kIoFailure, "write " + path, errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status closeChecked(UniqueFd& fd, const std::string& path) {
  if (::close(fd.release()) != 0) return failErrno(ErrorCode::kIoFailure, "close " + path, errno);
  return {};
}

// host-local's reservation: the lease file created exclusively, then the round-robin cursor
// rewritten in place and cut to length (our store's way; O_TRUNC would free the block and make
// ext4 discard it synchronously, see kernel-floor.md).
Status ipamReserve(const World& w, const Pod& p) {
  CNI_ASSIGN_OR_RETURN(ipam::FileLock lock, ipam::FileLock::acquire(w.ipamDir()));
  UniqueFd lease(::open(p.lease_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!lease) return failErrno(ErrorCode::kIoFailure, "create " + p.lease_path, errno);
  CNI_TRY(writeAll(lease.get(), p.lease_text, p.lease_path));
  CNI_TRY(closeChecked(lease, p.lease_path));
  const std::string& last_path = w.lastReservedPath();
  UniqueFd last(::open(last_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!last) return failErrno(ErrorCode::kIoFailure, "open " + last_path, errno);
  CNI_TRY(writeAll(last.get(), p.ip_text, last_path));
  if (::ftruncate(last.get(), static_cast<off_t>(p.ip_text.size())) != 0) {
    return failErrno(ErrorCode::kIoFailure, "ftruncate " + last_path, errno);
  }
  return closeChecked(last, last_path);
}

Status ipamRelease(const World& w, const Pod& p) {
  CNI_ASSIGN_OR_RETURN(ipam::FileLock lock, ipam::FileLock::acquire(w.ipamDir()));
  if (::unlink(p.lease_path.c_str()) != 0) {
    return failErrno(ErrorCode::kIoFailure, "unlink " + p.lease_path, errno);
  }
  return {};
}

Status createVeth(Socket& sock, const Pod& p, int master) {
  return netlink::createVeth(sock, {.host_name = p.host_veth,
                                    .peer_name = std::string(kPodIfname),
                                    .peer_netns_fd = p.ns->fd(),
                                    .host_master = master,
                                    .host_up = true,
                                    .txqlen = 0});
}

// [pod] eth0: address (with its broadcast, as Go's AddrAdd), up, default route via the
// gateway (RouteAddEcmp's flags: NLM_F_CREATE only). Returns eth0's index.
Expected<int> configureEth0(Socket& sock, const World& w, const Pod& p) {
  CNI_ASSIGN_OR_RETURN(netlink::Link eth0, netlink::getLinkByName(sock, kPodIfname));
  netlink::AddressOptions ao;
  ao.broadcast = p.address.lastAddress();
  CNI_TRY(netlink::addAddress(sock, eth0.index, p.address, ao));
  CNI_TRY(netlink::setLinkUp(sock, eth0.index));
  static const IpPrefix kDefault = *IpPrefix::parse("0.0.0.0/0");
  netlink::Route def{.dst = kDefault, .gateway = w.gateway(), .dev = eth0.index};
  netlink::Message m = netlink::buildRouteRequest(RTM_NEWROUTE, NLM_F_CREATE, def);
  CNI_TRY(sock.request(m));
  return eth0.index;
}

// [pod] ptp's point-to-point routing: the kernel's prefix route is replaced by
// "<gw>/32 scope link" + "<subnet> via <gw>".
Status ptpPodRoutes(Socket& sock, const World& w, const Pod& p, int eth0) {
  netlink::Route connected{.dst = w.subnet(), .dev = eth0, .scope = RT_SCOPE_NOWHERE};
  connected.protocol = 0;
  CNI_ASSIGN_OR_RETURN(auto gone, netlink::delRoute(sock, connected));
  if (gone != netlink::DeleteResult::kDeleted) {
    return fail(ErrorCode::kInternal, "the pod's prefix route was not there to delete");
  }
  CNI_ASSIGN_OR_RETURN(IpPrefix gw32, IpPrefix::make(w.gateway(), 32));
  CNI_TRY(netlink::addRoute(
      sock, {.dst = gw32, .dev = eth0, .src = p.address.address(), .scope = RT_SCOPE_LINK}));
  return netlink::addRoute(
      sock, {.dst = w.subnet(), .gateway = w.gateway(), .dev = eth0, .src = p.address.address()});
}

Status addMasqRule(const World& w, const Pod& p) {
  CNI_ASSIGN_OR_RETURN(nft::NfSocket s, nft::NfSocket::open());
  nft::Transaction tx;
  tx.add(nft::Rule{nft::Family::kInet,
                   std::string(kMasqTable),
                   std::string(kMasqChain),
                   {nft::stmt::saddr(p.address.address()),
                    nft::stmt::daddr(w.subnet(), nft::CmpOp::kNeq), nft::stmt::masquerade()},
                   p.comment});
  return tx.commit(s);
}

// Deletes the pod's rule by its handle, on the caller's socket (kept open until after the veth).
Status delMasqRule(const World& w, nft::NfSocket& s, const Pod& p) {
  nft::Transaction tx;
  if (w.hasDestroy()) {
    tx.destroyRule(nft::Family::kInet, kMasqTable, kMasqChain, p.rule_handle);
  } else {
    tx.deleteRule(nft::Family::kInet, kMasqTable, kMasqChain, p.rule_handle);
  }
  return tx.commit(s);
}

Status deleteEth0(const World& w, const Pod& p) {
  CNI_ASSIGN_OR_RETURN(NsSwitch in_pod, NsSwitch::enter(*p.ns, w.node()));
  CNI_ASSIGN_OR_RETURN(Socket sock, Socket::open());
  CNI_ASSIGN_OR_RETURN(auto r, netlink::deleteLinkByName(sock, kPodIfname));
  if (r != netlink::DeleteResult::kDeleted) {
    return fail(ErrorCode::kInternal, "eth0 of " + p.container_id + " was already gone");
  }
  return {};
}

Status bridgeAdd(const World& w, const Pod& p, OpTiming& t) {
  StepClock clock(t);
  {
    CNI_ASSIGN_OR_RETURN(Socket host, Socket::open());
    CNI_TRY_CTX(createVeth(host, p, w.bridgeIndex()), "veth");
    clock.mark(0);
    CNI_TRY(sysctl::set(sysctl::ifaceKey(IpFamily::kV6, p.host_veth, "accept_ra"), "0"));
    clock.mark(1);
    CNI_TRY_CTX(ipamReserve(w, p), "ipam");
    clock.mark(2);
    {
      CNI_ASSIGN_OR_RETURN(NsSwitch in_pod, NsSwitch::enter(*p.ns, w.node()));
      CNI_TRY(sysctl::set(sysctl::ifaceKey(IpFamily::kV6, kPodIfname, "accept_dad"), "0"));
      CNI_TRY(sysctl::set(sysctl::ifaceKey(IpFamily::kV4, kPodIfname, "arp_notify"), "1"));
      clock.mark(3);
      CNI_ASSIGN_OR_RETURN(Socket pod, Socket::open());
      CNI_TRY_CTX(configureEth0(pod, w, p), "pod eth0");
    }
    clock.mark(4);
    CNI_TRY_CTX(addMasqRule(w, p), "nft");
    clock.mark(5);
  }
  clock.mark(6);
  clock.finish();
  return {};
}

Status ptpAdd(const World& w, const Pod& p, OpTiming& t) {
  StepClock clock(t);
  CNI_TRY_CTX(ipamReserve(w, p), "ipam");
  clock.mark(0);
  {
    CNI_ASSIGN_OR_RETURN(Socket host, Socket::open());
    CNI_TRY_CTX(createVeth(host, p, 0), "veth");
    clock.mark(1);
    CNI_TRY(sysctl::set(sysctl::ifaceKey(IpFamily::kV6, p.host_veth, "accept_ra"), "0"));
    clock.mark(2);
    CNI_ASSIGN_OR_RETURN(netlink::Link veth, netlink::getLinkByName(host, p.host_veth));
    clock.mark(3);
    {
      CNI_ASSIGN_OR_RETURN(NsSwitch in_pod, NsSwitch::enter(*p.ns, w.node()));
      CNI_ASSIGN_OR_RETURN(Socket pod, Socket::open());
      CNI_ASSIGN_OR_RETURN(int eth0, configureEth0(pod, w, p));
      CNI_TRY_CTX(ptpPodRoutes(pod, w, p, eth0), "pod routes");
    }
    clock.mark(4);
    CNI_ASSIGN_OR_RETURN(IpPrefix gw32, IpPrefix::make(w.gateway(), 32));
    CNI_TRY(netlink::addAddress(host, veth.index, gw32, netlink::AddressOptions{}));
    CNI_ASSIGN_OR_RETURN(IpPrefix pod32, IpPrefix::make(p.address.address(), 32));
    CNI_TRY(netlink::addRoute(host, {.dst = pod32, .dev = veth.index, .scope = RT_SCOPE_HOST}));
    clock.mark(5);
    CNI_TRY_CTX(addMasqRule(w, p), "nft");
    clock.mark(6);
  }
  clock.mark(7);
  clock.finish();
  return {};
}

Status bridgeDel(const World& w, const Pod& p, OpTiming& t) {
  StepClock clock(t);
  {
    CNI_ASSIGN_OR_RETURN(nft::NfSocket nfs, nft::NfSocket::open());
    CNI_TRY_CTX(delMasqRule(w, nfs, p), "nft");
    clock.mark(0);
    CNI_TRY_CTX(ipamRelease(w, p), "ipam");
    clock.mark(1);
    CNI_TRY_CTX(deleteEth0(w, p), "veth");
    clock.mark(2);
  }
  clock.mark(3);
  clock.finish();
  return {};
}

Status ptpDel(const World& w, const Pod& p, OpTiming& t) {
  StepClock clock(t);
  {
    CNI_ASSIGN_OR_RETURN(nft::NfSocket nfs, nft::NfSocket::open());
    CNI_TRY_CTX(delMasqRule(w, nfs, p), "nft");
    clock.mark(0);
    CNI_TRY_CTX(deleteEth0(w, p), "veth");
    clock.mark(1);
    CNI_TRY_CTX(ipamRelease(w, p), "ipam");
    clock.mark(2);
  }
  clock.mark(3);
  clock.finish();
  return {};
}

}  // namespace

std::vector<std::string_view> stepNames(Kind kind, Op op) {
  if (kind == Kind::kBridge) {
    if (op == Op::kAdd) {
      return {"veth", "host-sysctl", "ipam", "pod-sysctl", "pod-link", "nft", "close"};
    }
    return {"nft", "ipam", "veth-del", "nft-close"};
  }
  if (op == Op::kAdd) {
    return {"ipam", "veth", "host-sysctl", "host-getlink", "pod-link", "host-addr", "nft", "close"};
  }
  return {"nft", "veth-del", "ipam", "nft-close"};
}

Status podAdd(const World& w, const Pod& p, OpTiming& t) {
  Status s = w.options().kind == Kind::kBridge ? bridgeAdd(w, p, t) : ptpAdd(w, p, t);
  if (!s) return fail(std::move(s.error()).withContext("ADD of pod " + std::to_string(p.index)));
  return {};
}

Status podDel(const World& w, const Pod& p, OpTiming& t) {
  Status s = w.options().kind == Kind::kBridge ? bridgeDel(w, p, t) : ptpDel(w, p, t);
  if (!s) return fail(std::move(s.error()).withContext("DEL of pod " + std::to_string(p.index)));
  return {};
}

}  // namespace cni::floorbench
