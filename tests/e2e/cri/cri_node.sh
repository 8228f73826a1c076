#!/usr/bin/env bash
# tests/e2e/cri/cri_node.sh — a throwaway Kubernetes-like "node" in which a private containerd
# (Debian's 1.6, CRI plugin) wires pod sandboxes with the CNI plugins of $CNI_BIN.
#
#   CNI_BIN=<plugin dir> cri_node.sh up DIR     build everything under DIR (empty or missing)
#   cri_node.sh down DIR                        tear it all down (idempotent; after any failure)
#   cri_node.sh client DIR <cri_client args>    run the CRI client against DIR's containerd
#
# Nothing of the real host is touched:
#   - netns $NODE_NS ("the node") holds containerd, the CNI bridge, the pods' host veths, the
#     ifb devices and nft rules; netns $CLIENT_NS is "another machine" joined to the node by a
#     veth (TEST-NET-1: node 192.0.2.1, client 192.0.2.2; with IPV6=1 also 2001:db8:ff::1/::2).
#     Traffic only flows between the two (and the pods behind the node).
#   - containerd runs in its own mount namespace (nsenter --net, then unshare --mount) with
#     a fresh sysfs (so /sys/class/net is the node's; the cgroup hierarchies are bound back in),
#     a tmpfs on /run (shim sockets, runc state, /run/netns, xtables.lock stay private) and an
#     overlay on /var/lib whose upper dir is DIR/varlib/upper: go-cni's result cache
#     (/var/lib/cni/results, not configurable in containerd 1.6) lands in DIR, readable from here.
#   - root, state, sockets, the conflist dir, the host-local dataDir, the pod netns mounts
#     (netns_mounts_under_state_dir) are under DIR; the pods' cgroups under /$CGROUP_PARENT.
# DIR/env lists every name (KEY=value lines, read by the gtest and by `down`); it is written
# before anything is created, so `down` can undo a half-finished `up`.
#
# Environment for `up`: CNI_BIN (required), TAG (default: our pid; makes every name unique),
# POD_SUBNET (default 198.18.<n>.0/24, benchmarking space), SNAPSHOTTER (default overlayfs when
# the kernel has it, else native), CNI_CONFLIST (a file to use instead of the default: bridge +
# host-local + portmap + bandwidth, cniVersion 1.0.0), CC (default cc), CNI_TRACE=1 (containerd
# execs wrappers that record every plugin call in DIR/cni-trace/<ns-timestamp>-<pid>-<plugin>.
# {env,stdin,stdout,stderr,rc} before exec'ing the real plugin; costs a shell per call, so
# benchmarks leave it off), IPV6=1 (dual stack: the default conflist gets a second range,
# POD_SUBNET6 (default 2001:db8:c<n>::/64), and node/client get 2001:db8:ff::1 / ::2, TEST-NET's
# IPv6 counterpart, the documentation prefix).
# Needs: containerd runc (containerd 1.6), iproute2, util-linux (nsenter, unshare), a C compiler
# with static libc, /usr/bin/python3 with python3-grpcio + python3-protobuf, protoc.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
CLIENT="$HERE/cri_client.py"

die() {
  echo "cri_node.sh: $*" >&2
  exit 1
}

load_env() {
  [[ -f $1/env ]] || die "$1/env missing (was 'up' run?)"
  # shellcheck disable=SC1091
  source "$1/env"
}

client() {
  CRI_SOCKET="$SOCKET" CRI_PB_DIR="$D/pb" "$PY" "$CLIENT" "$@"
}

# ---------------------------------------------------------------------------------------------
up() {
  D=$(mkdir -p "$1" && cd "$1" && pwd)
  [[ -n ${CNI_BIN:-} && -x $CNI_BIN/bridge ]] || die "CNI_BIN must name a plugin dir"
  CNI_BIN=$(cd "$CNI_BIN" && pwd)
  local tag=${TAG:-$$}
  local n=$((tag % 250))
  local snap=${SNAPSHOTTER:-}
  if [[ -z $snap ]]; then
    if grep -qw overlay /proc/filesystems; then
      snap=overlayfs
    else
      snap=native
    fi
  fi
  local trace_dir="" ipv6_node="" ipv6_client="" ipv6_subnet=""
  if [[ ${IPV6:-0} == 1 ]]; then
    ipv6_node=2001:db8:ff::1
    ipv6_client=2001:db8:ff::2
    ipv6_subnet=${POD_SUBNET6:-2001:db8:c$n::/64}
  fi
  [[ ${CNI_TRACE:-0} == 1 ]] && trace_dir=$D/cni-trace
  # Every name this run creates, before creating any of it.
  cat >"$D/env" <<EOF
D=$D
TAG=$tag
CNI_BIN=$CNI_BIN
NODE_NS=cnikit-cri-node-$tag
CLIENT_NS=cnikit-cri-client-$tag
NODE_ADDR=192.0.2.1
CLIENT_ADDR=192.0.2.2
BRIDGE=ckcri$((tag % 100000))
NETWORK=cnikit-cri-$tag
POD_SUBNET=${POD_SUBNET:-198.18.$n.0/24}
NODE_ADDR6=$ipv6_node
CLIENT_ADDR6=$ipv6_client
POD_SUBNET6=$ipv6_subnet
SOCKET=$D/containerd.sock
IMAGE=cnikit.local/cri-pause:$tag
SNAPSHOTTER=$snap
IPAM_DIR=$D/ipam
CNI_CACHE_DIR=$D/varlib/upper/cni
NETNS_DIR=$D/state/io.containerd.grpc.v1.cri/netns
CGROUP_PARENT=cnikit-cri-$tag
LABEL=cnikit-cri=$tag
TRACE_DIR=$trace_dir
CONTAINERD_PID=
CONTAINERD_MNTNS=
EOF
  load_env "$D"
  mkdir -p "$D"/{root,state,net.d,ipam,logs,pb,opt,runc,mnt/cgroup,varlib/upper,varlib/work}
  local bin_dir=$CNI_BIN
  if [[ -n $TRACE_DIR ]]; then
    bin_dir=$D/cni-bin
    mkdir -p "$bin_dir" "$TRACE_DIR"
    local plugin
    for plugin in "$CNI_BIN"/*; do
      [[ -x $plugin && -f $plugin ]] || continue
      cat >"$bin_dir/${plugin##*/}" <<EOF
