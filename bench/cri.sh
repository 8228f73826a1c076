#!/usr/bin/env bash
# bench/cri.sh — what a kubelet sees: containerd 1.6 CRI pod-sandbox latency with our plugins vs
# the Go reference plugins (/usr/lib/cni), same conflist (bridge + host-local + portmap +
# bandwidth, cniVersion 1.0.0), same containerd build, in one run.
#
# Two throwaway nodes (tests/e2e/cri/cri_node.sh: private containerd in its own netns and mount
# namespace, nothing of the host touched) run side by side; batches of sequential pod lifecycles
# (RunPodSandbox with a hostPort and ingress/egress bandwidth annotations, PodSandboxStatus,
# StopPodSandbox, RemovePodSandbox) alternate between them so machine noise hits both alike.
# A host-network batch (no CNI call at all) gives the runtime's own floor.
#   usage: bench/cri.sh [N=20 pods per side] [BATCH=5]
#   BUILD=<build dir> (default build): our plugins are $BUILD/cni-bin
# Needs root and: containerd runc containernetworking-plugins protobuf-compiler python3-grpcio
# python3-protobuf gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
batch=${2:-5}
ours=$(pwd)/${BUILD:-build}/cni-bin
node=$(pwd)/tests/e2e/cri/cri_node.sh
[ "$(id -u)" -eq 0 ] || { echo "needs root (network and mount namespaces)" >&2; exit 1; }
[ -x "$ours/bridge" ] || { echo "build first: $ours/bridge missing" >&2; exit 1; }
[ -x /usr/lib/cni/bridge ] || { echo "needs containernetworking-plugins" >&2; exit 1; }
command -v containerd >/dev/null || { echo "needs containerd runc" >&2; exit 1; }

work=$(mktemp -d /tmp/cnikit-bench-cri.XXXXXX)
cleanup() {
  "$node" down "$work/ours" || true
  "$node" down "$work/ref" || true
  rm -rf "$work"
}
trap cleanup EXIT

CNI_BIN=$ours TAG=$(($$ * 10 + 1)) "$node" up "$work/ours" >/dev/null
CNI_BIN=/usr/lib/cni TAG=$(($$ * 10 + 2)) "$node" up "$work/ref" >/dev/null

bench() {  # bench <side> <count> [extra args] -> one JSON line appended to $work/<side>.jsonl
  local side=$1 count=$2
  shift 2
  # shellcheck disable=SC1090
  (source "$work/$side/env" &&
    "$node" client "$work/$side" bench -n "$count" --name-prefix "b$RANDOM-" \
      --label "$LABEL" --cgroup-parent "/$CGROUP_PARENT" "$@") >>"$work/$side.jsonl"
}
full=(--hostport-base 30000 --annotation kubernetes.io/ingress-bandwidth=10M
      --annotation kubernetes.io/egress-bandwidth=10M)

# Warm-up (the first pod creates the bridge, the nft table or iptables chains): not counted.
bench ours 1 "${full[@]}"
bench ref 1 "${full[@]}"
: >"$work/ours.jsonl"
: >"$work/ref.jsonl"
for ((done = 0; done < n; done += batch)); do
  bench ours "$batch" "${full[@]}"
  bench ref "$batch" "${full[@]}"
done
# Host network: no CNI, run on our node (the node's plugins are never called).
for ((done = 0; done < n; done += batch)); do
  # shellcheck disable=SC1091
  (source "$work/ours/env" &&
    "$node" client "$work/ours" bench -n "$batch" --name-prefix "h$RANDOM-" --host-network \
      --label "$LABEL" --cgroup-parent "/$CGROUP_PARENT") >>"$work/hostnet.jsonl"
done

/usr/bin/python3 - "$work" "$(containerd --version | awk '{print $3}')" <<'EOF'
import json, statistics, sys
work, version = sys.argv[1], sys.argv[2]
def load(side):
    raw = {}
    for line in open(f"{work}/{side}.jsonl"):
        for k, v in json.loads(line)["raw"].items():
            raw.setdefault(k, []).extend(v)
    return raw
def med(xs): return statistics.median(xs)
def p90(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, (9 * len(s) + 9) // 10 - 1)]
sides = {"ours": load("ours"), "ref": load("ref"), "hostnet": load("hostnet")}
n = len(sides["ours"]["run"])
print(f"containerd {version} CRI, {n} pods per side (hostPort + ingress/egress bandwidth), ms")
print(f"  {'call':18s} {'cnikit':>18s} {'Go reference':>18s} {'ratio':>6s} {'host network':>18s}")
for op, name in (("run", "RunPodSandbox"), ("stop", "StopPodSandbox"),
                 ("remove", "RemovePodSandbox")):
    o, r, h = sides["ours"][op], sides["ref"][op], sides["hostnet"][op]
    cell = lambda xs: f"{med(xs):7.1f} (p90 {p90(xs):6.1f})"
    print(f"  {name:18s} {cell(o):>18s} {cell(r):>18s} {med(r) / med(o):5.2f}x {cell(h):>18s}")
EOF
