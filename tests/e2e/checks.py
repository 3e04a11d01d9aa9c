"""Checks of the end-to-end run; each raises AssertionError naming what differs."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.e2e import policy_pack, stack
from tests.e2e.harness import Run
from tests.e2e.topology import PRIVATE_DIRS, PRIVATE_FILES, TestHost

KILO_LOCATION = "kilo.squat.ai/location"
KILO_FORCE_ENDPOINT = "kilo.squat.ai/force-endpoint"
KILO_KEEPALIVE = "kilo.squat.ai/persistent-keepalive"
# How the engine marks a secret value in state (sdk/go/common/resource/sig).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# Paths on the first server that change while the cluster runs (etcd data,
# process logs), so a comparison of file trees leaves them out.
VOLATILE_SERVER_PATHS = ("/var/lib/rancher/k3s/server/db", "/var/lib/rancher/k3s/standin")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def first_server(run: Run) -> stack.NodeSpec:
    return next(n for n in run.nodes if n.role == "server")


def join_address(run: Run, node: stack.NodeSpec) -> str:
    """The first-server address a node must be given: private in its location, else public."""
    server = first_server(run).host
    if node.host.location == server.location or server.public_ip is None:
        return str(server.private_ip.ip)
    return str(server.public_ip)


# ---------------------------------------------------------------- installer records


def check_installer_records(run: Run) -> None:
    """The stand-in installer got the configured version, role, URL and config.yaml."""
    server = first_server(run)
    for node in run.nodes:
        records = run.install_records(node.host.name)
        expect(records, f"node {node.host.name}: the installer never ran (no record in {run.records})")
        record = records[-1]
        env = record["env"]
        name = node.host.name
        expect(env.get("INSTALL_K3S_VERSION") == stack.K3S_VERSION,
               f"node {name}: INSTALL_K3S_VERSION is {env.get('INSTALL_K3S_VERSION')!r}, "
               f"expected {stack.K3S_VERSION!r}")
        expect(env.get("INSTALL_K3S_EXEC", "").split()[:1] == [node.role],
               f"node {name}: INSTALL_K3S_EXEC is {env.get('INSTALL_K3S_EXEC')!r}, expected {node.role!r}")
        expect("K3S_TOKEN" not in env, f"node {name}: the token reached the installer environment")
        if node.role == "agent":
            expected_url = f"https://{join_address(run, node)}:6443"
            expect(env.get("K3S_URL") == expected_url,
                   f"node {name}: K3S_URL is {env.get('K3S_URL')!r}, expected {expected_url!r}")

        expect(record["config_mode"] == "0o600",
               f"node {name}: config.yaml has mode {record['config_mode']}, expected 0o600")
        config = yaml.safe_load(record["config_yaml"] or "{}")
        expected = {
            "token": run.token,
            "node-name": name,
            "node-ip": str(node.host.private_ip.ip),
        }
        if node.host.public_ip is not None:
            expected["node-external-ip"] = str(node.host.public_ip)
        if node is server:
            expected["cluster-init"] = True
        for key, value in expected.items():
            # Messages name the token, never print it.
            actual_text = "another token" if key == "token" else repr(config.get(key))
            expected_text = "the configured token" if key == "token" else repr(value)
            expect(config.get(key) == value,
                   f"node {name}: config.yaml {key} is {actual_text}, expected {expected_text}")
        if node.host.public_ip is None:
            expect("node-external-ip" not in config,
                   f"node {name}: config.yaml sets node-external-ip on a host without public IP")
        if node.role == "server":
            sans = config.get("tls-san") or []
            expect(str(node.host.public_ip) in sans,
                   f"node {name}: config.yaml tls-san {sans} lacks the public IP {node.host.public_ip}")
        labels = sorted(config.get("node-label") or [])
        expected_labels = sorted(f"{k}={v}" for k, v in node.labels.items())
        expect(labels == expected_labels,
               f"node {name}: config.yaml node-label is {labels}, expected {expected_labels}")


# ---------------------------------------------------------------- Kubernetes objects


def check_kubernetes_objects(run: Run) -> None:
    """Every node is registered with its Kilo annotations, and Kilo is applied."""
    nodes = {item["metadata"]["name"]: item for item in run.kubectl_json("get", "nodes")["items"]}
    expected_names = sorted(n.host.name for n in run.nodes)
    expect(sorted(nodes) == expected_names,
           f"Node objects are {sorted(nodes)}, expected {expected_names}")

    for node in run.nodes:
        annotations = nodes[node.host.name]["metadata"].get("annotations", {})
        name = node.host.name
        expect(annotations.get(KILO_LOCATION) == node.host.location,
               f"node {name}: {KILO_LOCATION} is {annotations.get(KILO_LOCATION)!r}, "
               f"expected {node.host.location!r}")
        expect(annotations.get(KILO_KEEPALIVE) == str(stack.PERSISTENT_KEEPALIVE),
               f"node {name}: {KILO_KEEPALIVE} is {annotations.get(KILO_KEEPALIVE)!r}, "
               f"expected {str(stack.PERSISTENT_KEEPALIVE)!r}")
        if node.host.public_ip is not None:
            expected_endpoint = f"{node.host.public_ip}:51820"
            expect(annotations.get(KILO_FORCE_ENDPOINT) == expected_endpoint,
                   f"node {name}: {KILO_FORCE_ENDPOINT} is {annotations.get(KILO_FORCE_ENDPOINT)!r}, "
                   f"expected {expected_endpoint!r}")
        else:
            expect(KILO_FORCE_ENDPOINT not in annotations,
                   f"node {name} has no public IP but {KILO_FORCE_ENDPOINT} is "
                   f"{annotations.get(KILO_FORCE_ENDPOINT)!r}")
        labels = nodes[name]["metadata"].get("labels", {})
        for key, value in node.labels.items():
            expect(labels.get(key) == value, f"node {name}: label {key} is {labels.get(key)!r}, expected {value!r}")

    crd = run.kubectl_json("get", "customresourcedefinition", "peers.kilo.squat.ai")
    expect(crd["metadata"]["name"] == "peers.kilo.squat.ai", "the Kilo Peer CRD is missing")
    daemon_sets = run.kubectl_json("get", "daemonsets", "--all-namespaces")["items"]
    kilo = [d for d in daemon_sets if d["metadata"]["name"] == "kilo"]
    expect(len(kilo) == 1, f"expected one kilo DaemonSet, found {[d['metadata']['name'] for d in daemon_sets]}")
    image = kilo[0]["spec"]["template"]["spec"]["containers"][0]["image"]
    expect(image == "docker.io/squat/kilo:0.7.0", f"the kilo DaemonSet runs {image!r}, expected docker.io/squat/kilo:0.7.0")


# ---------------------------------------------------------------- secrets in state


def check_state_secrets(run: Run, server_host: TestHost) -> None:
    """Token, SSH key and kubeconfig appear in the state file only as ciphertext."""
    state_path = run.state_file()
    text = state_path.read_text()
    expect(run.token not in text, f"the K3s token is in plaintext in {state_path}")
    key_body = run.key.private_key.strip().splitlines()[1]
    expect(key_body not in text, f"the SSH private key is in plaintext in {state_path}")

    kubeconfig = run.topology.exec_in(server_host, ["cat", "/etc/rancher/k3s/k3s.yaml"]).stdout
    admin_token = yaml.safe_load(kubeconfig)["users"][0]["user"]["token"]
    expect(admin_token not in text, f"the kubeconfig's credential is in plaintext in {state_path}")

    state = json.loads(text)
    resources = state["checkpoint"]["latest"]["resources"]
    root = next(r for r in resources if r["type"] == "pulumi:pulumi:Stack")
    outputs = root.get("outputs", {})
    expect("kubeconfig" in outputs, f"the stack has no kubeconfig output; outputs: {sorted(outputs)}")
    value = outputs["kubeconfig"]
    expect(isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG and "ciphertext" in value,
           f"output kubeconfig is not a secret in the state file: {str(value)[:80]!r}")
    config_secrets = state["checkpoint"].get("latest", {}).get("secrets_providers", {})
    expect(config_secrets.get("type") == "passphrase",
           f"state secrets provider is {config_secrets.get('type')!r}, expected passphrase")


# ---------------------------------------------------------------- host trees


def snapshot(run: Run, host: TestHost) -> dict[str, tuple[int, int, str]]:
    """Map each file under the host's private directories to (size, mtime ns, mode)."""
    roots = list(PRIVATE_DIRS) + list(PRIVATE_FILES)
    script = ("find " + " ".join(roots) +
              " -xdev -printf '%p\\t%s\\t%T@\\t%m\\n' 2>/dev/null || true")
    output = run.topology.exec_in(host, ["sh", "-c", script]).stdout
    entries = {}
    for line in output.splitlines():
        path, size, mtime, mode = line.split("\t")
        entries[path] = (int(size), int(float(mtime) * 1e9), mode)
    return entries