#!/bin/bash
# CNI call recorder (cri_node.sh CNI_TRACE=1): the real plugin is $plugin
t=$TRACE_DIR/\$(date +%s%N)-\$\$-${plugin##*/}
env | grep '^CNI_' | sort >"\$t.env"
cat >"\$t.stdin"
"$plugin" <"\$t.stdin" >"\$t.stdout" 2>"\$t.stderr"
rc=\$?
echo \$rc >"\$t.rc"
cat "\$t.stdout"
cat "\$t.stderr" >&2
exit \$rc
EOF
      chmod +x "$bin_dir/${plugin##*/}"
    done
  fi

  # 1. The node and the client machine.
  ip netns add "$NODE_NS"
  ip netns add "$CLIENT_NS"
  ip -n "$NODE_NS" link set lo up # the CRI stream server binds 127.0.0.1
  ip -n "$CLIENT_NS" link set lo up
  ip -n "$NODE_NS" link add uplink type veth peer name eth0 netns "$CLIENT_NS"
  ip -n "$NODE_NS" addr add "$NODE_ADDR/24" dev uplink
  ip -n "$CLIENT_NS" addr add "$CLIENT_ADDR/24" dev eth0
  ip -n "$NODE_NS" link set uplink up
  ip -n "$CLIENT_NS" link set eth0 up
  ip -n "$CLIENT_NS" route add "$POD_SUBNET" via "$NODE_ADDR"
  if [[ -n $POD_SUBNET6 ]]; then # nodad: usable at once, not after DAD's ~1 s
    ip -n "$NODE_NS" addr add "$NODE_ADDR6/64" dev uplink nodad
    ip -n "$CLIENT_NS" addr add "$CLIENT_ADDR6/64" dev eth0 nodad
    ip -n "$CLIENT_NS" route add "$POD_SUBNET6" via "$NODE_ADDR6"
  fi

  # 2. The pause image: our static pause in a one-layer OCI archive.
  "${CC:-cc}" -static -Os -o "$D/pause" "$HERE/pause.c"
  "$PY" "$CLIENT" image --pause "$D/pause" --ref "$IMAGE" --out "$D/pause.tar" >/dev/null

  # 3. The network: what a cluster admin would put in /etc/cni/net.d.
  if [[ -n ${CNI_CONFLIST:-} ]]; then
    cp "$CNI_CONFLIST" "$D/net.d/10-cnikit-cri.conflist"
  else
    local ranges='[{ "subnet": "'$POD_SUBNET'" }]' routes='{ "dst": "0.0.0.0/0" }'
    if [[ -n $POD_SUBNET6 ]]; then
      ranges+=', [{ "subnet": "'$POD_SUBNET6'" }]'
      routes+=', { "dst": "::/0" }'
    fi
    cat >"$D/net.d/10-cnikit-cri.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [$ranges],
        "routes": [$routes],
        "dataDir": "$IPAM_DIR"
      }
    },
    { "type": "portmap", "snat": true, "capabilities": { "portMappings": true } },
    { "type": "bandwidth", "capabilities": { "bandwidth": true } }
  ]
}
EOF
  fi

  # 4. containerd's configuration: everything private, the two settings this machine kind needs
  # (restrict_oom_score_adj: no CAP_SYS_RESOURCE, so pause's oom_score_adj -998 would fail runc).
  cat >"$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$SOCKET"
[ttrpc]
  address = "$D/containerd-ttrpc.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMAGE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$SNAPSHOTTER"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$D/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$bin_dir"
    conf_dir = "$D/net.d"
    max_conf_num = 1
