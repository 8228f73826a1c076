#!/usr/bin/env bash
# scripts/sanitize.sh — the unit and netns suites under AddressSanitizer + UndefinedBehavior-
# Sanitizer (issue #7). Builds build-san/ with clang-16 (-DCNIKIT_FUZZ=ON: the same tree serves
# scripts/fuzz.sh), where every library, the tests and the plugin binary they exec are
# instrumented, and any report (invalid access, leak, undefined behaviour) fails the test.
#
#   scripts/sanitize.sh              unit + netns (netns needs root)
#   scripts/sanitize.sh -R Bridge    extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build-san -DCNIKIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 >/dev/null
cmake --build build-san -j"$(nproc)"
symbolizer=/usr/lib/llvm-16/bin/llvm-symbolizer
export ASAN_SYMBOLIZER_PATH=$symbolizer
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Sanitized code runs 2-5x slower: a longer per-test timeout than the plain tree's.
ctest --test-dir build-san -L 'unit|netns' --output-on-failure -j"$(nproc)" --timeout 900 "$@"
