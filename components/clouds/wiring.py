"""Create the VMs of every cloud and region and turn them into Hosts."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pulumi

from components.clouds.common import RegionContext, RegionResources
from components.clouds.credentials import provider_credentials
from components.clouds.keys import check_ssh_key_types
from components.clouds.plan import VmGroup, check_vm_cluster, plan_vm_groups
from components.clouds.profiles import PROFILES
from components.config.model import ClusterConfig
from components.errors import IssueCollector
from components.firewall import NodeAddress, resolve_rules, rules_for_cloud, translate
from components.hosts import Host

# Bits of the RSA key generated when the config has no SSH key; RSA is the one
# type that all three clouds import.
GENERATED_KEY_BITS = 4096


@dataclass
class CloudHosts:
    """The VMs as Hosts, plus what callers need to order their own steps."""

    hosts: dict[str, Host]
    # Secret OpenSSH private key generated for the VMs, or None when the
    # config supplies one.
    generated_private_key: pulumi.Output[str] | None = None
    # Security group rules whose source is a node's public IP, by node name.
    # A node must not join before the rules that let it in exist.
    rules_by_node: dict[str, tuple[pulumi.Resource, ...]] = field(default_factory=dict)
    groups: tuple[VmGroup, ...] = ()

    def with_firewall_dependencies(self, hosts: Mapping[str, Host]) -> dict[str, Host]:
        """Return ``hosts`` with each one also waiting for the rules that name it.

        The VM hosts already wait for theirs; call this for existing hosts.
        """
        result = {}
        for name, host in hosts.items():
            extra = tuple(rule for rule in self.rules_by_node.get(name, ())
                          if rule not in host.depends_on)
            result[name] = dataclasses.replace(host, depends_on=host.depends_on + extra)
        return result


class VmHosts(pulumi.ComponentResource):
    """Parent of every cloud resource of the stack."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k3smc:clouds:VmHosts", name, None, opts)


