#!/usr/bin/env bash
# scripts/host_state.sh — what the test suite must leave as it found it on the machine: the
# root network namespace (links, addresses, routes, rules, the whole nftables ruleset, the
# forwarding sysctls), the named namespaces, and the CNI state and config directories. Every
# test builds its own throwaway namespaces and directories; scripts/test.sh prints this before
# and after the suites and fails on any difference (a leak, or a test that touched the host).
# Volatile fields (counters, lifetimes, link state) are left out so that only objects count, and
# so are the devices a kernel module creates in the root namespace when it is first loaded
# (ifb0/ifb1 when bandwidth's first ifb device loads ifb.ko; the tunnel modules' fallbacks).
set -uo pipefail
module_devices='^(ifb[01]|tunl0|sit0|gre0|gretap0|erspan0|ip_vti0|ip6_vti0|ip6tnl0|ip6gre0|bond0|dummy0)$'
echo "# links"
ip -o link show | sed -E 's/^[0-9]+: ([^:@]+)(@[^:]*)?:.*/\1/' | grep -Ev "$module_devices" | sort
echo "# addresses"
# (Addresses and routes the machine's own DHCP or router advertisements manage come and go.)
ip -o addr show | grep -Ev ' (dynamic|temporary) ' | awk '{print $2, $3, $4}' |
  awk -v re="$module_devices" '$1 !~ re' | sort
echo "# routes"
ip route show table all | grep -Ev ' proto (ra|dhcp) ' | sed -E 's/ expires [0-9]+sec//; s/ (linkdown|pref [a-z]+)//g' | sort
echo "# rules"
ip rule show; ip -6 rule show
echo "# nftables (stateless)"
nft -s list ruleset 2>/dev/null
echo "# sysctls"
for k in net.ipv4.ip_forward net.ipv6.conf.all.forwarding; do
  printf '%s = %s\n' "$k" "$(sysctl -n "$k" 2>/dev/null)"
done
echo "# named namespaces"
ls /run/netns 2>/dev/null | sort
# (Files only, and no lock files: an empty directory or a lock file that a plugin or podman
# creates on first use, as the reference plugins do, holds no state.)
echo "# CNI state and config"
for d in /var/lib/cni /run/cni /etc/cni /run/cnikit-demo-*; do
  [ -e "$d" ] && find "$d" ! -type d ! -name lock ! -name '*.lock' -printf '%p %y %m\n' 2>/dev/null | sort
done
exit 0
