// src/netlink/tc.h — rtnetlink traffic control: qdiscs (tbf, ingress) and u32 filters with a
// mirred redirect action, as `tc qdisc|filter add|replace|del|show` does them.
//
// The bandwidth plugin is the user: a TBF on the host veth shapes traffic towards the pod, and
// the pod's own traffic (ingress of the host veth) is redirected by a u32 match-all filter to an
// ifb device whose root TBF shapes it. Encodings follow what iproute2 and Go's vishvananda/
// netlink send, so the kernel state is the reference plugin's, byte for byte where it shows:
//
//   RTM_NEWQDISC  tcmsg{ifindex, handle, parent} TCA_KIND "tbf"
//                 TCA_OPTIONS{ TCA_TBF_PARMS tc_tbf_qopt{rate.rate, limit, buffer},
//                              TCA_TBF_RATE64 (only when rate >= 2^32 bytes/s) }
//   RTM_NEWQDISC  tcmsg{ifindex, ffff:0, parent ingress} TCA_KIND "ingress" TCA_OPTIONS{}
//   RTM_NEWTFILTER tcmsg{ifindex, parent ffff:, info = prio << 16 | htons(ETH_P_ALL)}
//                 TCA_KIND "u32" TCA_OPTIONS{ TCA_U32_SEL (one all-zero key: match all),
//                   TCA_U32_CLASSID, TCA_U32_ACT{ 1:{TCA_ACT_KIND "mirred",
//                   TCA_ACT_OPTIONS{TCA_MIRRED_PARMS tc_mirred}} ... } }
//
// TBF times are in the kernel's psched ticks; the tick length comes from /proc/net/psched
// (see PschedClock), exactly as `tc` and Go's netlink compute it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/error.h"
#include "src/netlink/message.h"
#include "src/netlink/outcome.h"
#include "src/netlink/socket.h"

namespace cni::netlink {

// TC handles: major:minor, 16 bits each (TC_H_MAKE).
constexpr uint32_t makeTcHandle(uint16_t major, uint16_t minor) {
  return (static_cast<uint32_t>(major) << 16) | minor;
}
inline constexpr uint32_t kTcHandleRoot = 0xFFFFFFFFu;        // TC_H_ROOT
inline constexpr uint32_t kTcHandleIngress = 0xFFFFFFF1u;     // TC_H_INGRESS
inline constexpr uint32_t kIngressQdiscHandle = 0xFFFF0000u;  // "ffff:"

// The kernel's packet-scheduler clock (/proc/net/psched: t2us us2t clock_res hz, hex).
struct PschedClock {
  double tick_in_usec = 15.625;  // ticks per microsecond (1000/64 on every modern kernel)
  double clock_factor = 1.0;     // clock_res / 1e6

  // Go netlink Time2Tick / Tick2Time.
  uint32_t usecToTicks(uint32_t usec) const;
  uint32_t ticksToUsec(uint32_t ticks) const;
};
// Parses the file's text (4 hex numbers); iproute2's compatibility rule applies (a clock_res of
// 1e9 means "t2us is really us2t").
Expected<PschedClock> parsePsched(std::string_view text);
// Reads /proc/net/psched once per process (the clock cannot change) — the file is the same in
// every network namespace.
Expected<PschedClock> schedClock();

// A token bucket as the kernel stores it.
struct TbfParams {
  uint64_t rate = 0;    // bytes per second
  uint32_t buffer = 0;  // bucket size, as transmit time in psched ticks
  uint32_t limit = 0;   // queue length in bytes
};

// The bandwidth plugin's (and `tc ... tbf rate R burst B latency L`'s) derivation, in Go
// netlink's arithmetic: rate = bits/8, buffer = ticks(burst_bytes * 1e6 / rate),
// limit = rate * latency + burst_bytes.
TbfParams tbfFromBits(uint64_t rate_bits, uint64_t burst_bits, uint32_t latency_ms,
                      const PschedClock& clock);

struct Qdisc {
  int ifindex = 0;
  uint32_t handle = 0;
  uint32_t parent = 0;
  std::string kind;              // "tbf", "ingress", "noqueue", "pfifo_fast", ...
  std::optional<TbfParams> tbf;  // for kind "tbf"
};

// A mirred action (tc_mirred): eaction TCA_EGRESS_REDIR etc., verdict TC_ACT_*.
struct MirredAction {
  int eaction = 0;
  uint32_t ifindex = 0;
  int verdict = 0;
};

struct U32Filter {
  int ifindex = 0;
  uint32_t parent = 0;
  uint32_t handle = 0;
  uint16_t priority = 0;
  uint16_t protocol = 0;  // host order (ETH_P_ALL = 3)
  uint32_t classid = 0;
  bool match_all = false;  // selector: one key with zero mask (matches every packet)
  std::vector<MirredAction> actions;
};

// Requests (pure: byte-level unit tests need no root). `type` is RTM_NEWQDISC or RTM_DELQDISC;
// `flags` NLM_F_CREATE|NLM_F_EXCL (add) or NLM_F_CREATE|NLM_F_REPLACE (replace).
Message buildTbfRequest(uint16_t type, uint16_t flags, int ifindex, uint32_t handle,
                        uint32_t parent, const TbfParams& p);
Message buildIngressQdiscRequest(uint16_t type, uint16_t flags, int ifindex);
Message buildQdiscDeleteRequest(int ifindex, uint32_t handle, uint32_t parent);
Message buildQdiscDumpRequest(int ifindex);
// The u32 match-all filter redirecting to `actions` (Go netlink U32{ClassId, Actions}).
Message buildU32RedirectRequest(uint16_t flags, int ifindex, uint32_t parent, uint16_t priority,
                                uint16_t protocol, uint32_t classid,
                                const std::vector<MirredAction>& actions);
Message buildFilterDumpRequest(int ifindex, uint32_t parent);

// Decoding one RTM_NEWQDISC / RTM_NEWTFILTER message.
Expected<Qdisc> parseQdisc(const RawMessage& m);
// nullopt for messages that are not u32 key nodes (hash-table heads carry no selector).
Expected<std::optional<U32Filter>> parseU32Filter(const RawMessage& m);

// Operations, in the namespace of `sock`.
Status addTbf(Socket& sock, int ifindex, uint32_t handle, uint32_t parent, const TbfParams& p);
Status replaceTbf(Socket& sock, int ifindex, uint32_t handle, uint32_t parent, const TbfParams& p);
Status addIngressQdisc(Socket& sock, int ifindex);
// kNotFound when there is no such qdisc (ENOENT / EINVAL on a default root qdisc).
Expected<DeleteResult> deleteQdisc(Socket& sock, int ifindex, uint32_t handle, uint32_t parent);
// Qdiscs of one link (ifindex 0: all links).
Expected<std::vector<Qdisc>> listQdiscs(Socket& sock, int ifindex = 0);
Status addU32Redirect(Socket& sock, int ifindex, uint32_t parent, uint16_t priority,
                      uint16_t protocol, uint32_t classid,
                      const std::vector<MirredAction>& actions);
Expected<std::vector<U32Filter>> listU32Filters(Socket& sock, int ifindex, uint32_t parent);

}  // namespace cni::netlink