class CloudRegion(pulumi.ComponentResource):
    """Everything created in one cloud and region."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k3smc:clouds:Region", name, None, opts)


def create_vm_hosts(cluster: ClusterConfig, ssh_public_key: pulumi.Input[str] | None,
                    ssh_private_key: pulumi.Input[str] | None,
                    opts: pulumi.ResourceOptions | None = None) -> CloudHosts:
    """Create VPCs, security groups, key pairs and VMs for every node with a vm block."""
    collector = IssueCollector()
    check_vm_cluster(cluster, collector)
    _check_keys(cluster, ssh_public_key, ssh_private_key, collector)
    collector.raise_if_any(locale=cluster.locale)

    groups = plan_vm_groups(cluster)
    if not groups:
        return CloudHosts(hosts={})

    parent = VmHosts("vm-hosts", opts)
    vm_nodes = tuple((node.name, node.cloud) for node in cluster.nodes if node.vm is not None)
    public_key, private_key, generated = _ssh_key(ssh_public_key, ssh_private_key, parent,
                                                  vm_nodes, cluster.locale)

    regions: list[tuple[VmGroup, CloudRegion, RegionResources]] = []
    for group in groups:
        pulumi.log.info(f"Create {len(group.nodes)} VM(s) in {group.cloud} {group.region}: "
                        f"{', '.join(node.name for node in group.nodes)}")
        module = importlib.import_module(f"components.clouds.{group.cloud}")
        region = CloudRegion(group.key, pulumi.ResourceOptions(parent=parent))
        context = RegionContext(group=group, parent=region,
                                credentials=provider_credentials(group.cloud),
                                public_key=public_key,
                                cloud_name_prefix=f"{cluster.project}-{cluster.stack}")
        regions.append((group, region, module.build_region(context)))

    source_cidrs = _node_source_cidrs(cluster, regions)
    private_ips = _node_private_ips(cluster, groups)
    rules_by_node: dict[str, list[pulumi.Resource]] = {}
    static_rules: dict[str, list[pulumi.Resource]] = {}
    for group, region, resources in regions:
        static_rules[group.key] = _create_rules(cluster, group, region, resources,
                                                source_cidrs, private_ips, rules_by_node)

    hosts: dict[str, Host] = {}
    for group, region, resources in regions:
        for node in group.nodes:
            hosts[node.name] = _vm_host(node, group, resources, private_key,
                                        static_rules[group.key], rules_by_node.get(node.name, []))
        region.register_outputs({"securityGroupId": resources.security_group_id})
    parent.register_outputs({})

    return CloudHosts(hosts=hosts, generated_private_key=generated,
                      rules_by_node={name: tuple(rules) for name, rules in rules_by_node.items()},
                      groups=groups)


def _check_keys(cluster: ClusterConfig, public_key: pulumi.Input[str] | None,
                private_key: pulumi.Input[str] | None, collector: IssueCollector) -> None:
    """Check that the clouds can import the SSH key type and that a public key has its private key.

    A configured public key needs its private key, because Pulumi logs in with it.
    """
    if not any(node.vm is not None for node in cluster.nodes):
        return
    check_ssh_key_types(((node.name, node.cloud) for node in cluster.nodes if node.vm is not None),
                        _plain_private_key(cluster, private_key),
                        public_key if isinstance(public_key, str) else None, collector)
    if public_key is not None and private_key is None:
        collector.add("sshPrivateKey", "<secret>",
                      "is required when sshPublicKey is set, because Pulumi logs in to the VMs "
                      "with it; set it with pulumi config set --secret sshPrivateKey < KEY",
                      "设置了 sshPublicKey 时必须填写，Pulumi 要用它登录云主机；"
                      "请用 pulumi config set --secret sshPrivateKey < KEY 设置")


def _plain_private_key(cluster: ClusterConfig, private_key: pulumi.Input[str] | None) -> str | None:
    """Return the private key text for the type check, or None when it is not at hand.

    The program passes sshPrivateKey as a secret Output, which cannot be read
    before resources are registered, so its plain text comes from the stack
    config that the language host has already decrypted.
    """
    if private_key is None or isinstance(private_key, str):
        return private_key
    from components.config.load import raw_stack_config

    text = raw_stack_config(cluster.project).get("sshPrivateKey")
    return text if isinstance(text, str) else None


def _ssh_key(public_key: pulumi.Input[str] | None, private_key: pulumi.Input[str] | None,
             parent: pulumi.Resource, vm_nodes: tuple[tuple[str, str], ...], locale: str | None):
    """Return (public key, secret private key, generated secret key or None).

    Without sshPublicKey the public half is derived from sshPrivateKey, and
    without either a new RSA key is generated.
    """
    if public_key is not None and private_key is not None:
        return (pulumi.Output.from_input(public_key).apply(str.strip),
                pulumi.Output.secret(private_key), None)

    import pulumi_tls as tls  # only when a key has to be derived or generated

    if private_key is not None:
        secret_key = pulumi.Output.secret(private_key)
        derived = secret_key.apply(lambda text: _public_key_of(tls, text))

        def require_importable(public_key: str) -> str:
            # create_vm_hosts checks the configured key before registering
            # anything. This repeats the check on the derived key, in case the
            # private key text was not at hand then.
            collector = IssueCollector()
            check_ssh_key_types(vm_nodes, None, public_key, collector,
                                public_key_path="sshPrivateKey")
            collector.raise_if_any(locale=locale)
            return public_key.strip()

        # A public key is not sensitive; keeping it plain keeps key pair diffs readable.
        return pulumi.Output.unsecret(derived).apply(require_importable), secret_key, None

    key = tls.PrivateKey("vm-ssh-key", algorithm="RSA", rsa_bits=GENERATED_KEY_BITS,
                         opts=pulumi.ResourceOptions(parent=parent))
    generated = pulumi.Output.secret(key.private_key_openssh)
    return key.public_key_openssh.apply(str.strip), generated, generated


def _public_key_of(tls, private_key: str) -> str:
    """Derive the OpenSSH public key locally with the tls provider (no cloud call)."""
    if "BEGIN OPENSSH PRIVATE KEY" in private_key:
        return tls.get_public_key(private_key_openssh=private_key).public_key_openssh
    return tls.get_public_key(private_key_pem=private_key).public_key_openssh


def _node_source_cidrs(cluster: ClusterConfig, regions) -> dict[str, pulumi.Output[str]]:
    """Return the /32 of every node with a public IP, one Output per node shared by all rules."""
    public_ips: dict[str, pulumi.Input[str]] = {}
    for node in cluster.nodes:
        if node.public_ip is not None:
            public_ips[node.name] = str(node.public_ip)
    for _group, _region, resources in regions:
        public_ips.update(resources.public_ips)
    return {name: pulumi.Output.from_input(address).apply(lambda ip: f"{ip}/32")
            for name, address in public_ips.items()}


def _node_private_ips(cluster: ClusterConfig, groups: Iterable[VmGroup]) -> dict[str, str]:
    """Return every node's private IPv4 address without prefix: VMs as planned, existing hosts as configured."""
    addresses = {node.name: str(node.private_ip.ip) for node in cluster.nodes if node.private_ip is not None}
    for group in groups:
        addresses.update({name: str(interface.ip) for name, interface in group.private_ips.items()})
    return addresses


