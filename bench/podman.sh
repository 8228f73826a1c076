#!/usr/bin/env bash
# bench/podman.sh — what a container start costs in podman 4.3 (CNI backend) with cnikit's
# plugins vs the Go reference plugins, on the same podman-generated bridge conflist (bridge +
# host-local, portmap, firewall, tuning).
#
# Everything is private, as in tests/e2e/podman_test.cc: podman runs in a throwaway "node" netns
# (nsenter --net, not `ip netns exec`: that remounts /sys and hides the cgroup hierarchies), with
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF in a temp dir; the two implementations differ only in
# cni_plugin_dirs. Runs alternate (ours, reference, ours, ...) so machine noise lands on both.
# Each sample is the wall time of `podman run --rm --rootfs <busybox> ... /bin/true`.
#   usage: bench/podman.sh [runs=10]     (CNI_BIN=<dir> to bench another build of ours)
# Needs: podman, runc, busybox-static, containernetworking-plugins; root.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
ours=${CNI_BIN:-$PWD/build/cni-bin}
ref=/usr/lib/cni
for p in bridge host-local portmap firewall tuning; do
  [[ -x $ours/$p && -x $ref/$p ]] || { echo "need $ours/$p and $ref/$p" >&2; exit 2; }
done
for t in podman runc nsenter; do
  command -v "$t" >/dev/null || { echo "need $t (apt-get install -y podman runc)" >&2; exit 2; }
done
file -L /bin/busybox | grep -q 'statically linked' ||
  { echo "need a static /bin/busybox (apt-get install -y busybox-static)" >&2; exit 2; }

tag=ckpb$$
net=cnikit-bench$$
node=$tag-node
work=$(mktemp -d /tmp/cnikit-bench-XXXXXX)
pm() {  # pm ours|ref <podman args...>
  local impl=$1
  shift
  CONTAINERS_CONF=$work/$impl.conf CONTAINERS_STORAGE_CONF=$work/storage.conf \
    nsenter --net="/run/netns/$node" podman "$@"
}
cleanup() {
  if [[ -e /run/netns/$node ]]; then
    pm ours rm -a -f -t 0 >/dev/null 2>&1 || true
    pm ours network rm -f "$net" >/dev/null 2>&1 || true
    ip netns del "$node" 2>/dev/null || true
  fi
  rm -rf "/var/lib/cni/networks/$net" "/var/lib/cni/results/$net-"* "$work"
}
trap cleanup EXIT

ip netns add "$node"
ip -n "$node" link set lo up
mkdir -p "$work"/{rootfs/bin,rootfs/proc,rootfs/sys,rootfs/dev,rootfs/etc,net.d,tmp}
cp /bin/busybox "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/true"
for impl in ours ref; do
  dir=$ours
  [[ $impl == ref ]] && dir=$ref
  cat >"$work/$impl.conf" <<EOF
[network]
network_backend = "cni"
cni_plugin_dirs = ["$dir"]
network_config_dir = "$work/net.d"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
tmp_dir = "$work/tmp"
lock_type = "file"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
EOF
done
cat >"$work/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$work/runroot"
graphroot = "$work/root"
EOF
pm ours network create --subnet "10.251.$(($$ % 250)).0/24" "$net" >/dev/null

# sample <impl> <podman run args...>: prints the wall time of one run in microseconds.
sample() {
  local impl=$1 s e
  shift
  s=$(date +%s%N)
  pm "$impl" run --rm "$@" --rootfs "$work/rootfs" /bin/true >/dev/null
  e=$(date +%s%N)
  echo $(((e - s) / 1000))
}

declare -A t
variants=("ours bridge" "ref bridge" "ours publish" "ref publish" "ours none")
for v in "${variants[@]}"; do t[$v]=""; done
args_for() {
  case $1 in
    bridge) echo "--network $net" ;;
    publish) echo "--network $net -p 8080:80" ;;
    none) echo "--network none" ;;
  esac
}
for impl in ours ref; do sample "$impl" $(args_for publish) >/dev/null; done  # warm caches
for ((i = 0; i < runs; i++)); do
  for v in "${variants[@]}"; do
    read -r impl kind <<<"$v"
    t[$v]+="$(sample "$impl" $(args_for "$kind")) "
  done
done

median() { tr ' ' '\n' <<<"$*" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
p90() { tr ' ' '\n' <<<"$*" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int(NR * 0.9 + 0.5)] }'; }
none=$(median ${t[ours none]})
row() {  # row <label> <samples...>: median, p90, and the median's excess over --network none
  local label=$1 m
  shift
  m=$(median "$@")
  awk -v l="$label" -v m="$m" -v p="$(p90 "$@")" -v n="$none" \
    'BEGIN { printf "  %-44s %7.0f %7.0f %9.0f\n", l, m / 1000, p / 1000, (m - n) / 1000 }'
}
echo "podman $(podman --version | awk '{print $3}'): run --rm --rootfs <busybox> /bin/true," \
  "$runs runs each (ms)"
printf '  %-44s %7s %7s %9s\n' "" median p90 "- none"
row "--network none" ${t[ours none]}
row "bridge conflist, cnikit" ${t[ours bridge]}
row "bridge conflist, Go reference" ${t[ref bridge]}
row "bridge conflist + -p 8080:80, cnikit" ${t[ours publish]}
row "bridge conflist + -p 8080:80, Go reference" ${t[ref publish]}
