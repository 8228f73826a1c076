#!/usr/bin/env bash
# bench/run.sh — the benchmark: cnikit's plugins and the Go reference plugins (Debian's
# containernetworking-plugins, /usr/lib/cni) on identical conflists, interleaved, in one run,
# each reported against the kernel floor (bench-floor). `make bench` / `make bench-quick`.
#
#   bench/run.sh [--quick] [--out DIR]
#     --quick  40 pods per case, fewer repetitions (< 2 minutes); default: full (200 pods)
#     --out    where to write bench.csv and bench.md (default: bench/results/<mode>)
# Rows (docs/performance.md explains each, and what the targets are):
#   pods      ADD/DEL median/p90/p99 of (a) bridge+host-local+masq, (b) (a)+portmap+bandwidth+
#             firewall+tuning with a port mapping, (c) ptp+host-local+masq; sequential and
#             8 in parallel; with the floor and our multiple of it
#   runtime   libcnikit's own time per ADD/DEL (config load, stdin, cache) vs time in plugins
#   plugins   each plugin exec of the chains; rss: peak RSS per plugin process
#   exec      VERSION (the exec floor) per plugin; disk: bytes of the plugin sets
#   host-local  ADD/DEL with 10 and 10 000 reservations on disk
#   micro     Google Benchmark: config parse, result conversion, IPAM allocation
# Needs root (network namespaces; everything happens in throwaway ones) and an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
out=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --out) out=$2; shift ;;
    *) echo "usage: bench/run.sh [--quick|--full] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-bench/results/$mode}
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh needs root (network namespaces)" >&2; exit 1; }
if [ $mode = quick ]; then
  pods=40 version_runs=30 hl_ops=20 micro_time=0.05
else
  pods=200 version_runs=200 hl_ops=100 micro_time=0.5
fi
par=8

bash scripts/deps.sh >&2
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} bash scripts/build.sh >&2
cmake --build build -j"$(nproc)" --target bench-floor bench-pods bench-micro >&2
ours=$PWD/build/cni-bin
ref=/usr/lib/cni
mkdir -p "$out"
tmp=$(mktemp -d /tmp/cnikit-bench-run-XXXXXX)
csv=$tmp/bench.csv
# A failed run keeps what it measured so far (bench.partial.csv) for the post-mortem.
trap 'st=$?; [ $st -ne 0 ] && [ -s "$csv" ] && cp "$csv" "$out/bench.partial.csv"; rm -rf "$tmp"' EXIT
B="build/bin/bench-pods --ours $ours --ref $ref --work $tmp/work"
say() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }

$B --header disk >"$csv"
# Both plugin sets start from the same page-cache state: dropped, then faulted in by their first
# exec. Ours was just written by the linker, the reference's read long ago, and a file's cached
# folio sizes decide how much of it a process maps (its peak RSS; docs/performance.md).
for f in "$ours"/* "$ref"/*; do dd if="$f" iflag=nocache count=0 status=none; done
say "VERSION x $version_runs per plugin"
$B version --runs "$version_runs" >>"$csv"
say "host-local with 10 and 10000 reservations, $hl_ops ops"
$B host-local --counts 10,10000 --ops "$hl_ops" >>"$csv"
for kind in bridge ptp; do
  for p in 1 $par; do
    say "floor: $kind, $pods pods, parallel $p"
    build/bin/bench-floor --kind $kind --pods "$pods" --parallel $p >"$tmp/floor-$kind-$p" \
      2>"$tmp/floor-$kind-$p.log" || { cat "$tmp/floor-$kind-$p.log" >&2; exit 1; }
  done
done
for s in a b c; do
  kind=bridge; [ $s = c ] && kind=ptp
  for p in 1 $par; do
    say "pods: scenario ($s), $pods pods per plugin set, parallel $p"
    $B pods --scenario $s --pods "$pods" --parallel $p --floor "$tmp/floor-$kind-$p" >>"$csv"
  done
done
say "micro-benchmarks"
build/bin/bench-micro --benchmark_min_time="$micro_time" --benchmark_format=csv \
  2>/dev/null | awk -F, 'NR > 1 && $1 != "" {
    gsub(/"/, "", $1); printf "micro,%s,real time,%s,%s,,,,\n", $1, $5, $3 }' >>"$csv"

cp "$csv" "$out/bench.csv"
{
  bash bench/render.sh "$out/bench.csv" "$mode" "$pods"
  printf '\n## Targets (docs/performance.md)\n\n'
  bash bench/render.sh --targets "$out/bench.csv"
} >"$out/bench.md"
bash bench/render.sh --headline "$out/bench.csv" >"$out/headline.md"
cat "$out/bench.md"
say "wrote $out/bench.csv, $out/bench.md and $out/headline.md"
