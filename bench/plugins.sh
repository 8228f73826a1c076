#!/usr/bin/env bash
# bench/plugins.sh — pod network ADD and DEL, cnikit vs the Go reference plugins, in one run.
#
# One throwaway "node" namespace plays the host; each implementation gets its own bridge and
# subnet in it, and pods alternate between the two implementations (ours, reference, ours, ...)
# so that machine noise lands on both equally. Each ADD/DEL is one exec of the plugin, exactly
# as a runtime runs it, with CNI_PATH pointing at the implementation's own directory (so its
# own host-local serves IPAM). Pod namespaces are created before timing starts.
#   usage: bench/plugins.sh [pods=50] [config=bridge|ptp]
# Prints median and p90 per operation and the ratio reference/cnikit.
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-50}
kind=${2:-bridge}
ours=$PWD/build/cni-bin
ref=/usr/lib/cni
[[ -x $ours/$kind && -x $ref/$kind ]] || { echo "need $ours/$kind and $ref/$kind" >&2; exit 2; }
tag=ckb$$
work=$(mktemp -d /tmp/cnikit-bench-XXXXXX)
cleanup() {
  for ((i = 0; i < pods; i++)); do ip netns del "$tag-o$i" 2>/dev/null || true
    ip netns del "$tag-r$i" 2>/dev/null || true; done
  ip netns del "$tag-node" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$tag-node"
ip -n "$tag-node" link set lo up
for ((i = 0; i < pods; i++)); do ip netns add "$tag-o$i"; ip netns add "$tag-r$i"; done

conf() {  # conf <net> <bridge> <subnet>
  if [[ $kind == bridge ]]; then
    printf '{"cniVersion":"1.0.0","name":"%s","type":"bridge","bridge":"%s","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"%s"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"%s"}}' "$1" "$2" "$3" "$work/ipam"
  else
    printf '{"cniVersion":"1.0.0","name":"%s","type":"ptp","ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"%s"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"%s"}}' "$1" "$3" "$work/ipam"
  fi
}
conf_o=$(conf bench-ours cbo0 10.96.0.0/20)
conf_r=$(conf bench-ref cbr0 10.95.0.0/20)

# The timing loop runs inside the node namespace (nsenter: no per-op namespace switch cost).
nsenter --net=/run/netns/$tag-node env pods="$pods" tag="$tag" kind="$kind" ours="$ours" \
  ref="$ref" conf_o="$conf_o" conf_r="$conf_r" bash -c '
  op() {  # op <impl> <cmd> <i>
    local dir conf ns
    if [[ $1 == ours ]]; then dir=$ours conf=$conf_o ns=$tag-o$3; else dir=$ref conf=$conf_r ns=$tag-r$3; fi
    local t0=$EPOCHREALTIME
    CNI_COMMAND=$2 CNI_CONTAINERID=c$3 CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$dir \
      "$dir/$kind" <<<"$conf" >/dev/null || { echo "$1 $2 $3 failed" >&2; exit 1; }
    local t1=$EPOCHREALTIME
    echo "$1 $2 $(( (${t1/./} - ${t0/./}) ))"
  }
  for ((i = 0; i < pods; i++)); do op ours ADD $i; op ref ADD $i; done
  for ((i = 0; i < pods; i++)); do op ours DEL $i; op ref DEL $i; done
' >"$work/times"

# pct <impl> <op> <fraction>: the nearest-rank percentile in ms.
pct() {
  awk -v i="$1" -v o="$2" '$1 == i && $2 == o { print $3 / 1000 }' "$work/times" | sort -g |
    awk -v p="$3" '{ a[NR] = $1 } END { k = int(p * NR + 0.999); if (k < 1) k = 1; print a[k] }'
}
printf '%s + host-local, ipMasq on, %d pods per implementation, interleaved (ms per exec)\n\n' \
  "$kind" "$pods"
echo "| op | cnikit median | cnikit p90 | reference median | reference p90 | ratio (median) |"
echo "|---|---|---|---|---|---|"
for o in ADD DEL; do
  om=$(pct ours $o 0.5) op=$(pct ours $o 0.9) rm=$(pct ref $o 0.5) rp=$(pct ref $o 0.9)
  awk -v o="$o" -v om="$om" -v op="$op" -v rm="$rm" -v rp="$rp" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.2f | %.2f | %.1fx |\n", o, om, op, rm, rp, rm / om }'
done
