#!/usr/bin/env bash
# scripts/test.sh — the whole test suite on a fresh Debian 12 machine: installs dependencies,
# builds, runs every test (unit; and, as root, netns + e2e in throwaway network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "note: not root — netns and e2e tests will be skipped" >&2
fi
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300 "$@"
