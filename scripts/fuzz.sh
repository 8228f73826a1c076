#!/usr/bin/env bash
# scripts/fuzz.sh — build the libFuzzer targets (fuzz/, clang-16 + ASan + UBSan) in build-san/
# and run each one for FUZZ_SECONDS (default 20) on a copy of its seed corpus, after running
# every regression input once. Fails on any crash, leak, timeout or sanitizer report.
#
#   scripts/fuzz.sh                     every target
#   scripts/fuzz.sh fuzz_conf ...       only these
#   FUZZ_SECONDS=300 scripts/fuzz.sh    a longer run (FUZZ_JOBS=2: jobs per target)
#
# Works on a fresh Debian 12 as root (scripts/deps.sh installs clang-16 and libFuzzer's runtime
# when missing). The fuzz tree is build-san/, shared with scripts/sanitize.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_JOBS=${FUZZ_JOBS:-1}
MAX_LEN=${FUZZ_MAX_LEN:-65536}
BUILD=$repo/build-san
ALL_TARGETS=(fuzz_conf fuzz_result fuzz_cni_args fuzz_plugin_conf)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

# --- dependencies and build -----------------------------------------------------------------
# build-san/ is the clang-16 tree of scripts/sanitize.sh too (same configuration, so the two
# never reconfigure each other); only the fuzzers are built here.
bash scripts/deps.sh
cmake -S . -B "$BUILD" -DCNIKIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}"

# --- run --------------------------------------------------------------------------------------
symbolizer=/usr/lib/llvm-16/bin/llvm-symbolizer
export ASAN_SYMBOLIZER_PATH=$symbolizer
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:external_symbolizer_path=$symbolizer}
work=$(mktemp -d /tmp/cnikit-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
summary=()
failed=0
for t in "${targets[@]}"; do
  bin="$BUILD/fuzz/$t"
  log="$work/$t.log"
  # Every regression input once: each reproduced a crash that is fixed now.
  regressions=(fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" -runs=1 "${regressions[@]}" >"$log" 2>&1; then
      echo "=== $t: a regression input fails again" >&2
      tail -n 60 "$log" >&2
      failed=1
      summary+=("$t: REGRESSION")
      continue
    fi
  fi
  # A scratch copy of the seed corpus: what the run adds never lands in the repository.
  corpus="$work/corpus-$t"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$t"/* "$corpus"/
  seeds=$(ls "$corpus" | wc -l)
  # Crashing inputs are kept (outside the scratch dir) for the regression directory.
  artifacts="$BUILD/fuzz-artifacts/$t/"
  mkdir -p "$artifacts"
  echo "=== $t: ${FUZZ_SECONDS}s on $seeds seeds"
  rc=0
  # From the scratch dir: with -jobs, libFuzzer writes its fuzz-<n>.log files to the cwd.
  (cd "$work" && "$bin" "$corpus" -dict="$repo/fuzz/cni.dict" -max_len="$MAX_LEN" \
         -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
         -jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS" \
         -artifact_prefix="$artifacts" -print_final_stats=1) >"$log" 2>&1 || rc=$?
  if [ "$FUZZ_JOBS" -gt 1 ]; then cat "$work"/fuzz-*.log >>"$log" 2>/dev/null; rm -f "$work"/fuzz-*.log; fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  size=$(ls "$corpus" | wc -l)
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    echo "=== $t FAILED (exit $rc); the input is in $artifacts" >&2
    grep -E -A1 'ERROR:|runtime error:|invariant broken' "$log" | head -n 8 >&2
    grep -E '^ *#[0-9]+ .* in cni::' "$log" | head -n 12 >&2
    failed=1
    summary+=("$t: FAILED after $execs execs")
  else
    summary+=("$t: $execs execs ($rate/s), corpus $seeds -> $size")
  fi
done

echo
echo "fuzz summary (${FUZZ_SECONDS}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