EOF

  # 5. containerd inside the node: its own mount namespace (slave: host mounts still show up,
  # ours never leak out). One exec chain (nsenter -> unshare -> sh -> containerd), so $! is
  # containerd's pid.
  local setup="set -e
mount --rbind /sys/fs/cgroup '$D/mnt/cgroup'
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount --rbind '$D/mnt/cgroup' /sys/fs/cgroup
umount -l '$D/mnt/cgroup'
mount -t tmpfs -o mode=0755,size=64m tmpfs /run
mount -t overlay overlay \\
  -o 'lowerdir=/var/lib,upperdir=$D/varlib/upper,workdir=$D/varlib/work' /var/lib
exec containerd --config '$D/config.toml'"
  # A clean environment, as under an init system: nothing of the caller's (CNI_PATH, ...) may
  # reach the plugins through containerd.
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    nsenter --net="/run/netns/$NODE_NS" unshare --mount --propagation slave sh -c "$setup" \
    >>"$D/containerd.log" 2>&1 &
  local pid=$!
  sed -i "s/^CONTAINERD_PID=.*/CONTAINERD_PID=$pid/" "$D/env"
  for _ in $(seq 100); do
    [[ -S $SOCKET ]] && break
    kill -0 "$pid" 2>/dev/null || die "containerd exited: $(tail -5 "$D/containerd.log")"
    sleep 0.1
  done
  [[ -S $SOCKET ]] || die "no containerd socket after 10s: $(tail -5 "$D/containerd.log")"
  sed -i "s/^CONTAINERD_MNTNS=.*/CONTAINERD_MNTNS=$(stat -L -c %i "/proc/$pid/ns/mnt")/" "$D/env"

  # 6. The image, then wait until CRI sees it and has loaded the conflist.
  ctr -a "$SOCKET" -n k8s.io images import "$D/pause.tar" >"$D/logs/ctr-import.log" 2>&1 ||
    die "ctr import failed: $(cat "$D/logs/ctr-import.log")"
  client ready --image "$IMAGE" --wait 30 >"$D/logs/ready.json"
  echo "node up: $NODE_NS (containerd $pid, $SNAPSHOTTER), client $CLIENT_NS," \
    "pods $POD_SUBNET $POD_SUBNET6"
}

# ---------------------------------------------------------------------------------------------
# Children (by ppid) of every pid given, recursively.
descendants() {
  local p c
  for p in "$@"; do
    for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
      echo "$c"
      descendants "$c"
    done
  done
}

down() {
  [[ -f $1/env ]] || return 0
  load_env "$1"
  # 1. The orderly way first: CRI stop + remove (the plugins' DELs) while containerd lives.
  if [[ -n $CONTAINERD_PID ]] && kill -0 "$CONTAINERD_PID" 2>/dev/null && [[ -S $SOCKET ]]; then
    client --timeout 20 cleanup --label "$LABEL" >/dev/null 2>>"$D/logs/down.log" || true
  fi
  # 2. Processes: containerd, the shims (same mount namespace as containerd) and whatever they
  # started (pause processes, plugins still running). Only pids traced back to our containerd,
  # collected right before the SIGKILL so no pid has time to be reused by someone else.
  if [[ -n $CONTAINERD_PID ]] && kill -0 "$CONTAINERD_PID" 2>/dev/null; then
    kill -TERM "$CONTAINERD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$CONTAINERD_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  local pids=() all p
  if [[ -n $CONTAINERD_MNTNS ]]; then
    # One stat for all of /proc ("<inode> /proc/<pid>/ns/mnt" lines); vanished pids are skipped.
    mapfile -t pids < <(stat -L -c '%i %n' /proc/[0-9]*/ns/mnt 2>/dev/null |
      awk -v ns="$CONTAINERD_MNTNS" '$1 == ns { split($2, f, "/"); print f[3] }')
  fi
  if [[ ${#pids[@]} -gt 0 ]]; then
    all=$({
      printf '%s\n' "${pids[@]}"
      descendants "${pids[@]}"
    } | sort -un)
    # shellcheck disable=SC2086
    kill -KILL $all 2>/dev/null || true
    for p in $all; do
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    done
  fi
  # 3. Cgroups the pods left (runc removes a sandbox's own; the parent is ours to remove).
  local cg
  for cg in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
    if [[ -d $cg ]]; then
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    fi
  done
  # 4. The namespaces (the node's links, bridges, ifbs and nft rules go with it).
  ip netns del "$NODE_NS" 2>/dev/null || true
  ip netns del "$CLIENT_NS" 2>/dev/null || true
  return 0
}

# ---------------------------------------------------------------------------------------------
cmd=${1:-}
[[ $# -ge 2 ]] || die "usage: cri_node.sh up|down|client DIR [args]"
case $cmd in
  up) up "$2" ;;
  down) down "$2" ;;
  client)
    load_env "$2"
    shift 2
    client "$@"
    ;;
  *) die "unknown command $cmd" ;;
esac
