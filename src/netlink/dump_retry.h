// src/netlink/dump_retry.h — what to do when the kernel marks a dump NLM_F_DUMP_INTR (the link
// list or the nf_tables ruleset changed between two parts of a multi-part dump, so the parts
// may disagree): repeat it, after a short random pause. On a node starting pods in parallel,
// every other pod's commit can interrupt a dump that spans parts. Five back-to-back tries were
// measured too few: 8 parallel portmap ADDs failed at ~140 pods on one node. nft(8) retries
// without a bound; we retry for longer, but still give up with a clear "try again later".
#pragma once

namespace cni::netlink {

inline constexpr int kDumpAttempts = 100;

// Sleeps before repetition `attempt` (1, 2, ...): a random time up to min(2 ms, 50 us * 2^n),
// so ops that keep interrupting each other fall out of step. Worst case for all attempts
// together: about 0.2 s.
void pauseBeforeDumpRetry(int attempt);

}  // namespace cni::netlink