def tree_changes(before: dict, after: dict, ignore_prefixes: tuple[str, ...] = ()) -> list[str]:
    changes = []
    for path in sorted(set(before) | set(after)):
        if path.startswith(ignore_prefixes):
            continue
        if path not in after:
            changes.append(f"removed {path}")
        elif path not in before:
            changes.append(f"added {path}")
        elif before[path] != after[path]:
            changes.append(f"changed {path}")
    return changes


def k3s_leftovers(run: Run, host: TestHost) -> list[str]:
    """K3s files and stand-in processes still on ``host``."""
    leftovers = []
    for path in ("/usr/local/bin/k3s", "/usr/local/bin/k3s-uninstall.sh", "/usr/local/bin/k3s-agent-uninstall.sh",
                 "/etc/rancher/k3s", "/var/lib/rancher/k3s",
                 "/etc/systemd/system/k3s.service", "/etc/systemd/system/k3s-agent.service"):
        if run.topology.exec_in(host, ["test", "-e", path], check=False).returncode == 0:
            leftovers.append(path)
    for pid, cmdline in run.topology.namespace_processes(host):
        leftovers.append(f"process {pid}: {cmdline[:120]}")
    return leftovers


# ---------------------------------------------------------------- policy pack


def check_policy_pack_passed(events: list, operation: str) -> None:
    """The policy pack ran during ``operation`` and reported no violation."""
    packs = policy_pack.packs_run(events)
    expect(policy_pack.POLICY_PACK_NAME in packs,
           f"{operation} ran without the policy pack {policy_pack.POLICY_PACK_NAME}; packs run: {packs}")
    found = policy_pack.violations(events)
    expect(not found, f"the policy pack reported violations during {operation}: "
                      f"{[violation.describe() for violation in found]}")


