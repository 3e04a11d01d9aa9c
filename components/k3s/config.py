"""K3s /etc/rancher/k3s/config.yaml for each node, built as data.

Every K3s flag the program sets lives in this file rather than on the
installer's command line, so a flag change is a change of the file, which the
install step detects and applies by restarting K3s on that node. The file
carries the cluster token, so callers must treat the rendered text as a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from components.config.model import ClusterConfig, NodeConfig

API_SERVER_PORT = 6443

# K3s flags whose single value this module sets. serverArgs/agentArgs may not
# set them again, because K3s would take one of the two values silently.
MANAGED_SCALAR_FLAGS = frozenset({
    "cluster-init", "server", "token", "node-name", "node-ip", "node-external-ip",
    "flannel-backend", "cluster-cidr", "service-cidr", "token-file",
})

# kube-proxy serves metrics on 127.0.0.1 by default; Prometheus on another
# node needs them on every address.
KUBE_PROXY_ARGS = ("metrics-bind-address=0.0.0.0",)


@dataclass(frozen=True)
class NodeAddresses:
    """A node's addresses as plain strings, once the cloud has assigned them."""

    private_ip: str
    public_ip: str | None


def join_address(first_server: NodeConfig, first_addresses: NodeAddresses, node: NodeConfig) -> str:
    """Return the first server address that ``node`` can reach.

    Nodes in the first server's location reach it over the VPC; the others need
    its public IP, because WireGuard does not exist before K3s runs.
    """
    if node.location == first_server.location or first_addresses.public_ip is None:
        return first_addresses.private_ip
    return first_addresses.public_ip


def server_url(address: str) -> str:
    return f"https://{address}:{API_SERVER_PORT}"


def tls_sans(cluster: ClusterConfig, server_public_ips: Sequence[str | None]) -> list[str]:
    """Return every server public IP, then the configured extra SANs, without repeats."""
    return _unique([ip for ip in server_public_ips if ip] + list(cluster.k3s.extra_tls_sans))


def render_node_config(
    cluster: ClusterConfig,
    node: NodeConfig,
    addresses: NodeAddresses,
    *,
    token: str,
    server_public_ips: Sequence[str | None],
    join_url: str | None,
) -> dict:
    """Build config.yaml for a server or an agent.

    ``join_url`` is None for the first server, which starts the embedded etcd
    cluster (cluster-init); joining servers get it as ``server``. Agents take
    the URL from K3S_URL in the install step, so their file has no ``server``.
    """
    if node.role == "server":
        config: dict = {}
        if join_url is None:
            config["cluster-init"] = True
        else:
            config["server"] = join_url
        config.update(_common_config(node, addresses, token))
        config["tls-san"] = tls_sans(cluster, server_public_ips)
        config["flannel-backend"] = "none"
        config["kube-proxy-arg"] = list(KUBE_PROXY_ARGS)
        config["cluster-cidr"] = str(cluster.k3s.cluster_cidr)
        config["service-cidr"] = str(cluster.k3s.service_cidr)
        extra_args = cluster.k3s.extra_server_args
    else:
        config = _common_config(node, addresses, token)
        config["kube-proxy-arg"] = list(KUBE_PROXY_ARGS)
        extra_args = cluster.k3s.extra_agent_args

    if node.labels:
        config["node-label"] = [f"{key}={value}" for key, value in sorted(node.labels.items())]
    if node.taints:
        config["node-taint"] = list(node.taints)
    _merge_extra_args(config, parse_extra_args(extra_args))
    return config


def dump_config(config: dict) -> str:
    """Serialize a config dict as YAML, keys in the order they were added."""
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def parse_extra_args(args: Iterable[str]) -> list[tuple[str, str | bool]]:
    """Split ``--name=value`` and ``--name`` flags into (name, value) pairs.

    The config loader already rejects malformed and managed flags with a
    config error; the ValueError here guards callers that skip the loader.
    """
    pairs: list[tuple[str, str | bool]] = []
    for arg in args:
        if not arg.startswith("--") or len(arg) < 3 or arg[2] in "-=":
            raise ValueError(f"invalid K3s flag {arg!r}: expected --name=value or --name")
        name, separator, value = arg[2:].partition("=")
        if name in MANAGED_SCALAR_FLAGS:
            raise ValueError(f"invalid K3s flag {arg!r}: --{name} is set from the node config")
        pairs.append((name, value if separator else True))
    return pairs


def _common_config(node: NodeConfig, addresses: NodeAddresses, token: str) -> dict:
    config: dict = {
        "token": token,
        "node-name": node.name,
        "node-ip": addresses.private_ip,
    }
    if addresses.public_ip:
        config["node-external-ip"] = addresses.public_ip
    return config


def _merge_extra_args(config: dict, pairs: list[tuple[str, str | bool]]) -> None:
    for name, value in pairs:
        if name not in config:
            config[name] = value
        elif isinstance(config[name], list):
            config[name].append(value)
        else:
            # A repeated flag becomes a list, as K3s expects for repeatable flags.
            config[name] = [config[name], value]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
