#!/usr/bin/python3
"""tests/e2e/cri/cri_client.py — a minimal CRI v1 client for the containerd end-to-end harness.

Debian has no crictl, so the harness talks gRPC to containerd's CRI plugin itself, with the
message subset of cri_api.proto (compiled with protoc on first use). Every subcommand prints ONE
JSON document on stdout, so the C++ test (tests/e2e/containerd_test.cc) and the shell scripts
can read the answers without parsing prose; failures go to stderr with exit status 1 (a gRPC
error prints its status code and details: containerd puts the CNI plugin's error text there).

  image   --pause BIN --ref NAME --out TAR   one-layer OCI image archive holding BIN as /pause
  version                                    runtime name/version
  ready   --image REF [--wait S]             wait for NetworkReady and the pause image
  run     --name N [--port HOST:CTR[/tcp]] [--annotation K=V] [--label K=V] [--cgroup-parent P]
  status  ID                                 state, IPs, pause pid, netns path, CNI result
  stop    ID / remove ID                     StopPodSandbox / RemovePodSandbox
  list    [--label K=V]                      our sandboxes (for cleanup)
  cleanup --label K=V                        stop + remove every sandbox carrying the label
  bench   -n N [run options]                 N sequential lifecycles: latencies (raw + percentiles)

Latencies ("ms") are measured around the gRPC call only (not Python start-up). Needs Debian's
python3-grpcio and python3-protobuf (run with /usr/bin/python3, not a pyenv/venv interpreter)
and protoc (protobuf-compiler).
"""
import argparse
import hashlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "cri_api.proto")
RUNTIME_SERVICE = "/runtime.v1.RuntimeService/"
IMAGE_SERVICE = "/runtime.v1.ImageService/"


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------------------------
# Generated protobuf module: compiled once per pb dir, atomically (concurrent clients are fine).

def load_pb(pb_dir):
    os.makedirs(pb_dir, exist_ok=True)
    target = os.path.join(pb_dir, "cri_api_pb2.py")
    if not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(PROTO):
        with tempfile.TemporaryDirectory(dir=pb_dir) as tmp:
            r = subprocess.run(["protoc", "--proto_path=" + HERE, "--python_out=" + tmp, PROTO],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail("protoc failed: " + r.stderr.strip())
            os.replace(os.path.join(tmp, "cri_api_pb2.py"), target)
    sys.path.insert(0, pb_dir)
    import cri_api_pb2  # noqa: E402  (generated above)
    return cri_api_pb2


class Runtime:
    """RuntimeService stubs built by hand (no grpc_tools needed, only the message classes)."""

    def __init__(self, pb, socket, timeout):
        import grpc
        self.grpc = grpc
        self.pb = pb
        self.timeout = timeout
        self.channel = grpc.insecure_channel("unix://" + socket)
        for name in ("Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
                     "PodSandboxStatus", "ListPodSandbox", "Status", "ImageStatus"):
            service = IMAGE_SERVICE if name == "ImageStatus" else RUNTIME_SERVICE
            req = getattr(pb, name + "Request")
            resp = getattr(pb, name + "Response")
            setattr(self, "_" + name, self.channel.unary_unary(
                service + name, request_serializer=req.SerializeToString,
                response_deserializer=resp.FromString))

    def call(self, name, request):
        """(response, milliseconds); a gRPC error exits with its code and details."""
        try:
            return self.try_call(name, request)
        except self.grpc.RpcError as e:
            fail(f"{name} failed: {e.code().name}: {e.details()}")

    def try_call(self, name, request):
        start = time.perf_counter()
        resp = getattr(self, "_" + name)(request, timeout=self.timeout)
        return resp, (time.perf_counter() - start) * 1000.0

    def wait_ready(self, image, seconds):
        """Polls until the socket answers, NetworkReady is true (a conflist is loaded) and the
        CRI plugin knows `image` (ctr import is seen by CRI asynchronously, through events)."""
        deadline = time.monotonic() + seconds
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                st, _ = self.try_call("Status", self.pb.StatusRequest())
                conds = {c.type: c for c in st.status.conditions}
                net = conds.get("NetworkReady")
                if net is None or not net.status:
                    why = f"{net.reason} {net.message}" if net else "no condition"
                    last = f"NetworkReady false: {why}"
                else:
                    img, _ = self.try_call("ImageStatus", self.pb.ImageStatusRequest(
                        image=self.pb.ImageSpec(image=image)))
                    if img.HasField("image") and img.image.id:
                        return {"image_id": img.image.id, "conditions": {
                            k: c.status for k, c in conds.items()}}
                    last = f"image {image} not known to CRI yet"
            except self.grpc.RpcError as e:
                last = f"{e.code().name}: {e.details()}"
            time.sleep(0.1)
        fail(f"containerd CRI not ready after {seconds}s: {last}")


# --------------------------------------------------------------------------------------------
# Requests.

def key_values(items, what):
    out = {}
    for item in items or []:
        if "=" not in item:
            fail(f"{what} must be KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def sandbox_config(pb, a, name):
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=a.uid or ("uid-" + name),
                                       namespace=a.namespace, attempt=0),
        hostname="" if a.host_network else name,  # a host-network pod has no UTS ns
        log_directory=a.log_dir or "",
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=a.cgroup_parent or "",
            security_context=pb.LinuxSandboxSecurityContext(
                namespace_options=pb.NamespaceOption(
                    network=pb.NODE if a.host_network else pb.POD, pid=pb.CONTAINER,
                    ipc=pb.POD))))
    for k, v in key_values(a.label, "--label").items():
        cfg.labels[k] = v
    for k, v in key_values(a.annotation, "--annotation").items():
        cfg.annotations[k] = v
    for spec in a.port or []:
        proto = "tcp"
        if "/" in spec:
            spec, proto = spec.split("/", 1)
        host, _, ctr = spec.partition(":")
        if not host.isdigit() or not ctr.isdigit():
            fail(f"--port must be HOST:CONTAINER[/tcp|udp|sctp], got {spec!r}")
        cfg.port_mappings.append(pb.PortMapping(
            protocol={"tcp": pb.TCP, "udp": pb.UDP, "sctp": pb.SCTP}[proto.lower()],
            container_port=int(ctr), host_port=int(host)))
    return cfg


