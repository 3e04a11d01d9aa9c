"""Host preparation over SSH: hostname, IPv4 forwarding, WireGuard tools,
cloud-init wait and the optional K3s registry mirrors."""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components.config.model import ClusterConfig
from components.hostprep.connection import connection_args, needs_sudo
from components.hostprep.render import registries_yaml, render_prepare_command
from components.hosts import Host

__all__ = ["create_prepare_command", "connection_args", "needs_sudo"]


def create_prepare_command(cluster: ClusterConfig, host: Host, parent: pulumi.Resource) -> remote.Command:
    """Create the ``prepare-<node>`` Command, which runs prepare-host.sh on ``host``.

    registries.yaml holds only mirror URLs, so it travels on stdin in the clear.
    A change of the node name, its private IP, the mirrors or the script runs
    the step again.
    """
    registries = registries_yaml(cluster.k3s.registry_mirrors)
    command_text = host.private_ip.apply(
        lambda private_ip: render_prepare_command(
            host.node, private_ip, registries_configured=registries is not None, sudo=needs_sudo(host)))

    pulumi.log.info(f"Prepare host {host.name}: hostname, IPv4 forwarding, WireGuard tools")
    return remote.Command(
        f"prepare-{host.name}",
        connection=connection_args(host),
        create=command_text,
        update=command_text,
        stdin=registries,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(_host_dependencies(host))),
    )


def _host_dependencies(host: Host) -> tuple[pulumi.Resource, ...]:
    # A host reached through a jump host also waits for the jump host's VM.
    jump_dependencies = host.ssh_jump.depends_on if host.ssh_jump is not None else ()
    return tuple(host.depends_on) + tuple(jump_dependencies)
