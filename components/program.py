"""The Pulumi program: stack config to hosts, K3s, kubeconfig and Kilo.

Steps, each feeding the next:
  1. read and validate the stack config (nothing is registered on error);
  2. create cloud VMs, if any node has a vm block, and describe existing hosts;
  3. prepare every host and install K3s (components.k3s);
  4. read the kubeconfig from the first server and point it at its public IP;
  5. install Kilo and annotate every node through a Kubernetes provider;
  6. export kubeconfig, apiServerUrl, nodes and the planned Kilo mesh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_command import remote

from components.config.load import StackSecrets, read_stack_config
from components.config.model import ClusterConfig
from components.config.validation import MESH_TITLE, plan_and_check_mesh
from components.errors import ConfigErrors, IssueCollector
from components.existing import existing_hosts
from components.gc_tuning import tune_garbage_collector
from components.hosts import Host
from components.k3s import K3sCluster
from components.kilo import Kilo
from components.kubeconfig import read_kubeconfig, server_kubeconfig
from components.topology import MeshPlan, plan_outputs


@dataclass(frozen=True)
class Program:
    """Resources and outputs that ``build`` created, for ``export`` and for tests."""

    cluster: ClusterConfig
    hosts: dict[str, Host]
    k3s: K3sCluster
    kubeconfig_read: remote.Command
    # Secret kubeconfig pointing at the first server's public IP.
    kubeconfig: pulumi.Output[str]
    api_server_url: pulumi.Output[str]
    provider: k8s.Provider
    kilo: Kilo
    nodes: pulumi.Output[list[dict[str, Any]]]
    # Plain-text views of the planned Kilo mesh (meshGraph, meshConf, meshPlan).
    mesh: dict[str, str]
    # Secret private key that the cloud module generated for VMs, or None.
    generated_private_key: pulumi.Output[str] | None = None


def main() -> None:
    """Build the program and export its outputs; config errors end the run cleanly.

    The Python language host prints a pulumi.RunError as its message alone,
    without a traceback, so the user sees just the list of config problems.
    """
    tune_garbage_collector()
    try:
        program = build()
    except ConfigErrors as errors:
        raise pulumi.RunError(errors.render()) from None
    export(program)


def build() -> Program:
    """Register every resource of the stack and return them."""
    cluster, secrets = read_stack_config()
    mesh_plan = check_mesh(cluster)
    locations = sorted({node.location for node in cluster.nodes})
    pulumi.log.info(
        f"Deploy K3s {cluster.k3s.version} on {len(cluster.nodes)} nodes "
        f"({len(cluster.servers)} server, {len(cluster.agents)} agent) in {len(locations)} locations: "
        f"{', '.join(locations)}")

    hosts, generated_key = _create_hosts(cluster, secrets)

    k3s = K3sCluster("k3s", cluster, hosts, token=secrets.k3s_token)

    name = kubeconfig_name(cluster)
    first_server = hosts[cluster.first_server.name]
    kubeconfig_read = read_kubeconfig("read-kubeconfig", first_server, k3s.first_server_installed)
    kubeconfig = server_kubeconfig(kubeconfig_read.stdout, k3s.api_server_url, name)

    provider = create_provider(kubeconfig, name)
    pulumi.log.info(f"Install Kilo {cluster.kilo.version} and annotate {len(cluster.nodes)} nodes")
    kilo = Kilo("kilo", cluster, hosts, k3s.registered, provider)

    return Program(
        cluster=cluster,
        hosts=hosts,
        k3s=k3s,
        kubeconfig_read=kubeconfig_read,
        kubeconfig=kubeconfig,
        api_server_url=k3s.api_server_url,
        provider=provider,
        kilo=kilo,
        nodes=node_outputs(cluster, hosts),
        mesh=plan_outputs(cluster, mesh_plan),
        generated_private_key=generated_key,
    )


def export(program: Program) -> None:
    pulumi.export("kubeconfig", program.kubeconfig)
    pulumi.export("apiServerUrl", program.api_server_url)
    pulumi.export("nodes", program.nodes)
    for name, text in program.mesh.items():
        pulumi.export(name, text)
    if program.generated_private_key is not None:
        pulumi.export("generatedSshPrivateKey", pulumi.Output.secret(program.generated_private_key))


def check_mesh(cluster: ClusterConfig) -> MeshPlan:
    """Plan the Kilo mesh; raise ConfigErrors when it cannot work.

    Runs before any resource is registered, like the config checks: a location
    without a reachable leader, or leaders that cannot reach each other, would
    deploy a cluster whose locations never connect. ``read_stack_config`` has
    already run these checks with the others, through the same function.
    """
    collector = IssueCollector()
    plan = plan_and_check_mesh(cluster, collector)
    collector.raise_if_any(*MESH_TITLE, locale=cluster.locale)
    return plan


def kubeconfig_name(cluster: ClusterConfig) -> str:
    """Name of the kubeconfig's cluster, context and user, e.g. k3s-multicloud-dev."""
    return f"{cluster.project}-{cluster.stack}"


