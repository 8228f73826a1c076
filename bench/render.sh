#!/usr/bin/env bash
# bench/render.sh — bench.csv (bench/pods/stats.h's rows) to the Markdown report.
#   usage: bench/render.sh bench.csv <mode> <pods>
#          bench/render.sh --headline bench.csv   (the README's summary table only)
#          bench/render.sh --targets bench.csv    (the issue's targets, each checked)
set -euo pipefail
if [ "${1:-}" = --headline ]; then
  csv=$2
  echo "| ms unless stated | cnikit | reference | ratio | cnikit × floor |"
  echo "|---|---|---|---|---|"
  while IFS='|' read -r s c m l; do
    awk -F, -v s="$s" -v c="$c" -v m="$m" -v l="$l" '$1 == s && index($2, c) == 1 && $3 == m {
      r = ($7 == "") ? "" : $7 "×"; f = ($9 == "") ? "" : $9 "×"
      printf "| %s | %s | %s | %s | %s |\n", l, $5, $6, r, f; exit }' "$csv"
  done <<'ROWS'
pods|(a) bridge+host-local+masq; sequential|ADD median|(a) bridge + host-local + masq, ADD median
pods|(a) bridge+host-local+masq; sequential|DEL median|(a) DEL median
pods|(b) (a)+portmap+bandwidth+firewall+tuning; sequential|ADD median|(b) (a) + portmap + bandwidth + firewall + tuning, ADD median
pods|(b) (a)+portmap+bandwidth+firewall+tuning; sequential|DEL median|(b) DEL median
pods|(c) ptp+host-local+masq; sequential|ADD median|(c) ptp + host-local + masq, ADD median
pods|(c) ptp+host-local+masq; sequential|DEL median|(c) DEL median
pods|(a) bridge+host-local+masq; 8 in parallel|ADD p99|(a) 8 in parallel, ADD p99
pods|(a) bridge+host-local+masq; 8 in parallel|DEL p99|(a) 8 in parallel, DEL p99
pods|(b) (a)+portmap+bandwidth+firewall+tuning; 8 in parallel|ADD p99|(b) 8 in parallel, ADD p99
runtime|(a) bridge+host-local+masq; sequential|libcnikit per ADD; besides plugins (median)|libcnikit's own time per ADD (a), µs
exec|VERSION (exec floor); every plugin|median|VERSION exec, every plugin, median
rss|(a) bridge+host-local+masq; sequential|bridge ADD private (anon) RSS at exit|bridge ADD private memory, MiB
rss|(a) bridge+host-local+masq; sequential|bridge ADD peak RSS|bridge ADD peak RSS (incl. shared executable pages), MiB
disk|whole plugin set|bytes on disk|plugin set on disk, MB
host-local|10000 reservations on disk|ADD median|host-local ADD with 10 000 reservations
host-local|10000 reservations on disk|DEL median|host-local DEL with 10 000 reservations
ROWS
  exit 0
fi
if [ "${1:-}" = --targets ]; then
  # The issue's targets, each checked against the CSV: <label>|<section>|<case prefix>|<metric>|
  # <column: ratio (reference/cnikit), xfloor (cnikit/floor), cnikit>|<op: ge, le>|<bound>
  csv=$2
  echo "| target | measured | holds |"
  echo "|---|---|---|"
  while IFS='|' read -r l s c m col op bound; do
    awk -F, -v l="$l" -v s="$s" -v c="$c" -v m="$m" -v col="$col" -v op="$op" -v b="$bound" '
      $1 == s && index($2, c) == 1 && $3 == m {
        v = (col == "ratio") ? $7 : (col == "xfloor") ? $9 : $5
        if (v == "") next
        ok = (op == "ge") ? (v + 0 >= b + 0) : (v + 0 <= b + 0)
        unit = (col == "cnikit") ? " " $4 : "×"
        printf "| %s | %s%s | %s |\n", l, v, unit, ok ? "yes" : "**no**"; found = 1; exit }
      END { if (!found) printf "| %s | (no data) | |\n", l }' "$csv"
  done <<'ROWS'
(a) ADD median ≤ 1.5× floor|pods|(a) bridge+host-local+masq; sequential|ADD median|xfloor|le|1.5
(c) ADD median ≤ 1.5× floor|pods|(c) ptp+host-local+masq; sequential|ADD median|xfloor|le|1.5
(a) ADD median ≥ 8× lower than reference|pods|(a) bridge+host-local+masq; sequential|ADD median|ratio|ge|8
(b) ADD median ≥ 20× lower|pods|(b) (a)+portmap+bandwidth+firewall+tuning; sequential|ADD median|ratio|ge|20
(c) ADD median ≥ 8× lower|pods|(c) ptp+host-local+masq; sequential|ADD median|ratio|ge|8
(a) DEL median ≤ 1.25× floor|pods|(a) bridge+host-local+masq; sequential|DEL median|xfloor|le|1.25
(c) DEL median ≤ 1.25× floor|pods|(c) ptp+host-local+masq; sequential|DEL median|xfloor|le|1.25
(a) DEL median ≥ 2× lower|pods|(a) bridge+host-local+masq; sequential|DEL median|ratio|ge|2
(b) DEL median ≥ 6× lower|pods|(b) (a)+portmap+bandwidth+firewall+tuning; sequential|DEL median|ratio|ge|6
(c) DEL median ≥ 2× lower|pods|(c) ptp+host-local+masq; sequential|DEL median|ratio|ge|2
(a) 8 in parallel: ADD p99 ≥ 5× lower|pods|(a) bridge+host-local+masq; 8 in parallel|ADD p99|ratio|ge|5
(a) 8 in parallel: DEL p99 ≥ 5× lower|pods|(a) bridge+host-local+masq; 8 in parallel|DEL p99|ratio|ge|5
(b) 8 in parallel: ADD p99 ≥ 5× lower|pods|(b) (a)+portmap+bandwidth+firewall+tuning; 8 in parallel|ADD p99|ratio|ge|5
(b) 8 in parallel: DEL p99 ≥ 5× lower|pods|(b) (a)+portmap+bandwidth+firewall+tuning; 8 in parallel|DEL p99|ratio|ge|5
(c) 8 in parallel: ADD p99 ≥ 5× lower|pods|(c) ptp+host-local+masq; 8 in parallel|ADD p99|ratio|ge|5
(c) 8 in parallel: DEL p99 ≥ 5× lower|pods|(c) ptp+host-local+masq; 8 in parallel|DEL p99|ratio|ge|5
VERSION exec ≤ 1 ms (median over every plugin)|exec|VERSION (exec floor); every plugin|median|cnikit|le|1
peak RSS ≥ 4× lower (bridge ADD)|rss|(a) bridge+host-local+masq; sequential|bridge ADD peak RSS|ratio|ge|4
private memory ≥ 4× lower (bridge ADD; our reading of "RSS")|rss|(a) bridge+host-local+masq; sequential|bridge ADD private (anon) RSS at exit|ratio|ge|4
plugin set on disk ≥ 10× smaller|disk|whole plugin set|bytes on disk|ratio|ge|10
host-local ADD at 10 000 no slower than at 10 (cost ratio ≤ 1.1)|host-local|cost at 10000 / at 10|ADD|cnikit|le|1.1
host-local DEL at 10 000 no slower than at 10 (cost ratio ≤ 1.1)|host-local|cost at 10000 / at 10|DEL|cnikit|le|1.1
ROWS
  exit 0
fi
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
