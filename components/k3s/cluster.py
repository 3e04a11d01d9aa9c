"""K3sCluster: prepare every host, install K3s, and track each node's membership.

Resource graph per node N (F is the first server):
  prepare-N                      prepare-host.sh on N
  install-N  -> prepare-N        install-k3s.sh on N; its delete uninstalls K3s
  register-N -> install-N, install-F
                                 on F: wait until Node N exists; its delete drains
                                 N and deletes the Node object
Servers after F join one at a time (each waits for the previous register), so
etcd adds one member at a time. Agents wait only for the servers and install in
parallel. Because register-N depends on install-N, Pulumi deletes register-N
first when N leaves the config: N is drained before K3s is uninstalled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_random as random
from pulumi_command import remote

from components.config.model import ClusterConfig, NodeConfig
from components.hostprep import connection_args, create_prepare_command, needs_sudo
from components.hostprep.render import registries_sha256
from components.hosts import Host
from components.k3s.commands import (
    render_drain_command,
    render_install_command,
    render_uninstall_command,
    render_wait_command,
)
from components.k3s.config import NodeAddresses, dump_config, join_address, render_node_config, server_url

TOKEN_LENGTH = 48


class K3sCluster(pulumi.ComponentResource):
    """One K3s cluster on the given hosts.

    Attributes:
        token: secret Output with the cluster token.
        prepared, installed, registered: per node name, the prepare, install and
            register Commands.
        first_server_installed: the install Command of the first server.
        api_server_url: Output with https://<first server public IP>:6443.
    """

    token: pulumi.Output[str]
    prepared: dict[str, pulumi.Resource]
    installed: dict[str, pulumi.Resource]
    registered: dict[str, pulumi.Resource]
    first_server_installed: pulumi.Resource
    api_server_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cluster: ClusterConfig,
        hosts: Mapping[str, Host],
        token: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k3smc:k3s:Cluster", name, None, opts)
        _check_inputs(cluster, hosts)
        self._cluster = cluster
        self._hosts = hosts
        self._first = cluster.first_server
        self._first_host = hosts[self._first.name]

        self.token = self._create_token(name, token)
        self.api_server_url = _api_server_url(self._first_host)
        self._server_public_ips = pulumi.Output.all(*[hosts[server.name].public_ip for server in cluster.servers])
        self._registries_sha256 = registries_sha256(cluster.k3s.registry_mirrors)

        self.prepared = {node.name: create_prepare_command(cluster, hosts[node.name], self) for node in cluster.nodes}
        self.installed = {}
        self.registered = {}

        previous_server: pulumi.Resource | None = None
        for server in cluster.servers:
            after = [previous_server] if previous_server is not None else []
            self._install_node(server, after)
            previous_server = self._register_node(server)
        self.first_server_installed = self.installed[self._first.name]

        servers_ready = [self.registered[server.name] for server in cluster.servers]
        for agent in cluster.agents:
            self._install_node(agent, servers_ready)
            self._register_node(agent)

        self.register_outputs({
            "token": self.token,
            "api_server_url": self.api_server_url,
        })

    def _create_token(self, name: str, configured: pulumi.Input[str] | None) -> pulumi.Output[str]:
        if configured is not None:
            return pulumi.Output.secret(configured)
        password = random.RandomPassword(
            f"{name}-token",
            length=TOKEN_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The provider marks result secret, but wrap it so the secrecy does not
        # depend on the provider schema.
        return pulumi.Output.secret(password.result)

    def _install_node(self, node: NodeConfig, after: Sequence[pulumi.Resource]) -> remote.Command:
        host = self._hosts[node.name]
        first_addresses = _addresses(self._first_host)
        node_addresses = _addresses(host)

        join_url: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        agent_url: pulumi.Output[str] | None = None
        if node.role == "agent":
            agent_url = first_addresses.apply(lambda first: server_url(join_address(self._first, first, node)))
            agent_url.apply(lambda url: pulumi.log.info(f"Join agent {node.name} to {url}"))
        elif node.name == self._first.name:
            pulumi.log.info(f"Install K3s {self._cluster.k3s.version} on first server {node.name} with cluster-init")
        else:
            join_url = first_addresses.apply(lambda first: server_url(join_address(self._first, first, node)))
            join_url.apply(lambda url: pulumi.log.info(f"Join server {node.name} to {url}"))

        config_text = pulumi.Output.secret(
            pulumi.Output.all(self.token, node_addresses, self._server_public_ips, join_url).apply(
                lambda values: dump_config(render_node_config(
                    self._cluster, node, values[1],
                    token=values[0], server_public_ips=values[2], join_url=values[3]))))

        sudo = needs_sudo(host)
        command_text = pulumi.Output.from_input(agent_url).apply(
            lambda url: render_install_command(
                self._cluster, node, agent_server_url=url,
                registries_sha256=self._registries_sha256, sudo=sudo))

        install = remote.Command(
            f"install-{node.name}",
            connection=connection_args(host),
            create=command_text,
            update=command_text,
            delete=render_uninstall_command(sudo=sudo),
            stdin=config_text,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.prepared[node.name], *after]),
        )
        self.installed[node.name] = install
        return install

    def _register_node(self, node: NodeConfig) -> remote.Command:
        sudo = needs_sudo(self._first_host)
        wait_text = render_wait_command(node.name, sudo=sudo)
        # Draining the first server would evict pods to nowhere and delete the
        # node that runs the API server, so its register step has no delete.
        drain_text = None if node.name == self._first.name else render_drain_command(node.name, sudo=sudo)

        register = remote.Command(
            f"register-{node.name}",
            connection=connection_args(self._first_host),
            create=wait_text,
            update=wait_text,
            delete=drain_text,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=_unique_resources([self.installed[node.name], self.installed[self._first.name]])),
        )
        self.registered[node.name] = register
        return register


def _check_inputs(cluster: ClusterConfig, hosts: Mapping[str, Host]) -> None:
    if not cluster.servers:
        raise ValueError("the cluster needs at least one node with role server")
    missing = [node.name for node in cluster.nodes if node.name not in hosts]
    if missing:
        raise ValueError(f"no Host for node(s) {', '.join(missing)}")


def _addresses(host: Host) -> pulumi.Output[NodeAddresses]:
    return pulumi.Output.all(host.private_ip, host.public_ip).apply(
        lambda values: NodeAddresses(private_ip=values[0], public_ip=values[1]))


def _api_server_url(first_host: Host) -> pulumi.Output[str]:
    # NOTE: a first server without a public IP gets its private IP here, which
    # only works from inside its VPC.
    return pulumi.Output.all(first_host.public_ip, first_host.private_ip).apply(
        lambda values: server_url(values[0] or values[1]))


def _unique_resources(resources: Sequence[pulumi.Resource]) -> list[pulumi.Resource]:
    unique: list[pulumi.Resource] = []
    for resource in resources:
        if all(resource is not seen for seen in unique):
            unique.append(resource)
    return unique
