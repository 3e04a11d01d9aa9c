"""TEST CODE ONLY: a stand-in for K3s on the end-to-end test hosts.

K3s binaries cannot be downloaded on the test machine, so the harness points
``k3s.installScriptUrl`` at ``install.sh.in``, which runs this file on the
host as root. It does what the program relies on and nothing more:

* records the installer's environment, arguments and config.yaml under the
  harness's records directory, so the harness can compare them with the
  stack config;
* on the first server (``cluster-init: true``) starts etcd, kube-apiserver
  and kube-controller-manager (garbage collector and namespace controller
  only), writes /etc/rancher/k3s/k3s.yaml and registers the server's Node;
* on agents and joining servers registers a Node object at ``K3S_URL`` (or
  ``server:``) with the cluster token from config.yaml, which fails when
  the token differs from the first server's;
* installs /usr/local/bin/k3s (``--version`` and ``kubectl``) and the
  k3s-uninstall.sh or k3s-agent-uninstall.sh that the program runs on
  removal, and which leave the host clean.

There is no kubelet: Nodes stay NotReady and no pod runs.
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

CONFIG_DIR = Path("/etc/rancher/k3s")
CONFIG_FILE = CONFIG_DIR / "config.yaml"
KUBECONFIG_FILE = CONFIG_DIR / "k3s.yaml"
DATA_DIR = Path("/var/lib/rancher/k3s")
STANDIN_DIR = DATA_DIR / "standin"
BIN_DIR = Path("/usr/local/bin")
SYSTEMD_DIR = Path("/etc/systemd/system")
API_PORT = 6443
ETCD_CLIENT_URL = "http://127.0.0.1:2379"
READY_TIMEOUT_SECONDS = 90
REGISTER_TIMEOUT_SECONDS = 120


def log(message: str) -> None:
    print(f"[k3s-standin] {message}", flush=True)


# ---------------------------------------------------------------- records


def record_install(records: Path, argv: list[str]) -> Path:
    """Write what the installer was given to <records>/<hostname>/<n>-install.json."""
    host_dir = records / os.uname().nodename
    host_dir.mkdir(parents=True, exist_ok=True)
    sequence = len(list(host_dir.glob("*-install.json"))) + 1
    record = {
        "argv": argv,
        "env": {k: v for k, v in os.environ.items() if k.startswith(("INSTALL_K3S_", "K3S_"))},
        "config_yaml": CONFIG_FILE.read_text() if CONFIG_FILE.exists() else None,
        "config_mode": oct(CONFIG_FILE.stat().st_mode & 0o777) if CONFIG_FILE.exists() else None,
        "hostname": os.uname().nodename,
        "time": time.time(),
    }
    path = host_dir / f"{sequence:03d}-install.json"
    path.write_text(json.dumps(record, indent=2))
    return path


# ---------------------------------------------------------------- processes


def pid_file(name: str) -> Path:
    return STANDIN_DIR / f"{name}.pid"


def start_process(name: str, argv: list[str]) -> None:
    """Start ``argv`` detached from the SSH session, output in a log file."""
    STANDIN_DIR.mkdir(parents=True, exist_ok=True)
    with open(STANDIN_DIR / f"{name}.log", "ab") as output:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                   start_new_session=True, close_fds=True)
    pid_file(name).write_text(str(process.pid))


def stop_process(name: str) -> None:
    path = pid_file(name)
    if not path.exists():
        return
    pid = int(path.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    path.unlink()


def stop_all() -> None:
    for name in ("kube-controller-manager", "kube-apiserver", "etcd", "agent"):
        stop_process(name)


# ---------------------------------------------------------------- TLS and auth


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def host_addresses() -> list[str]:
    output = subprocess.run(["ip", "-o", "-4", "addr", "show"], check=True,
                            capture_output=True, text=True).stdout
    return [line.split()[3].split("/")[0] for line in output.splitlines()]


def write_certificates(tls: Path, config: dict) -> None:
    """Create the server CA, a serving certificate and the service-account keys once."""
    if (tls / "serving.crt").exists():
        return
    tls.mkdir(parents=True, exist_ok=True)
    sans = {"127.0.0.1", "localhost", "kubernetes", "kubernetes.default",
            *host_addresses(), *as_list(config.get("tls-san")),
            *as_list(config.get("node-ip")), *as_list(config.get("node-external-ip"))}
    san_text = ",".join(
        f"IP:{name}" if is_ip(name) else f"DNS:{name}" for name in sorted(sans)
    )
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "30", "-subj", "/CN=k3s-standin-server-ca",
            "-keyout", str(tls / "server-ca.key"), "-out", str(tls / "server-ca.crt"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=k3s", "-keyout", str(tls / "serving.key"), "-out", str(tls / "serving.csr"))
    (tls / "serving.ext").write_text(f"subjectAltName={san_text}\n")
    openssl("x509", "-req", "-in", str(tls / "serving.csr"), "-CA", str(tls / "server-ca.crt"),
            "-CAkey", str(tls / "server-ca.key"), "-CAcreateserial", "-days", "30",
            "-extfile", str(tls / "serving.ext"), "-out", str(tls / "serving.crt"))
    openssl("genrsa", "-out", str(tls / "service.key"), "2048")
    openssl("rsa", "-in", str(tls / "service.key"), "-pubout", "-out", str(tls / "service.pub"))


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def write_kubeconfig(path: Path, server: str, ca_file: Path, token: str) -> None:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "default", "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(ca_file.read_bytes()).decode()}}],
        "users": [{"name": "default", "user": {"token": token}}],
        "contexts": [{"name": "default", "context": {"cluster": "default", "user": "default"}}],
        "current-context": "default",
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(kubeconfig, f)


# ---------------------------------------------------------------- control plane


def start_control_plane(config: dict, tools_bin: Path, node_name: str) -> None:
    server_dir = DATA_DIR / "server"
    tls = server_dir / "tls"
    cred = server_dir / "cred"
    cred.mkdir(parents=True, exist_ok=True)
    write_certificates(tls, config)

    admin_token_file = cred / "admin.token"
    if not admin_token_file.exists():
        admin_token_file.write_text(secrets.token_hex(16))
    admin_token = admin_token_file.read_text()
    cluster_token = str(config["token"])
    # The cluster token authenticates joining nodes, as K3s's node
    # bootstrap does; here it maps to a user that may register Nodes.
    tokens = cred / "tokens.csv"
    tokens.write_text(f"{admin_token},admin,admin,system:masters\n"
                      f"{cluster_token},k3s-node,k3s-node,system:masters\n")
    tokens.chmod(0o600)

    node_ip = str(config.get("node-ip") or "127.0.0.1")
    start_process("etcd", [
        str(tools_bin / "etcd"), "--name", node_name,
        "--data-dir", str(server_dir / "db" / "etcd"),
        "--listen-client-urls", ETCD_CLIENT_URL, "--advertise-client-urls", ETCD_CLIENT_URL,
        "--listen-peer-urls", "http://127.0.0.1:2380",
        "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
        "--initial-cluster", f"{node_name}=http://127.0.0.1:2380",
        "--unsafe-no-fsync", "--log-level", "warn",
    ])
    start_process("kube-apiserver", [
        str(tools_bin / "kube-apiserver"),
        f"--etcd-servers={ETCD_CLIENT_URL}",
        "--bind-address=0.0.0.0", f"--advertise-address={node_ip}", f"--secure-port={API_PORT}",
        f"--tls-cert-file={tls / 'serving.crt'}", f"--tls-private-key-file={tls / 'serving.key'}",
        f"--service-account-issuer=https://kubernetes.default.svc",
        f"--service-account-key-file={tls / 'service.pub'}",
        f"--service-account-signing-key-file={tls / 'service.key'}",
        f"--service-cluster-ip-range={config.get('service-cidr', '10.43.0.0/16')}",
        f"--token-auth-file={tokens}", "--authorization-mode=RBAC",
        "--disable-admission-plugins=ServiceAccount", "--allow-privileged=true",
        f"--cert-dir={tls / 'generated'}",
    ])
    write_kubeconfig(KUBECONFIG_FILE, f"https://127.0.0.1:{API_PORT}", tls / "server-ca.crt", admin_token)
    wait_ready(tls / "server-ca.crt", admin_token)

    controller_kubeconfig = cred / "controller.kubeconfig"
    write_kubeconfig(controller_kubeconfig, f"https://127.0.0.1:{API_PORT}", tls / "server-ca.crt", admin_token)
    start_process("kube-controller-manager", [
        str(tools_bin / "kube-controller-manager"),
        f"--kubeconfig={controller_kubeconfig}",
        f"--authentication-kubeconfig={controller_kubeconfig}",
        f"--authorization-kubeconfig={controller_kubeconfig}",
        "--controllers=garbage-collector-controller,namespace-controller",
        "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=10257",
        f"--cert-dir={tls / 'controller'}",
    ])


def wait_ready(ca_file: Path, token: str) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    request = urllib.request.Request(f"https://127.0.0.1:{API_PORT}/readyz",
                                     headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if response.status == 200:
                    log("kube-apiserver is ready")
                    return
        except (OSError, urllib.error.URLError) as error:
            last_error = str(error)
        time.sleep(1)
    raise SystemExit(f"kube-apiserver did not become ready within {READY_TIMEOUT_SECONDS}s: {last_error}; "
                     f"see {STANDIN_DIR}/kube-apiserver.log")


# ---------------------------------------------------------------- nodes


def node_object(config: dict, node_name: str, role: str) -> dict:
    labels = {"kubernetes.io/hostname": node_name, "kubernetes.io/os": "linux"}
    if role == "server":
        labels.update({"node-role.kubernetes.io/control-plane": "true",
                       "node-role.kubernetes.io/etcd": "true"})
    for item in as_list(config.get("node-label")):
        key, _, value = item.partition("=")
        labels[key] = value
    taints = []
    for item in as_list(config.get("node-taint")):
        key_value, _, effect = item.partition(":")
        key, _, value = key_value.partition("=")
        taints.append({"key": key, "value": value, "effect": effect})
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": node_name, "labels": labels,
                         "annotations": {"k3s.io/standin": "true"}},
            "spec": {"podCIDR": ""}}
    if taints:
        node["spec"]["taints"] = taints
    return node


def register_node(server_url: str, token: str, node: dict) -> None:
    """POST the Node; 409 means it exists already, which a re-run expects."""
    # Joining nodes check nothing but the token here: the stand-in has no
    # CA hash in the token to verify the server with.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    body = json.dumps(node).encode()
    deadline = time.monotonic() + REGISTER_TIMEOUT_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{server_url}/api/v1/nodes", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=10):
                log(f"Registered node {node['metadata']['name']} at {server_url}")
                return
        except urllib.error.HTTPError as error:
            if error.code == 409:
                log(f"Node {node['metadata']['name']} is already registered")
                return
            if error.code in (401, 403):
                raise SystemExit(f"{server_url} rejected the cluster token (HTTP {error.code})")
            last_error = f"HTTP {error.code}"
        except (OSError, urllib.error.URLError) as error:
            last_error = str(error)
        time.sleep(2)
    raise SystemExit(f"could not register node at {server_url} within {REGISTER_TIMEOUT_SECONDS}s: {last_error}")


# ---------------------------------------------------------------- files


K3S_WRAPPER = """#!/bin/sh
# TEST CODE ONLY: stand-in k3s binary written by the end-to-end harness.
case "${{1:-}}" in
    --version|-v)
        echo "k3s version {version} (k3s-standin)"
        ;;
    kubectl)
        shift
        printf '%s\n' "$*" >>{kubectl_log}
        exec {tools_bin}/kubectl --kubeconfig {kubeconfig} "$@"
        ;;
    *)
        echo "k3s-standin: unsupported command: $*" >&2
        exit 1
        ;;