def check_policy_stopped(run: Run, events: list, log_name: str, failure: str) -> None:
    """The preview failed because of one mandatory violation: the kubeconfig read's stdout.

    ``failure`` is the error of the failed preview, shown when no policy
    caused it.
    """
    found = policy_pack.violations(events)
    expect(found, f"the preview failed, but no policy reported a violation: {failure}")
    for violation in found:
        expect(violation.policy == policy_pack.SECRET_POLICY,
               f"expected only {policy_pack.SECRET_POLICY} to fail, also got {violation.describe()}")
        expect(violation.enforcement == "mandatory",
               f"{violation.policy} was reported as {violation.enforcement!r}, expected 'mandatory'")
        expect(violation.urn.endswith(f"::{policy_pack.KUBECONFIG_READ}"),
               f"{violation.policy} was reported on {violation.urn}, expected {policy_pack.KUBECONFIG_READ}")

    # The text a user reads: the CLI prints each violation as
    # "<pack>@v<version> [mandatory]  <policy>  (<type>: <name>)".
    output = (run.logs / f"{log_name}.log").read_text()
    expect(any("[mandatory]" in line and policy_pack.SECRET_POLICY in line for line in output.splitlines()),
           f"the output of the stopped preview has no [mandatory] line naming {policy_pack.SECRET_POLICY}; "
           f"see logs/{log_name}.log")


def accepted_logins(host: TestHost) -> int:
    """Count the SSH logins that the host's sshd accepted so far."""
    log = host.state_dir / "sshd.log"
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text(errors="replace").splitlines() if "Accepted publickey" in line)
