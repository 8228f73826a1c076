#!/usr/bin/env bash
# bench/host_local.sh — host-local ADD/DEL with N existing leases, ours vs the Go reference, in
# one run. The reference DEL reads every lease file (O(leases)); ours does not.
#   usage: bench/host_local.sh [existing=1000] [ops=50]
set -euo pipefail
cd "$(dirname "$0")/.."
existing=${1:-1000}
ops=${2:-50}
work=$(mktemp -d /tmp/cnikit-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
export CNI_NETNS=/nonexistent CNI_IFNAME=eth0 CNI_PATH=/

# bench <binary> <datadir>: prints "add_us del_us del_nothing_us"
bench() {
  local bin=$1 dir=$2 conf s e add del none
  conf='{"cniVersion":"1.0.0","name":"bn","type":"x","ipam":{"type":"host-local","dataDir":"'$dir'","ranges":[[{"subnet":"10.200.0.0/20"}]]}}'
  for ((i = 0; i < existing; i++)); do
    echo "$conf" | CNI_COMMAND=ADD CNI_CONTAINERID=pre$i "$bin" >/dev/null
  done
  s=$(date +%s%N)
  for ((i = 0; i < ops; i++)); do echo "$conf" | CNI_COMMAND=ADD CNI_CONTAINERID=t$i "$bin" >/dev/null; done
  e=$(date +%s%N); add=$(((e - s) / ops / 1000))
  s=$(date +%s%N)
  for ((i = 0; i < ops; i++)); do echo "$conf" | CNI_COMMAND=DEL CNI_CONTAINERID=t$i "$bin" >/dev/null; done
  e=$(date +%s%N); del=$(((e - s) / ops / 1000))
  s=$(date +%s%N)
  for ((i = 0; i < ops; i++)); do echo "$conf" | CNI_COMMAND=DEL CNI_CONTAINERID=none$i "$bin" >/dev/null; done
  e=$(date +%s%N); none=$(((e - s) / ops / 1000))
  echo "$add $del $none"
}

read -r oa od on < <(bench build/cni-bin/host-local "$work/ours")
read -r ra rd rn < <(bench /usr/lib/cni/host-local "$work/ref")
awk -v oa="$oa" -v od="$od" -v on="$on" -v ra="$ra" -v rd="$rd" -v rn="$rn" -v n="$existing" \
    -v k="$ops" 'BEGIN {
  printf "host-local with %d existing leases, %d ops each (ms per exec)\n", n, k
  printf "  %-22s %8s %8s %6s\n", "", "cnikit", "Go ref", "ratio"
  printf "  %-22s %8.2f %8.2f %5.1fx\n", "ADD", oa / 1000, ra / 1000, ra / oa
  printf "  %-22s %8.2f %8.2f %5.1fx\n", "DEL", od / 1000, rd / 1000, rd / od
  printf "  %-22s %8.2f %8.2f %5.1fx\n", "DEL (nothing to free)", on / 1000, rn / 1000, rn / on
}'
