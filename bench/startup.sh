#!/usr/bin/env bash
# bench/startup.sh — start-up cost of a plugin exec, ours vs the Go reference, in one run.
#
# Runs `CNI_COMMAND=VERSION <plugin>` N times for build/cni-bin/loopback and
# /usr/lib/cni/loopback, interleaved in rounds so machine noise hits both alike, and prints the
# per-exec mean of each, the ratio, and both binaries' sizes.
#   usage: bench/startup.sh [N=500]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
ours=build/cni-bin/loopback
ref=/usr/lib/cni/loopback
[ -x "$ours" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
[ -x "$ref" ] || { echo "needs containernetworking-plugins" >&2; exit 1; }

run() {  # run <binary> <count> -> nanoseconds total
  local bin=$1 count=$2 start end
  start=$(date +%s%N)
  for ((i = 0; i < count; i++)); do CNI_COMMAND=VERSION "$bin" >/dev/null </dev/null; done
  end=$(date +%s%N)
  echo $((end - start))
}

rounds=5
per=$((n / rounds))
t_ours=0
t_ref=0
for ((r = 0; r < rounds; r++)); do
  t_ours=$((t_ours + $(run "$ours" "$per")))
  t_ref=$((t_ref + $(run "$ref" "$per")))
done
total=$((per * rounds))
awk -v o="$t_ours" -v r="$t_ref" -v n="$total" \
    -v so="$(stat -L -c %s "$ours")" -v sr="$(stat -L -c %s "$ref")" 'BEGIN {
  printf "plugin exec (VERSION), %d runs each\n", n
  printf "  cnikit  loopback: %7.3f ms/exec   %6.2f MB (static, all plugins in one file)\n", o / n / 1e6, so / 1e6
  printf "  Go ref  loopback: %7.3f ms/exec   %6.2f MB (one plugin)\n", r / n / 1e6, sr / 1e6
  printf "  ratio (ref/ours): %.2fx faster\n", r / o
}'
file -L "$ours" | sed 's/^/  /'
