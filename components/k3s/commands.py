"""Command text of every remote K3s step, rendered from plain values.

Only non-secret values appear here. The token reaches a host inside
config.yaml on the install command's stdin.
"""

from __future__ import annotations

from components.config.model import ClusterConfig, NodeConfig
from components.scripts import render_remote_command

INSTALL_SCRIPT = "install-k3s.sh"
UNINSTALL_SCRIPT = "uninstall-k3s.sh"
WAIT_SCRIPT = "wait-for-node.sh"
DRAIN_SCRIPT = "drain-node.sh"

# How long the first server waits for a node to register, and how long a drain
# may wait for evictions. Joining pulls the K3s images over the Internet, which
# can be slow from mainland China without a registry mirror.
WAIT_TIMEOUT_SECONDS = 900
DRAIN_TIMEOUT_SECONDS = 300


def install_environment(
    cluster: ClusterConfig,
    node: NodeConfig,
    *,
    agent_server_url: str | None,
    registries_sha256: str,
) -> dict[str, str]:
    """Return the variables of the install step for ``node``.

    ``agent_server_url`` is the K3S_URL of an agent and must be None for servers,
    which read ``server`` from config.yaml.
    """
    if (node.role == "agent") != (agent_server_url is not None):
        raise ValueError(f"node {node.name}: K3S_URL is required for agents and only for agents")

    k3s = cluster.k3s
    environment = {
        "INSTALL_K3S_EXEC": node.role,
        "INSTALL_K3S_VERSION": k3s.version,
        "INSTALL_SCRIPT_URL": k3s.install_script_url,
        "REGISTRIES_SHA256": registries_sha256,
    }
    if k3s.install_mirror:
        environment["INSTALL_K3S_MIRROR"] = k3s.install_mirror
    if k3s.install_script_sha256:
        environment["INSTALL_SCRIPT_SHA256"] = k3s.install_script_sha256
    if agent_server_url is not None:
        environment["K3S_URL"] = agent_server_url
    return environment


def render_install_command(
    cluster: ClusterConfig,
    node: NodeConfig,
    *,
    agent_server_url: str | None,
    registries_sha256: str,
    sudo: bool,
) -> str:
    environment = install_environment(
        cluster, node, agent_server_url=agent_server_url, registries_sha256=registries_sha256)
    return render_remote_command(INSTALL_SCRIPT, environment, sudo=sudo)


def render_uninstall_command(*, sudo: bool) -> str:
    return render_remote_command(UNINSTALL_SCRIPT, {}, sudo=sudo)


def render_wait_command(node_name: str, *, sudo: bool) -> str:
    environment = {"NODE_NAME": node_name, "WAIT_TIMEOUT_SECONDS": str(WAIT_TIMEOUT_SECONDS)}
    return render_remote_command(WAIT_SCRIPT, environment, sudo=sudo)


def render_drain_command(node_name: str, *, sudo: bool) -> str:
    environment = {"NODE_NAME": node_name, "DRAIN_TIMEOUT_SECONDS": str(DRAIN_TIMEOUT_SECONDS)}
    return render_remote_command(DRAIN_SCRIPT, environment, sudo=sudo)
