"""Apply the rendered Kilo objects and node annotations to a real API server.

The tests start their own etcd and kube-apiserver on 127.0.0.1 from the
binaries that scripts/build-tools.sh builds, and skip when those are absent.
One group applies the objects with kubectl; another runs `pulumi up` of the
Kilo component through the built Pulumi CLI and kubernetes provider. No
kubelet or controller runs, so the tests check what the API server validates
and stores (objects, the Peer schema, server-side apply of the annotations),
not kg itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.hosts import Host
from components.kilo import Kilo, dump_objects_yaml, node_annotations, render_kilo_objects
from components.kilo.component import FIELD_MANAGER
from kilo_testdata import dev_cluster

TOOLS_CACHE = Path(os.environ.get("K3SMC_TOOLS_CACHE", Path.home() / ".cache/k3s-multicloud"))
BINARIES = ("etcd", "kube-apiserver", "kubectl")
STARTUP_TIMEOUT_SECONDS = 90
ADMIN_TOKEN = "kilo-test-admin-token"


def _find_tools_bin() -> Path | None:
    candidates = sorted(
        (TOOLS_CACHE / "tools").glob("*/bin"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in BINARIES):
            return directory
    return None


TOOLS_BIN = _find_tools_bin() if (TOOLS_CACHE / "tools").is_dir() else None

pytestmark = pytest.mark.skipif(
    TOOLS_BIN is None, reason="etcd, kube-apiserver and kubectl are not built (scripts/build-tools.sh kube)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kube-apiserver exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"kube-apiserver not ready after {STARTUP_TIMEOUT_SECONDS} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def api_server(work: Path):
    """Start etcd and kube-apiserver, and yield a function that runs kubectl against them.

    The function's ``kubeconfig`` attribute is the admin kubeconfig path.
    """
    work.mkdir(parents=True, exist_ok=True)
    etcd_port, etcd_peer_port, api_port = _free_port(), _free_port(), _free_port()
    processes = []
    try:
        etcd_log = work / "etcd.log"
        processes.append(
            subprocess.Popen(
                [
                    str(TOOLS_BIN / "etcd"),
                    f"--data-dir={work / 'etcd'}",
                    f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
                    f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
                    f"--listen-peer-urls=http://127.0.0.1:{etcd_peer_port}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer_port}",
                    f"--initial-cluster=default=http://127.0.0.1:{etcd_peer_port}",
                ],
                stdout=etcd_log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )

        key = work / "sa.key"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        tokens = work / "tokens.csv"
        tokens.write_text(f'{ADMIN_TOKEN},admin,admin,"system:masters"\n')
        api_log = work / "kube-apiserver.log"
        api_server = subprocess.Popen(
            [
                str(TOOLS_BIN / "kube-apiserver"),
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                "--bind-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={work / 'certs'}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={key}",
                f"--service-account-signing-key-file={key}",
                "--service-cluster-ip-range=10.43.0.0/16",
                # K3s allows privileged pods, and the kg container is privileged.
                "--allow-privileged=true",
            ],
            stdout=api_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(api_server)
        _wait_ready(f"https://127.0.0.1:{api_port}/readyz", api_server, api_log)

        kubeconfig = work / "kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "test",
                            "cluster": {
                                "server": f"https://127.0.0.1:{api_port}",
                                "insecure-skip-tls-verify": True,
                            },
                        }
                    ],
                    "users": [{"name": "admin", "user": {"token": ADMIN_TOKEN}}],
                    "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}],
                    "current-context": "test",
                }
            )
        )

        def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
            result = subprocess.run(
                [str(TOOLS_BIN / "kubectl"), f"--kubeconfig={kubeconfig}", *args],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if check:
                assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
            return result

        run.kubeconfig = kubeconfig
        yield run
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory):
    with api_server(tmp_path_factory.mktemp("apiserver")) as run:
        yield run


@pytest.fixture(scope="module")
def applied(kubectl):
    """Apply the rendered objects once, the way the Pulumi provider does: server-side."""
    cluster = dev_cluster()
    objects = render_kilo_objects(cluster.kilo, cluster)
    kubectl("apply", "--server-side", "--field-manager=kilo-test", "-f", "-", stdin=dump_objects_yaml(objects))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/peers.kilo.squat.ai")
    return objects


def _get(kubectl, kind: str, name: str, namespace: str | None = None) -> dict:
    args = ["get", kind, name, "-o", "json"]
    if namespace:
        args += ["-n", namespace]
    return json.loads(kubectl(*args).stdout)


def test_every_object_stored(kubectl, applied):
    for obj in applied:
        stored = _get(kubectl, obj["kind"], obj["metadata"]["name"], obj["metadata"].get("namespace"))
        assert stored["metadata"]["name"] == obj["metadata"]["name"]


def _mounts(container: dict) -> list[dict]:
    # The API server omits readOnly: false, its default.
    return [{"readOnly": False, **mount} for mount in container["volumeMounts"]]


def test_daemon_set_stored_as_rendered(kubectl, applied):
    (daemon_set,) = [o for o in applied if o["kind"] == "DaemonSet"]
    rendered = daemon_set["spec"]["template"]["spec"]
    stored = _get(kubectl, "daemonset", "kilo", "kube-system")["spec"]["template"]["spec"]
    for index, container in enumerate(rendered["containers"] + rendered["initContainers"]):
        stored_container = (stored["containers"] + stored["initContainers"])[index]
        assert stored_container["name"] == container["name"]
        assert stored_container["image"] == container["image"]
        assert stored_container.get("args") == container.get("args")
        assert _mounts(stored_container) == _mounts(container)
    assert [v["name"] for v in stored["volumes"]] == [v["name"] for v in rendered["volumes"]]


def test_scripts_stored_unchanged(kubectl, applied):
    (rendered,) = [o for o in applied if o["metadata"]["name"] == "kilo-scripts"]
    stored = _get(kubectl, "configmap", "kilo-scripts", "kube-system")
    assert stored["data"] == rendered["data"]


def _peer(name: str, spec: dict) -> str:
    return yaml.safe_dump({"apiVersion": "kilo.squat.ai/v1alpha1", "kind": "Peer", "metadata": {"name": name}, "spec": spec})


def test_peer_crd_accepts_valid_peer(kubectl, applied):
    spec = {
        "allowedIPs": ["10.5.0.1/32"],
        "publicKey": "GY5aT1N9dTR/nJnT1N2f4ClZWVj0jOAld0r8ysWLyjg=",
        "persistentKeepalive": 10,
        "endpoint": {"dnsOrIP": {"ip": "198.51.100.9"}, "port": 51820},
    }
    kubectl("apply", "--server-side", "-f", "-", stdin=_peer("laptop", spec))
    assert _get(kubectl, "peer", "laptop")["spec"] == spec


def test_peer_crd_rejects_peer_without_key(kubectl, applied):
    result = kubectl(
        "apply", "--server-side", "-f", "-", stdin=_peer("no-key", {"allowedIPs": ["10.5.0.2/32"]}), check=False
    )
    assert result.returncode != 0
    assert "publicKey" in result.stderr


def _node_patch(name: str, annotations: dict[str, str]) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "annotations": annotations}})


def test_node_annotations_applied_and_removed(kubectl):
    # NodePatch is a server-side apply with a fixed field manager, forced.
    node = dev_cluster().nodes[0]
    kubectl("create", "-f", "-", stdin=yaml.safe_dump({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node.name}}))
    annotations = node_annotations(node, "203.0.113.10", "192.168.1.226", 24, 51820)
    apply = ("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts", "-f", "-")

    kubectl(*apply, stdin=_node_patch(node.name, annotations))
    stored = _get(kubectl, "node", node.name)["metadata"]["annotations"]
    assert stored == annotations

    without_keepalive = {k: v for k, v in annotations.items() if k != "kilo.squat.ai/persistent-keepalive"}
    kubectl(*apply, stdin=_node_patch(node.name, without_keepalive))
    stored = _get(kubectl, "node", node.name)["metadata"]["annotations"]
    assert stored == without_keepalive


def _pulumi_environment(run_dir: Path) -> dict[str, str]:
    """Return an offline Pulumi environment whose only plugin is the built kubernetes provider."""
    plugin = json.loads((Path(k8s.__file__).parent / "pulumi-plugin.json").read_text())
    plugin_dir = run_dir / "home/plugins" / f"resource-kubernetes-v{plugin['version']}"
    plugin_dir.mkdir(parents=True)
    (plugin_dir / "pulumi-resource-kubernetes").symlink_to(TOOLS_BIN / "pulumi-resource-kubernetes")
    (run_dir / "state").mkdir()
    return {
        "PULUMI_HOME": str(run_dir / "home"),
        "PULUMI_BACKEND_URL": f"file://{run_dir / 'state'}",
        # Test-only passphrase of the file backend's secrets provider.
        "PULUMI_CONFIG_PASSPHRASE": "kilo-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        "KUBECONFIG": str(run_dir / "no-kubeconfig"),
    }


def _kilo_program(cluster, kubeconfig: str):
    """Return an inline Pulumi program that installs Kilo on existing Node objects."""

    def program() -> None:
        provider = k8s.Provider(
            "k8s", kubeconfig=pulumi.Output.secret(kubeconfig), enable_server_side_apply=True
        )
        # Stand-ins for the K3s join step: reading the Node succeeds once it exists.
        registered = {
            node.name: k8s.core.v1.Node.get(
                f"node-{node.name}", node.name, opts=pulumi.ResourceOptions(provider=provider)
            )
            for node in cluster.nodes
        }
        hosts = {
            node.name: Host(
                node=node,
                public_ip=pulumi.Output.from_input(str(node.public_ip) if node.public_ip else None),
                private_ip=pulumi.Output.from_input(str(node.private_ip.ip)),
                private_prefix=pulumi.Output.from_input(node.private_ip.network.prefixlen),
                ssh_host=pulumi.Output.from_input("unused"),
                ssh_user="root",
                ssh_port=22,
                ssh_private_key=pulumi.Output.secret("unused"),
            )
            for node in cluster.nodes
        }
        Kilo("kilo", cluster, hosts, registered, provider)

    return program


PULUMI_TOOLS = ("pulumi", "pulumi-resource-kubernetes")


@pytest.mark.skipif(
    TOOLS_BIN is None or not all(os.access(TOOLS_BIN / name, os.X_OK) for name in PULUMI_TOOLS),
    reason="the Pulumi CLI and kubernetes provider are not built (scripts/build-tools.sh)",
)
def test_pulumi_up_installs_kilo(tmp_path):
    from pulumi import automation as auto

    # No controllers run, so the DaemonSet never rolls out and must not be awaited.
    cluster = dev_cluster(skip_await=True)
    with api_server(tmp_path / "apiserver") as run:
        for node in cluster.nodes:
            run("create", "-f", "-", stdin=yaml.safe_dump({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node.name}}))

        workspace = auto.LocalWorkspaceOptions(
            env_vars=_pulumi_environment(tmp_path / "pulumi"),
            pulumi_home=str(tmp_path / "pulumi/home"),
            pulumi_command=auto.PulumiCommand(root=str(TOOLS_BIN.parent), skip_version_check=True),
            project_settings=auto.ProjectSettings(name="kilo-test", runtime="python"),
        )
        stack = auto.create_or_select_stack(
            "test",
            project_name="kilo-test",
            program=_kilo_program(cluster, run.kubeconfig.read_text()),
            opts=workspace,
        )
        stack.up(color="never")

        for node in cluster.nodes:
            public_ip = str(node.public_ip) if node.public_ip else None
            expected = node_annotations(node, public_ip, str(node.private_ip.ip), node.private_ip.network.prefixlen, 51820)
            stored = json.loads(run("get", "node", node.name, "-o", "json", "--show-managed-fields").stdout)["metadata"]
            # The provider also stores the patch options as annotations.
            expected["pulumi.com/patchForce"] = "true"
            expected["pulumi.com/patchFieldManager"] = FIELD_MANAGER
            assert stored["annotations"] == expected, node.name
            managers = {entry["manager"] for entry in stored["managedFields"]}
            assert FIELD_MANAGER in managers, node.name
        daemon_set = _get(run, "daemonset", "kilo", "kube-system")
        assert daemon_set["spec"]["template"]["spec"]["containers"][0]["args"][2:] == [
            "--subnet=10.4.0.0/16",
            "--port=51820",
            "--mesh-granularity=location",
            "--service-cidr=10.43.0.0/16",
        ]
        assert _get(run, "crd", "peers.kilo.squat.ai")["spec"]["scope"] == "Cluster"

        # An update without bd2's keepalive removes that annotation from the Node.
        nodes = tuple(
            replace(node, persistent_keepalive=None) if node.name == "bd2" else node
            for node in cluster.nodes
        )
        stack.workspace.program = _kilo_program(replace(cluster, nodes=nodes), run.kubeconfig.read_text())
        stack.up(color="never")
        bd2 = _get(run, "node", "bd2")["metadata"]["annotations"]
        assert "kilo.squat.ai/persistent-keepalive" not in bd2
        assert bd2["kilo.squat.ai/location"] == "baidu"
        # NOTE: no destroy here. pulumi-kubernetes deletes the DaemonSet with
        # foreground propagation, which waits for a garbage collector that
        # this API server does not run.
