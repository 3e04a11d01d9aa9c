"""The host shape that K3s, Kilo and the outputs consume.

Existing hosts and cloud VMs both become a Host, so nothing downstream depends on
where a machine came from. Fields that a cloud assigns at creation time are
Pulumi Outputs; for existing hosts they are plain values wrapped in Outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.config.model import NodeConfig


@dataclass(frozen=True)
class Host:
    node: NodeConfig
    # Public IPv4 address as a string, or None when the host has none.
    public_ip: pulumi.Output[str | None]
    # Private IPv4 address without prefix, e.g. "192.168.64.4".
    private_ip: pulumi.Output[str]
    # Prefix length of the private network, e.g. 20.
    private_prefix: pulumi.Output[int]
    # Address the program dials over SSH (public IP, or private for VPC-only hosts).
    ssh_host: pulumi.Output[str]
    ssh_user: str
    ssh_port: int
    # Secret Output with the OpenSSH or PEM private key text.
    ssh_private_key: pulumi.Output[str]
    # Host to jump through (pulumi-command ProxyConnection), or None.
    ssh_jump: Host | None = None
    # Resources the host's SSH steps must wait for (the VM, its EIP, ...).
    depends_on: tuple[pulumi.Resource, ...] = ()

    @property
    def name(self) -> str:
        return self.node.name
