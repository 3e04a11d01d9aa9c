"""Test stacks: host layouts and the stack config that describes them."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from pulumi import automation as auto

from tests.e2e.topology import HostSpec

PROJECT = "k3s-multicloud"
K3S_VERSION = "v1.35.6+k3s1"
PERSISTENT_KEEPALIVE = 20


@dataclass(frozen=True)
class NodeSpec:
    host: HostSpec
    role: str
    labels: dict[str, str]
    # Node to jump through when the host has no public IP.
    jump_host: str | None = None


def _host(name: str, location: str, private: str, public: str | None) -> HostSpec:
    return HostSpec(name, location, ipaddress.IPv4Interface(private),
                    ipaddress.IPv4Address(public) if public else None)


def three_host_layout() -> list[NodeSpec]:
    """A server alone in its location, and two agents sharing one VPC subnet.

    The second agent has no public IP and is reached through the first, as
    bd2 is reached through bd1 in the seed cluster.
    """
    return [
        NodeSpec(_host("s1", "edge-a", "192.168.1.11/24", "203.0.113.11"), "server", {}),
        NodeSpec(_host("a1", "vpc-b", "192.168.64.4/20", "203.0.113.21"), "agent",
                 {"e2e.k3smc.test/pool": "vpc-b"}),
        NodeSpec(_host("a2", "vpc-b", "192.168.64.5/20", None), "agent", {}, jump_host="a1"),
    ]


def benchmark_layout(agent_count: int) -> list[NodeSpec]:
    """One server and ``agent_count`` agents, each with a public IP, in two locations."""
    nodes = [NodeSpec(_host("s1", "edge-a", "192.168.1.11/24", "203.0.113.11"), "server", {})]
    for index in range(agent_count):
        location = "vpc-b" if index % 2 == 0 else "vpc-c"
        subnet = "192.168.64" if location == "vpc-b" else "172.21.143"
        nodes.append(NodeSpec(
            _host(f"a{index + 1}", location, f"{subnet}.{10 + index}/20", f"203.0.113.{21 + index}"),
            "agent", {}))
    return nodes


def node_config(node: NodeSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": node.host.name,
        "role": node.role,
        "location": node.host.location,
        "cloud": "onprem",
        "privateIp": str(node.host.private_ip),
        "persistentKeepalive": PERSISTENT_KEEPALIVE,
        "ssh": {"user": "root", "port": 22},
    }
    if node.host.public_ip is not None:
        entry["publicIp"] = str(node.host.public_ip)
    if node.jump_host is not None:
        entry["ssh"]["jumpHost"] = node.jump_host
    if node.labels:
        entry["labels"] = node.labels
    return entry


def stack_config(nodes: list[NodeSpec], *, install_url: str, install_sha256: str,
                 token: str, private_key: str) -> dict[str, auto.ConfigValue]:
    """Build the stack config of the ``k3s-multicloud:`` namespace.

    The token and the SSH key are set as secrets, so the program creates no
    random or tls resource, because those provider plugins cannot be built
    here. ``k3s`` is one secret object because it contains the token.
    """
    k3s = {
        "version": K3S_VERSION,
        "installScriptUrl": install_url,
        "installScriptSha256": install_sha256,
        "token": token,
    }
    return {
        f"{PROJECT}:nodes": auto.ConfigValue(json.dumps([node_config(n) for n in nodes])),
        f"{PROJECT}:k3s": auto.ConfigValue(json.dumps(k3s), secret=True),
        # No kg pods ever run without a kubelet, so the rollout is not awaited.
        f"{PROJECT}:kilo": auto.ConfigValue(json.dumps({"skipAwait": True})),
        f"{PROJECT}:sshPrivateKey": auto.ConfigValue(private_key, secret=True),
    }
