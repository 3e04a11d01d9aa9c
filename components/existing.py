"""Turn the existing hosts of the stack config into Host objects.

An existing host is any node without a ``vm`` block: a machine that already
runs and that the program reaches over SSH at ssh.host, its public IP, or its
private IP through a jump host.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.config.model import ClusterConfig, NodeConfig
from components.hosts import Host


def existing_hosts(cluster: ClusterConfig, ssh_private_key: pulumi.Input[str],
                   other_hosts: Mapping[str, Host] | None = None) -> dict[str, Host]:
    """Build a Host for every node without a vm block, in node order.

    ``other_hosts`` contains hosts made elsewhere (cloud VMs), so an existing
    host can jump through a VM. The loader allows one hop only, which is why
    the hosts without a jump host are built first.
    """
    other_hosts = other_hosts or {}
    key = pulumi.Output.secret(ssh_private_key)
    existing = [node for node in cluster.nodes if not node.is_vm]

    built: dict[str, Host] = {}
    for node in existing:
        if node.ssh.jump_host is None:
            built[node.name] = _host(node, key, jump=None)
    for node in existing:
        if node.ssh.jump_host is not None:
            jump = built.get(node.ssh.jump_host) or other_hosts[node.ssh.jump_host]
            built[node.name] = _host(node, key, jump=jump)

    return {node.name: built[node.name] for node in existing}


def dial_address(node: NodeConfig) -> str:
    """Return the address SSH dials: ssh.host, else the public IP, else the private IP.

    The private IP is only reachable from the jump host, which the loader
    assigns to every existing node without a public IP or ssh.host.
    """
    if node.ssh.host is not None:
        return node.ssh.host
    if node.public_ip is not None:
        return str(node.public_ip)
    assert node.private_ip is not None, f"existing node {node.name} has no private IP"
    return str(node.private_ip.ip)


def _host(node: NodeConfig, key: pulumi.Output[str], jump: Host | None) -> Host:
    assert node.private_ip is not None, f"existing node {node.name} has no private IP"
    public_ip = str(node.public_ip) if node.public_ip is not None else None
    return Host(
        node=node,
        public_ip=pulumi.Output.from_input(public_ip),
        private_ip=pulumi.Output.from_input(str(node.private_ip.ip)),
        private_prefix=pulumi.Output.from_input(node.private_ip.network.prefixlen),
        ssh_host=pulumi.Output.from_input(dial_address(node)),
        ssh_user=node.ssh.user,
        ssh_port=node.ssh.port,
        ssh_private_key=key,
        ssh_jump=jump,
    )