esac
"""

UNINSTALL_SCRIPT = """#!/bin/sh
# TEST CODE ONLY: stand-in uninstall script written by the end-to-end harness.
set -eu
exec {python} {standin} uninstall
"""


def write_executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def install_files(role: str, version: str, tools_bin: Path, env: dict[str, str], kubectl_log: Path) -> None:
    service = "k3s" if role == "server" else "k3s-agent"
    write_executable(BIN_DIR / "k3s", K3S_WRAPPER.format(
        version=version, tools_bin=tools_bin, kubeconfig=KUBECONFIG_FILE, kubectl_log=kubectl_log))
    write_executable(BIN_DIR / f"{service}-uninstall.sh", UNINSTALL_SCRIPT.format(
        python=sys.executable, standin=Path(__file__).resolve()))
    # The real installer writes a unit and its environment file; the
    # harness checks that no secret reaches the latter.
    SYSTEMD_DIR.mkdir(parents=True, exist_ok=True)
    (SYSTEMD_DIR / f"{service}.service").write_text(
        f"# TEST CODE ONLY: k3s-standin unit for {role}\n[Service]\nExecStart={BIN_DIR / 'k3s'} {role}\n")
    env_file = SYSTEMD_DIR / f"{service}.service.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items()) if k.startswith("K3S_")))
    env_file.chmod(0o600)


# ---------------------------------------------------------------- commands


def install(args: argparse.Namespace) -> None:
    record_install(args.records, args.installer_args)
    version = os.environ.get("INSTALL_K3S_VERSION")
    if not version:
        raise SystemExit("INSTALL_K3S_VERSION is not set; the stand-in requires a pinned version")
    exec_words = (os.environ.get("INSTALL_K3S_EXEC", "") + " " + " ".join(args.installer_args)).split()
    role = "agent" if (exec_words[:1] == ["agent"] or "K3S_URL" in os.environ) else "server"
    config = yaml.safe_load(CONFIG_FILE.read_text()) if CONFIG_FILE.exists() else {}
    node_name = str(config.get("node-name") or os.uname().nodename)
    token = str(config.get("token") or os.environ.get("K3S_TOKEN") or "")
    if not token:
        raise SystemExit("no cluster token in config.yaml or K3S_TOKEN")

    if os.environ.get("INSTALL_K3S_SKIP_DOWNLOAD") != "true" or not (BIN_DIR / "k3s").exists():
        # Every `k3s kubectl` call is logged, so the harness can check the drain.
        kubectl_log = args.records / os.uname().nodename / "kubectl.log"
        install_files(role, version, args.tools_bin, dict(os.environ), kubectl_log)

    stop_all()
    join_url = os.environ.get("K3S_URL") or config.get("server")
    if role == "server" and not join_url:
        log(f"Start the stand-in control plane for {node_name}")
        start_control_plane(config, args.tools_bin, node_name)
        register_node(f"https://127.0.0.1:{API_PORT}", token, node_object(config, node_name, role))
    else:
        log(f"Join {role} {node_name} to {join_url}")
        register_node(str(join_url).rstrip("/"), token, node_object(config, node_name, role))
        # A long-running process in place of the K3s agent, so the harness
        # can check that uninstall stops what install started.
        start_process("agent", ["sleep", "infinity"])
    log(f"k3s-standin {version} {role} is running on {node_name}")


def uninstall(_args: argparse.Namespace) -> None:
    stop_all()
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    shutil.rmtree(CONFIG_DIR, ignore_errors=True)
    for name in ("k3s.service", "k3s.service.env", "k3s-agent.service", "k3s-agent.service.env"):
        (SYSTEMD_DIR / name).unlink(missing_ok=True)
    for name in ("k3s", "kubectl", "crictl", "ctr", "k3s-killall.sh",
                 "k3s-uninstall.sh", "k3s-agent-uninstall.sh"):
        (BIN_DIR / name).unlink(missing_ok=True)
    log("k3s-standin is uninstalled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install_parser = commands.add_parser("install")
    install_parser.add_argument("--records", type=Path, required=True)
    install_parser.add_argument("--tools-bin", type=Path, required=True)
    install_parser.add_argument("installer_args", nargs="*")
    install_parser.set_defaults(handler=install)
    commands.add_parser("uninstall").set_defaults(handler=uninstall)
    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    main()