def _create_rules(cluster: ClusterConfig, group: VmGroup, region: CloudRegion,
                  resources: RegionResources, source_cidrs: dict[str, pulumi.Output[str]],
                  private_ips: dict[str, str],
                  rules_by_node: dict[str, list[pulumi.Resource]]) -> list[pulumi.Resource]:
    """Create the rule resources of one security group; return those naming no node.

    Alibaba Cloud gets one resource per (table rule, source); Tencent Cloud and
    Huawei Cloud get one per source for the single-port rules (``rules_for_cloud``).

    Rules are separate resources, created after every VM, so a rule that names
    another node's public IP waits for that VM without a cycle.
    """
    module = importlib.import_module(f"components.clouds.{group.cloud}")
    opts = pulumi.ResourceOptions(parent=region, provider=resources.provider)
    nodes = [NodeAddress(name=node.name, is_server=node.role == "server",
                         has_public_ip=node.name in source_cidrs,
                         private_ip=private_ips.get(node.name))
             for node in cluster.nodes]
    resolved = rules_for_cloud(group.cloud, resolve_rules(
        vpc_cidr=group.vpc_cidr, has_server=group.has_server, nodes=nodes,
        admin_cidrs=cluster.admin_cidrs, settings=cluster.firewall,
        wireguard_port=cluster.kilo.port))

    static: list[pulumi.Resource] = []
    for rule in resolved:
        cidr = source_cidrs[rule.node] if rule.node is not None else rule.cidr
        resource = module.create_rule(f"{group.key}-{rule.name}", translate(group.cloud, rule),
                                      cidr, resources.security_group_id, opts)
        if rule.node is None:
            static.append(resource)
        else:
            rules_by_node.setdefault(rule.node, []).append(resource)
    return static


def _vm_host(node, group: VmGroup, resources: RegionResources, private_key: pulumi.Output[str],
             static_rules: list[pulumi.Resource], node_rules: list[pulumi.Resource]) -> Host:
    address = group.private_ips[node.name]
    public_ip = resources.public_ips[node.name]
    # The model's default user is root; anything else was set on purpose.
    user = node.ssh.user if node.ssh.user != "root" else PROFILES[group.cloud].login_user
    return Host(
        node=node,
        public_ip=public_ip,
        private_ip=pulumi.Output.from_input(str(address.ip)),
        private_prefix=pulumi.Output.from_input(address.network.prefixlen),
        ssh_host=pulumi.Output.from_input(node.ssh.host) if node.ssh.host else public_ip,
        ssh_user=user,
        ssh_port=node.ssh.port,
        ssh_private_key=private_key,
        depends_on=(resources.instances[node.name], *static_rules, *node_rules),
    )
