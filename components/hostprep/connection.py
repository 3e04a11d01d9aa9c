"""pulumi-command SSH connection settings for a Host."""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components.hosts import Host

# A new VM's sshd comes up a minute or two after the VM is reported running,
# so allow many attempts. Each attempt gives up after PER_DIAL_TIMEOUT_SECONDS.
DIAL_ERROR_LIMIT = 30
PER_DIAL_TIMEOUT_SECONDS = 20


def connection_args(host: Host) -> remote.ConnectionArgs:
    """Build the SSH connection for ``host``, through its jump host when it has one."""
    proxy = None
    if host.ssh_jump is not None:
        jump = host.ssh_jump
        proxy = remote.ProxyConnectionArgs(
            host=jump.ssh_host,
            port=jump.ssh_port,
            user=jump.ssh_user,
            private_key=pulumi.Output.secret(jump.ssh_private_key),
            dial_error_limit=DIAL_ERROR_LIMIT,
            per_dial_timeout=PER_DIAL_TIMEOUT_SECONDS,
        )
    return remote.ConnectionArgs(
        host=host.ssh_host,
        port=host.ssh_port,
        user=host.ssh_user,
        private_key=pulumi.Output.secret(host.ssh_private_key),
        dial_error_limit=DIAL_ERROR_LIMIT,
        per_dial_timeout=PER_DIAL_TIMEOUT_SECONDS,
        proxy=proxy,
    )


def needs_sudo(host: Host) -> bool:
    """Return True when commands on ``host`` must go through sudo."""
    return host.ssh_user != "root"
