#!/usr/bin/env bash
# scripts/deps.sh — install what cnikit needs to build and test (Debian 12), only if missing.
#   build: g++ (12+), cmake (3.25+), nlohmann-json, CLI11, GoogleTest, Google Benchmark
#   tests: containernetworking-plugins (the Go reference plugins, our oracle, in /usr/lib/cni),
#          iproute2 + iptables (the reference plugins shell out to iptables), iputils-ping;
#          podman + runc + busybox-static (tests/e2e/podman_test.cc: podman drives our plugins;
#          runc listed explicitly: crun, podman's default pick, cannot run on hybrid cgroups);
#          containerd + python3-grpcio/protobuf + protobuf-compiler (tests/e2e/containerd_test.cc:
#          a private containerd's CRI plugin drives our plugins, our own Python CRI client);
#          dnsmasq-base (tests/netns/dhcp_test.cc: the DHCP server our dhcp daemon talks to);
#          python3-jsonschema (tests/e2e/doctor_cli_test.cc validates `cnikit doctor --json`
#          against docs/doctor.schema.json);
#          clang-16 + libclang-rt-16-dev (libFuzzer and the sanitizer runtimes) + llvm-16
#          (llvm-symbolizer): the sanitizer and fuzzing tree, build-san/ (scripts/sanitize.sh,
#          scripts/fuzz.sh). clang-16 is the oldest clang that compiles std::expected.
set -euo pipefail
pkgs=(g++ cmake make pkg-config file nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
      libbenchmark-dev containernetworking-plugins iproute2 iptables iputils-ping nftables
      podman runc busybox-static containerd python3-grpcio python3-protobuf protobuf-compiler
      dnsmasq-base python3-jsonschema clang-16 libclang-rt-16-dev llvm-16)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
