"""Run the generate-kubeconfig script for real against a temporary K3s agent tree.

The Kilo image runs the script with busybox sh (Alpine), so it runs here with
busybox sh when installed, and always with the system's POSIX sh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components.kilo.render import INIT_SCRIPT_PATH
from kilo_testdata import resolve_current_cluster

# kubelet.kubeconfig as a K3s agent writes it: one cluster pointing at the
# agent's local load balancer.
KUBELET_KUBECONFIG = """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority: /var/lib/rancher/k3s/agent/server-ca.crt
    server: https://127.0.0.1:6444
  name: local
contexts:
- context:
    cluster: local
    namespace: default
    user: user
  name: Default
current-context: Default
kind: Config
preferences: {}
users:
- name: user
  user:
    client-certificate: /var/lib/rancher/k3s/agent/client-kubelet.crt
    client-key: /var/lib/rancher/k3s/agent/client-kubelet.key
"""

SERVER_CA = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"


def _shells():
    shells = [pytest.param(["sh"], id="sh")]
    busybox = shutil.which("busybox")
    shells.append(
        pytest.param(
            [busybox or "busybox", "sh"],
            id="busybox-sh",
            marks=pytest.mark.skipif(busybox is None, reason="busybox is not installed"),
        )
    )
    return shells


@pytest.fixture
def agent_tree(tmp_path):
    agent = tmp_path / "var/lib/rancher/k3s/agent"
    agent.mkdir(parents=True)
    (agent / "kubelet.kubeconfig").write_text(KUBELET_KUBECONFIG)
    (agent / "server-ca.crt").write_text(SERVER_CA)
    token = tmp_path / "serviceaccount/token"
    token.parent.mkdir()
    token.write_text("eyJhbGciOiJSUzI1NiJ9.test-token")
    out_dir = tmp_path / "etc/kubernetes"
    out_dir.mkdir(parents=True)
    return {
        "agent": agent,
        "token": token,
        "kubeconfig": out_dir / "kubeconfig",
        "env": {
            "PATH": os.environ["PATH"],
            "NAMESPACE": "kube-system",
            "K3S_AGENT_DIR": str(agent),
            "KILO_TOKEN_FILE": str(token),
            "KILO_KUBECONFIG": str(out_dir / "kubeconfig"),
        },
    }


def _run(shell, env):
    return subprocess.run(
        [*shell, str(INIT_SCRIPT_PATH)], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("shell", _shells())
def test_kubeconfig_resolves_to_k3s_server(shell, agent_tree):
    result = _run(shell, agent_tree["env"])
    assert result.returncode == 0, result.stderr

    kubeconfig = yaml.safe_load(agent_tree["kubeconfig"].read_text())
    cluster = resolve_current_cluster(kubeconfig)
    assert cluster["server"] == "https://127.0.0.1:6444"
    assert cluster["certificate-authority"] == str(agent_tree["agent"] / "server-ca.crt")
    assert Path(cluster["certificate-authority"]).read_text() == SERVER_CA


@pytest.mark.parametrize("shell", _shells())
def test_kubeconfig_user_and_namespace(shell, agent_tree):
    result = _run(shell, agent_tree["env"])
    assert result.returncode == 0, result.stderr

    kubeconfig = yaml.safe_load(agent_tree["kubeconfig"].read_text())
    context = {c["name"]: c["context"] for c in kubeconfig["contexts"]}[kubeconfig["current-context"]]
    users = {u["name"]: u["user"] for u in kubeconfig["users"]}
    assert context["namespace"] == "kube-system"
    assert users[context["user"]] == {"tokenFile": str(agent_tree["token"])}


def test_kubeconfig_omits_token_value(agent_tree):
    assert _run(["sh"], agent_tree["env"]).returncode == 0
    assert "test-token" not in agent_tree["kubeconfig"].read_text()


def test_rerun_gives_same_file(agent_tree):
    assert _run(["sh"], agent_tree["env"]).returncode == 0
    first = agent_tree["kubeconfig"].read_text()
    assert _run(["sh"], agent_tree["env"]).returncode == 0
    assert agent_tree["kubeconfig"].read_text() == first
    assert sorted(p.name for p in agent_tree["kubeconfig"].parent.iterdir()) == ["kubeconfig"]


def test_server_read_from_kubelet_kubeconfig(agent_tree):
    kubelet = agent_tree["agent"] / "kubelet.kubeconfig"
    kubelet.write_text(KUBELET_KUBECONFIG.replace("https://127.0.0.1:6444", "https://203.0.113.10:6443"))
    assert _run(["sh"], agent_tree["env"]).returncode == 0
    kubeconfig = yaml.safe_load(agent_tree["kubeconfig"].read_text())
    assert resolve_current_cluster(kubeconfig)["server"] == "https://203.0.113.10:6443"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("kubelet.kubeconfig", "kubelet.kubeconfig not found"),
        ("server-ca.crt", "server-ca.crt not found"),
    ],
)
def test_missing_agent_file_fails(agent_tree, missing, message):
    (agent_tree["agent"] / missing).unlink()
    result = _run(["sh"], agent_tree["env"])
    assert result.returncode != 0
    assert message in result.stderr
    assert not agent_tree["kubeconfig"].exists()


def test_missing_token_fails(agent_tree):
    agent_tree["token"].unlink()
    result = _run(["sh"], agent_tree["env"])
    assert result.returncode != 0
    assert "token not found" in result.stderr


def test_missing_namespace_fails(agent_tree):
    env = dict(agent_tree["env"])
    del env["NAMESPACE"]
    result = _run(["sh"], env)
    assert result.returncode != 0
    assert "NAMESPACE is missing" in result.stderr


@pytest.mark.parametrize(
    "server_line",
    [
        "    server:",
        "    server: http://127.0.0.1:6444",
        '    server: "https://127.0.0.1:6444"',
        "    server: https://127.0.0.1:6444\\evil",
    ],
    ids=["empty", "plain-http", "quoted", "backslash"],
)
def test_unusable_server_fails(agent_tree, server_line):
    kubelet = agent_tree["agent"] / "kubelet.kubeconfig"
    kubelet.write_text(KUBELET_KUBECONFIG.replace("    server: https://127.0.0.1:6444", server_line))
    result = _run(["sh"], agent_tree["env"])
    assert result.returncode != 0
    assert "server" in result.stderr
    assert not agent_tree["kubeconfig"].exists()


@pytest.mark.parametrize("namespace", ['kube"system', "kube system", "kube\\system"])
def test_unsafe_namespace_fails(agent_tree, namespace):
    env = {**agent_tree["env"], "NAMESPACE": namespace}
    result = _run(["sh"], env)
    assert result.returncode != 0
    assert "namespace" in result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_script_passes_shellcheck():
    result = subprocess.run(
        ["shellcheck", "-s", "sh", str(INIT_SCRIPT_PATH)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout
