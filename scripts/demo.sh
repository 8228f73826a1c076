#!/usr/bin/env bash
# scripts/demo.sh — the main job: build, then create pod network namespaces, attach them with the
# embedded default network config through libcnikit, prove traffic, tear down, print timings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
exec build/bin/cnikit demo "$@"