def status_doc(pb, resp, ms):
    st = resp.status
    doc = {"id": st.id, "name": st.metadata.name, "state": pb.PodSandboxState.Name(st.state),
           "ip": st.network.ip, "additional_ips": [p.ip for p in st.network.additional_ips],
           "ms": ms}
    # containerd's verbose info: {"info": "<json>"} with pid, runtimeSpec (netns path), cniResult.
    info = json.loads(resp.info["info"]) if "info" in resp.info else {}
    doc["pid"] = info.get("pid", 0)
    doc["netns"] = ""
    for ns in info.get("runtimeSpec", {}).get("linux", {}).get("namespaces", []):
        if ns.get("type") == "network":
            doc["netns"] = ns.get("path", "")
    doc["cni_result"] = info.get("cniResult")
    return doc


def percentiles(xs):
    if not xs:
        return {"n": 0}
    s = sorted(xs)
    return {"n": len(s), "median": round(statistics.median(s), 1),
            "p90": round(s[min(len(s) - 1, (9 * len(s) + 9) // 10 - 1)], 1),
            "min": round(s[0], 1), "max": round(s[-1], 1)}


# --------------------------------------------------------------------------------------------
# The pause image: OCI image layout (index.json names it with io.containerd.image.name, which
# `ctr images import` uses as the image name), one uncompressed layer with /pause.

def build_image(a):
    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        return digest, len(data)

    with open(a.pause, "rb") as f:
        pause = f.read()
    layer_buf = io.BytesIO()
    with tarfile.open(fileobj=layer_buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("pause")
        info.size, info.mode, info.mtime = len(pause), 0o755, 0
        t.addfile(info, io.BytesIO(pause))
    layer = layer_buf.getvalue()
    layer_digest, layer_size = blob(layer)
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    config = json.dumps({
        "architecture": arch, "os": "linux",
        "config": {"Entrypoint": ["/pause"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }, sort_keys=True).encode()
    config_digest, config_size = blob(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": layer_size}],
    }, sort_keys=True).encode()
    manifest_digest, manifest_size = blob(manifest)
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": manifest_size,
                       "platform": {"architecture": arch, "os": "linux"},
                       "annotations": {"io.containerd.image.name": a.ref}}],
    }, sort_keys=True).encode()

    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            t.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for digest, data in ((layer_digest, layer), (config_digest, config),
                             (manifest_digest, manifest)):
            add("blobs/sha256/" + digest.split(":", 1)[1], data)
    print(json.dumps({"ref": a.ref, "manifest": manifest_digest, "out": a.out}))


# --------------------------------------------------------------------------------------------

def add_run_options(p):
    p.add_argument("--namespace", default="cnikit-e2e")
    p.add_argument("--uid", default="")
    p.add_argument("--port", action="append", help="HOST:CONTAINER[/tcp|udp|sctp]")
    p.add_argument("--annotation", action="append")
    p.add_argument("--label", action="append")
    p.add_argument("--cgroup-parent", default="")
    p.add_argument("--log-dir", default="")
    p.add_argument("--host-network", action="store_true",
                   help="NamespaceMode NODE: no pod netns, so no CNI call (baseline)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", default=os.environ.get("CRI_SOCKET", ""))
    ap.add_argument("--pb-dir", default=os.environ.get("CRI_PB_DIR", ""))
    ap.add_argument("--timeout", type=float, default=60.0)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("image")
    p.add_argument("--pause", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("--out", required=True)
    sub.add_parser("version")
    p = sub.add_parser("ready")
    p.add_argument("--image", required=True)
    p.add_argument("--wait", type=float, default=30.0)
    p = sub.add_parser("run")
    p.add_argument("--name", required=True)
    add_run_options(p)
    for verb in ("status", "stop", "remove"):
        sub.add_parser(verb).add_argument("id")
    for verb in ("list", "cleanup"):
        sub.add_parser(verb).add_argument("--label", action="append")
    p = sub.add_parser("bench")
    p.add_argument("-n", type=int, default=10)
    p.add_argument("--name-prefix", default="bench-")
    p.add_argument("--hostport-base", type=int, default=0,
                   help="pod i maps HOSTPORT_BASE+i -> 8080/tcp")
    add_run_options(p)
    a = ap.parse_args()

    if a.cmd == "image":
        build_image(a)
        return
    if not a.socket:
        fail("--socket (or CRI_SOCKET) is required")
    pb = load_pb(a.pb_dir or os.path.join(tempfile.gettempdir(), f"cnikit-cri-pb-{os.getuid()}"))
    rt = Runtime(pb, a.socket, a.timeout)

    if a.cmd == "version":
        v, ms = rt.call("Version", pb.VersionRequest(version="v1"))
        print(json.dumps({"runtime_name": v.runtime_name, "runtime_version": v.runtime_version,
                          "runtime_api_version": v.runtime_api_version, "ms": ms}))
    elif a.cmd == "ready":
        print(json.dumps(rt.wait_ready(a.image, a.wait)))
    elif a.cmd == "run":
        r, ms = rt.call("RunPodSandbox",
                        pb.RunPodSandboxRequest(config=sandbox_config(pb, a, a.name)))
        print(json.dumps({"id": r.pod_sandbox_id, "ms": ms}))
    elif a.cmd == "status":
        r, ms = rt.call("PodSandboxStatus",
                        pb.PodSandboxStatusRequest(pod_sandbox_id=a.id, verbose=True))
        print(json.dumps(status_doc(pb, r, ms)))
    elif a.cmd in ("stop", "remove"):
        verb = "StopPodSandbox" if a.cmd == "stop" else "RemovePodSandbox"
        _, ms = rt.call(verb, getattr(pb, verb + "Request")(pod_sandbox_id=a.id))
        print(json.dumps({"ms": ms}))
    elif a.cmd in ("list", "cleanup"):
        flt = pb.PodSandboxFilter()
        for k, v in key_values(a.label, "--label").items():
            flt.label_selector[k] = v
        r, _ = rt.call("ListPodSandbox", pb.ListPodSandboxRequest(filter=flt))
        items = [{"id": s.id, "name": s.metadata.name, "state": pb.PodSandboxState.Name(s.state)}
                 for s in r.items]
        if a.cmd == "cleanup":
            for s in items:
                rt.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=s["id"]))
                rt.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=s["id"]))
        print(json.dumps({"items": items}))
    elif a.cmd == "bench":
        times = {"run": [], "status": [], "stop": [], "remove": []}
        for i in range(a.n):
            a.port = [f"{a.hostport_base + i}:8080"] if a.hostport_base else a.port
            cfg = sandbox_config(pb, a, f"{a.name_prefix}{i}")
            r, ms = rt.call("RunPodSandbox", pb.RunPodSandboxRequest(config=cfg))
            times["run"].append(ms)
            st, ms = rt.call("PodSandboxStatus",
                             pb.PodSandboxStatusRequest(pod_sandbox_id=r.pod_sandbox_id))
            times["status"].append(ms)
            if not a.host_network and not st.status.network.ip:
                fail(f"sandbox {r.pod_sandbox_id} has no IP")
            _, ms = rt.call("StopPodSandbox",
                            pb.StopPodSandboxRequest(pod_sandbox_id=r.pod_sandbox_id))
            times["stop"].append(ms)
            _, ms = rt.call("RemovePodSandbox",
                            pb.RemovePodSandboxRequest(pod_sandbox_id=r.pod_sandbox_id))
            times["remove"].append(ms)
        print(json.dumps({"stats": {k: percentiles(v) for k, v in times.items()}, "raw": times}))


if __name__ == "__main__":
    main()
