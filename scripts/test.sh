#!/usr/bin/env bash
# scripts/test.sh — the whole test suite on a fresh Debian 12 machine: installs dependencies,
# builds, and runs every test:
#   1. build/ (g++, the shipped configuration): unit; as root also netns + e2e (throwaway
#      network namespaces), which include the reliability suites (bad input, file hygiene, crash
#      consistency, concurrency soak);
#   2. build-san/ (clang-16, ASan + UBSan): the unit and netns suites again, sanitized;
#   3. every libFuzzer target for FUZZ_SECONDS (default 20) on its seed corpus, and every
#      regression input.
# CNIKIT_LONG_TESTS=1 runs the long variants (soak and crash sweeps ~10x, fuzzing 300 s per
# target); CNIKIT_SKIP_SANITIZE=1 skips steps 2 and 3. Extra arguments go to step 1's ctest.
# As root, the machine itself (root network namespace, named namespaces, CNI directories:
# scripts/host_state.sh) must be the same after all of it as before, or the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
host_before=""
if [ "$(id -u)" -ne 0 ]; then
  echo "note: not root — netns and e2e tests will be skipped" >&2
else
  host_before=$(bash scripts/host_state.sh)
fi
# The long variants run for up to ~20 minutes per test (the 8 x 5000 soak).
timeout=300
if [ "${CNIKIT_LONG_TESTS:-0}" = 1 ]; then timeout=3600; fi
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout "$timeout" "$@"
# The reliability suites' figures (docs/reliability.md), from every test's full output.
grep -h '^\[reliability\]' build/Testing/Temporary/LastTest.log 2>/dev/null || true
if [ "${CNIKIT_SKIP_SANITIZE:-0}" != 1 ]; then
  bash scripts/sanitize.sh
  if [ "${CNIKIT_LONG_TESTS:-0}" = 1 ]; then export FUZZ_SECONDS=${FUZZ_SECONDS:-300}; fi
  bash scripts/fuzz.sh
fi
if [ -n "$host_before" ]; then
  host_after=$(bash scripts/host_state.sh)
  if [ "$host_after" != "$host_before" ]; then
    echo "FAIL: the suites changed the machine (scripts/host_state.sh, before -> after):" >&2
    diff <(printf '%s\n' "$host_before") <(printf '%s\n' "$host_after") >&2 || true
    exit 1
  fi
  echo "host: the suites left the machine's network and CNI state as they found it"
fi
