"""The end-to-end stacks pass the program's own config validation.

These run in `make test` without root or built tools, so a config-model
change that would break the end-to-end run shows up there first.
"""

from __future__ import annotations

import json

import pytest

from components.config.load import load_cluster_config
from tests.e2e import environment, stack

INSTALL_URL = "https://203.0.113.1:8443/k3s-standin-install.sh"
INSTALL_SHA256 = "0" * 64


@pytest.fixture(scope="module")
def private_key(tmp_path_factory) -> str:
    return environment.generate_ssh_key(tmp_path_factory.mktemp("key")).private_key


def load(nodes: list[stack.NodeSpec], private_key: str):
    values = stack.stack_config(nodes, install_url=INSTALL_URL, install_sha256=INSTALL_SHA256,
                                token="e2e-token", private_key=private_key)
    raw = {}
    for key, value in values.items():
        name = key.split(":", 1)[1]
        raw[name] = value.value if name == "sshPrivateKey" else json.loads(value.value)
    return load_cluster_config(raw, stack.PROJECT, "e2e")


def test_three_host_stack_is_valid(private_key):
    cluster = load(stack.three_host_layout(), private_key)

    assert [node.name for node in cluster.nodes] == ["s1", "a1", "a2"]
    assert cluster.first_server.name == "s1"
    assert cluster.k3s.version == stack.K3S_VERSION
    assert cluster.k3s.install_script_url == INSTALL_URL
    assert cluster.k3s.install_script_sha256 == INSTALL_SHA256
    assert cluster.kilo.skip_await is True


def test_three_host_stack_jumps_to_a2(private_key):
    cluster = load(stack.three_host_layout(), private_key)
    a2 = next(node for node in cluster.nodes if node.name == "a2")

    assert a2.public_ip is None
    assert a2.ssh.jump_host == "a1"


@pytest.mark.parametrize("agents", [0, 5])
def test_benchmark_stack_is_valid(agents, private_key):
    cluster = load(stack.benchmark_layout(agents), private_key)

    assert len(cluster.nodes) == agents + 1
    assert len(cluster.agents) == agents
