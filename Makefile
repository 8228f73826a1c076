# Convenience entry points; the build itself is CMake (scripts/build.sh).
.PHONY: build test demo bench bench-quick

build:
	bash scripts/build.sh

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

# The benchmark against the reference plugins (docs/performance.md): full (200 pods per case,
# ~10 minutes) and quick (< 2 minutes). Writes bench/results/<mode>/bench.{csv,md}.
bench:
	bash bench/run.sh --full

bench-quick:
	bash bench/run.sh --quick
