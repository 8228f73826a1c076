#!/usr/bin/env bash
# bench/render.sh — bench.csv (bench/pods/stats.h's rows) to the Markdown report.
#   usage: bench/render.sh bench.csv <mode> <pods>
set -euo pipefail
csv=$1 mode=${2:-full} pods=${3:-?}
ref_version=$(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null || echo '?')
cat <<HEAD
# cnikit vs the reference plugins — $mode run

$(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs, reference: Debian containernetworking-plugins
$ref_version (/usr/lib/cni). $pods pods per case and plugin set, both sets interleaved in one run
(\`make bench\`; quick mode: \`make bench-quick\`). **ratio** = reference / cnikit (how many times
cheaper cnikit is); **× floor** = cnikit / floor, the floor being the same kernel work done by one
process over netlink (\`bench-floor\`). Times in ms unless the unit says otherwise.
HEAD
title() {
  case $1 in
    pods) echo "Pod ADD/DEL through libcnikit (one conflist, every plugin exec'd as a runtime does)" ;;
    runtime) echo "The runtime side: libcnikit's own time per operation" ;;
    plugins) echo "Each plugin exec in the chains (median)" ;;
    rss) echo "Peak RSS per plugin process (wait4 ru_maxrss through a tiny exec shim)" ;;
    exec) echo "Exec floor: CNI_COMMAND=VERSION" ;;
    disk) echo "Bytes on disk" ;;
    host-local) echo "host-local with reservations already on disk (one exec per op)" ;;
    micro) echo "Micro-benchmarks (Google Benchmark, in-process)" ;;
    *) echo "$1" ;;
  esac
}
for section in pods runtime plugins rss exec disk host-local micro; do
  grep -q "^$section," "$csv" || continue
  printf '\n## %s\n\n' "$(title "$section")"
  if [ "$section" = micro ]; then
    echo "| benchmark | time | unit |"
    echo "|---|---|---|"
    awk -F, -v s="$section" '$1 == s { printf "| %s | %s | %s |\n", $2, $5, $4 }' "$csv"
    continue
  fi
  has_floor=$(awk -F, -v s="$section" '$1 == s && $8 != "" { print "y"; exit }' "$csv")
  if [ -n "$has_floor" ]; then
    echo "| case | metric | cnikit | reference | ratio | floor | cnikit × floor |"
    echo "|---|---|---|---|---|---|---|"
  else
    echo "| case | metric | unit | cnikit | reference | ratio |"
    echo "|---|---|---|---|---|---|"
  fi
  awk -F, -v s="$section" -v f="$has_floor" '$1 == s {
    c = ($2 == last) ? "" : $2; last = $2
    r = ($7 == "") ? "" : $7 "×"
    if (f != "") printf "| %s | %s | %s | %s | %s | %s | %s |\n", c, $3, $5, $6, r, $8, ($9 == "" ? "" : $9 "×")
    else printf "| %s | %s | %s | %s | %s | %s |\n", c, $3, $4, $5, $6, r
  }' "$csv"
done
