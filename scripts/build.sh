#!/usr/bin/env bash
# scripts/build.sh — configure and build into build/ (CLI at build/bin/cnikit, plugins in
# build/cni-bin/, tests in build/tests/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build -j"$(nproc)"