def create_provider(kubeconfig: pulumi.Output[str], name: str) -> k8s.Provider:
    """Create the Kubernetes provider for the new cluster.

    Every argument is set, because the SDK falls back to environment variables
    (KUBECONFIG, PULUMI_K8S_*) for unset ones, and a developer's environment
    must not change what the program deploys. NodePatch needs server-side apply.
    """
    return k8s.Provider(
        "k8s",
        kubeconfig=pulumi.Output.secret(kubeconfig),
        cluster=name,
        context=name,
        namespace="default",
        cluster_identifier=None,
        enable_server_side_apply=True,
        enable_config_map_mutable=False,
        enable_secret_mutable=False,
        delete_unreachable=False,
        skip_update_unreachable=False,
        suppress_deprecation_warnings=False,
        suppress_helm_hook_warnings=False,
        render_yaml_to_directory=None,
        helm_release_settings=None,
        kube_client_settings=None,
    )


def node_outputs(cluster: ClusterConfig, hosts: dict[str, Host]) -> pulumi.Output[list[dict[str, Any]]]:
    """Describe every node for the ``nodes`` output, in config order."""
    entries = []
    for node in cluster.nodes:
        host = hosts[node.name]
        entries.append(pulumi.Output.all(host.public_ip, host.private_ip, host.private_prefix).apply(
            lambda values, node=node: {
                "name": node.name,
                "cloud": node.cloud,
                "location": node.location,
                "role": node.role,
                "publicIp": values[0],
                "privateIp": f"{values[1]}/{values[2]}",
            }))
    return pulumi.Output.all(*entries).apply(list)


def _create_hosts(cluster: ClusterConfig, secrets: StackSecrets) -> tuple[dict[str, Host], pulumi.Output[str] | None]:
    """Create the VMs (if any) and describe the existing hosts, in node order."""
    cloud_hosts: dict[str, Host] = {}
    generated_key = None
    created = None
    if any(node.is_vm for node in cluster.nodes):
        # Imported here so a stack of existing hosts never loads the cloud SDKs.
        from components.clouds import create_vm_hosts

        vm_names = [node.name for node in cluster.nodes if node.is_vm]
        pulumi.log.info(f"Create VMs {', '.join(vm_names)}")
        created = create_vm_hosts(cluster, secrets.ssh_public_key, secrets.ssh_private_key)
        cloud_hosts = dict(created.hosts)
        generated_key = created.generated_private_key

    existing: dict[str, Host] = {}
    if any(not node.is_vm for node in cluster.nodes):
        # The loader rejects existing hosts without sshPrivateKey.
        assert secrets.ssh_private_key is not None
        existing = existing_hosts(cluster, secrets.ssh_private_key, cloud_hosts)
        if created is not None:
            # An existing host joins only after the VM security group rules that let it in.
            existing = created.with_firewall_dependencies(existing)

    hosts = {**cloud_hosts, **existing}
    return {node.name: hosts[node.name] for node in cluster.nodes}, generated_key
