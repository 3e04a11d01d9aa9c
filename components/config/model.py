"""Typed stack configuration: the values every other module reads.

The parser in ``components.config.load`` builds these objects from the stack
config after validation, so every field here is already checked and has its
default applied. Nothing in this module talks to Pulumi.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["server", "agent"]

# Clouds where the program creates the VM itself. Any other ``cloud`` label
# (ctyun, baidu, onprem, ...) names an existing host reached over SSH.
VM_CLOUDS = ("alicloud", "tencentcloud", "huaweicloud")


@dataclass(frozen=True)
class SshSettings:
    """How to reach a host over SSH. The private key lives in ClusterConfig."""

    user: str = "root"
    port: int = 22
    # Address to dial instead of the public IP (a forwarded port, a VPN address).
    host: str | None = None
    # Name of another node to jump through, for hosts without a public IP
    # (bd2 behind bd1 in one VPC). The loader defaults it to the first node in
    # the same location that has a public IP.
    jump_host: str | None = None


@dataclass(frozen=True)
class VmSettings:
    """Settings for a VM the program creates; only set for nodes on VM_CLOUDS.

    ``extra`` keeps the cloud-specific keys (instance type, zone, image, disk,
    bandwidth, existing VPC or subnet IDs) that the cloud module validates.
    """

    region: str
    extra: dict = field(default_factory=dict)
    # Typed settings that ``components.clouds.validate_vm`` fills, with the
    # cloud's defaults already applied. None means "look it up" (zone, image)
    # or "create it" (VPC and subnet IDs).
    zone: str | None = None
    instance_type: str | None = None
    # Ubuntu release, "22.04" or "24.04"; image_id overrides the lookup.
    ubuntu_version: str = "22.04"
    image_id: str | None = None
    system_disk_type: str | None = None
    # GiB.
    system_disk_size: int | None = None
    # Outgoing public bandwidth in Mbit/s; it also gives the VM its public IP.
    bandwidth: int | None = None
    vpc_cidr: ipaddress.IPv4Network | None = None
    subnet_cidr: ipaddress.IPv4Network | None = None
    vpc_id: str | None = None
    subnet_id: str | None = None


@dataclass(frozen=True)
class NodeConfig:
    """One cluster node as the stack config describes it."""

    name: str
    role: Role
    location: str
    cloud: str = "existing"
    # Existing hosts: the address the program dials and Kilo's force-endpoint.
    # VMs: None here, because the cloud assigns it at creation time.
    public_ip: ipaddress.IPv4Address | None = None
    # The host's VPC address with its prefix, e.g. 192.168.64.4/20.
    # VMs: None here; the cloud module fills the Host with the assigned one.
    private_ip: ipaddress.IPv4Interface | None = None
    persistent_keepalive: int | None = None
    kilo_leader: bool = False
    ssh: SshSettings = field(default_factory=SshSettings)
    vm: VmSettings | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[str, ...] = ()

    @property
    def is_vm(self) -> bool:
        return self.vm is not None


@dataclass(frozen=True)
class RegistryMirror:
    """One entry of K3s registries.yaml ``mirrors``: registry host -> endpoints."""

    registry: str
    endpoints: tuple[str, ...]


@dataclass(frozen=True)
class K3sSettings:
    version: str
    install_script_url: str
    install_script_sha256: str | None
    # Value of INSTALL_K3S_MIRROR ("cn" for the China mirror), or None.
    install_mirror: str | None
    cluster_cidr: ipaddress.IPv4Network
    service_cidr: ipaddress.IPv4Network
    extra_tls_sans: tuple[str, ...] = ()
    extra_server_args: tuple[str, ...] = ()
    extra_agent_args: tuple[str, ...] = ()
    registry_mirrors: tuple[RegistryMirror, ...] = ()


@dataclass(frozen=True)
class KiloSettings:
    version: str
    # Image reference without tag, e.g. docker.io/squat/kilo or a mirror.
    image_repository: str
    subnet: ipaddress.IPv4Network
    port: int = 51820
    granularity: Literal["location", "full"] = "location"
    # Skip Pulumi's rollout wait on the Kilo DaemonSet. Only for API servers
    # without nodes or controllers, such as the integration test's stand-in.
    skip_await: bool = False


@dataclass(frozen=True)
class FirewallSettings:
    """Switches that widen the cloud security groups beyond the defaults."""

    # Rule keys from ``components.firewall.RULES`` ("ssh", "kube-api",
    # "kubelet", "etcd") that are also opened to 0.0.0.0/0. Without an entry
    # here a restricted port never accepts traffic from the whole Internet.
    open_to_world: tuple[str, ...] = ()
    # Accept WireGuard handshakes from any address (default) or only from the
    # public IPs of cluster nodes.
    wireguard_from_world: bool = True


@dataclass(frozen=True)
class ClusterConfig:
    """The whole validated stack config."""

    project: str
    stack: str
    nodes: tuple[NodeConfig, ...]
    k3s: K3sSettings
    kilo: KiloSettings
    # Operator networks allowed to reach SSH and the Kubernetes API on VMs.
    admin_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    locale: str = "en"
    firewall: FirewallSettings = field(default_factory=FirewallSettings)

    @property
    def servers(self) -> tuple[NodeConfig, ...]:
        return tuple(n for n in self.nodes if n.role == "server")

    @property
    def agents(self) -> tuple[NodeConfig, ...]:
        return tuple(n for n in self.nodes if n.role == "agent")

    @property
    def first_server(self) -> NodeConfig:
        return self.servers[0]
