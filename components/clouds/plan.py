"""Group VM nodes by cloud and region, choose their networks and private IPs.

Pure: the result depends only on the config, so the K3s config and the Kilo
planner know every VM's private IP before the cloud creates anything.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from components.config.model import ClusterConfig, NodeConfig
from components.clouds.profiles import PROFILES
from components.errors import IssueCollector
from components.firewall.settings import check_admin_cidrs

# Derived addresses skip the first and last few of the subnet, where the clouds
# put the gateway and their own service addresses. A configured privateIp only
# has to avoid the network, gateway (.1) and broadcast addresses.
_FIRST_USABLE_OFFSET = 4
_RESERVED_AT_END = 4


@dataclass(frozen=True)
class VmGroup:
    """All VMs of one cloud and region: one VPC, subnet, security group and key pair."""

    cloud: str
    region: str
    nodes: tuple[NodeConfig, ...]
    vpc_cidr: ipaddress.IPv4Network
    subnet_cidr: ipaddress.IPv4Network
    # Existing network to use instead of creating one.
    vpc_id: str | None
    subnet_id: str | None
    # None: the cloud module looks up the first available zone.
    zone: str | None
    private_ips: dict[str, ipaddress.IPv4Interface]

    @property
    def key(self) -> str:
        """Resource name prefix, e.g. ``alicloud-cn-hangzhou``."""
        return f"{self.cloud}-{self.region}"

    @property
    def has_server(self) -> bool:
        return any(node.role == "server" for node in self.nodes)


def plan_vm_groups(cluster: ClusterConfig) -> tuple[VmGroup, ...]:
    """Group the VM nodes and assign networks and private IPs.

    Call ``check_vm_cluster`` first; this function assumes a valid config.
    """
    groups: dict[tuple[str, str], list[NodeConfig]] = {}
    for node in cluster.nodes:
        if node.vm is not None:
            groups.setdefault((node.cloud, node.vm.region), []).append(node)

    planned = []
    for (cloud, region), nodes in groups.items():
        subnet = _group_subnet(cloud, nodes)
        vpc = _group_vpc(cloud, nodes, subnet)
        planned.append(VmGroup(
            cloud=cloud, region=region, nodes=tuple(nodes), vpc_cidr=vpc, subnet_cidr=subnet,
            vpc_id=_first(node.vm.vpc_id for node in nodes),  # type: ignore[union-attr]
            subnet_id=_first(node.vm.subnet_id for node in nodes),  # type: ignore[union-attr]
            zone=_first(node.vm.zone for node in nodes),  # type: ignore[union-attr]
            private_ips=assign_private_ips(subnet, nodes),
        ))
    return tuple(planned)


def planned_private_ips(cluster: ClusterConfig) -> dict[str, ipaddress.IPv4Interface]:
    """Return the private IP with prefix of every VM node, by node name."""
    result: dict[str, ipaddress.IPv4Interface] = {}
    for group in plan_vm_groups(cluster):
        result.update(group.private_ips)
    return result


def assign_private_ips(subnet: ipaddress.IPv4Network,
                       nodes: Iterable[NodeConfig]) -> dict[str, ipaddress.IPv4Interface]:
    """Give each node its configured privateIp or a stable one derived from its name.

    The derived address starts at a hash of the node name, so adding or
    removing another node does not move it unless two names collide. A
    collision moves the later node in config order to the next free address.
    """
    nodes = list(nodes)
    used_addresses = {node.private_ip.ip for node in nodes if node.private_ip is not None}
    first = _FIRST_USABLE_OFFSET
    count = subnet.num_addresses - _FIRST_USABLE_OFFSET - _RESERVED_AT_END
    result: dict[str, ipaddress.IPv4Interface] = {}

    for node in nodes:
        if node.private_ip is not None:
            result[node.name] = ipaddress.IPv4Interface(f"{node.private_ip.ip}/{subnet.prefixlen}")
            continue
        digest = int.from_bytes(hashlib.sha256(node.name.encode()).digest()[:8], "big")
        for step in range(count):
            address = subnet.network_address + first + (digest + step) % count
            if address not in used_addresses:
                break
        used_addresses.add(address)
        result[node.name] = ipaddress.IPv4Interface(f"{address}/{subnet.prefixlen}")
    return result


def check_vm_cluster(cluster: ClusterConfig, collector: IssueCollector) -> None:
    """Check what no single vm block can: shared group settings, addresses, overlaps."""
    index = {node.name: position for position, node in enumerate(cluster.nodes)}
    check_admin_cidrs(collector, cluster.admin_cidrs, cluster.firewall)
    if not cluster.admin_cidrs and any(node.vm is not None for node in cluster.nodes):
        collector.add("adminCidrs", [],
                      "is required with VMs, because their security groups accept SSH and the "
                      "Kubernetes API only from these networks and Pulumi connects over SSH; "
                      "list the network you run pulumi up from, e.g. [198.51.100.0/24]",
                      "创建云主机时必须填写，安全组只允许这些网段访问 SSH 和 Kubernetes API，"
                      "而 Pulumi 通过 SSH 连接；请列出运行 pulumi up 的网段，例如 [198.51.100.0/24]")

    groups: dict[tuple[str, str], list[NodeConfig]] = {}
    for node in cluster.nodes:
        if node.vm is not None:
            groups.setdefault((node.cloud, node.vm.region), []).append(node)

    subnets: list[tuple[str, ipaddress.IPv4Network, set[str]]] = []
    for (cloud, region), nodes in groups.items():
        for setting in ("zone", "vpc_cidr", "subnet_cidr", "vpc_id", "subnet_id"):
            _check_shared_setting(collector, index, nodes, setting)
        subnet = _group_subnet(cloud, nodes)
        vpc = _group_vpc(cloud, nodes, subnet)
        _check_node_addresses(collector, index, nodes, subnet)
        _check_cluster_ranges(collector, cluster, nodes, index, vpc)
        subnets.append((f"{cloud}-{region}", subnet, {node.location for node in nodes}))
        if subnet.num_addresses - _FIRST_USABLE_OFFSET - _RESERVED_AT_END < len(nodes):
            collector.add(_path(index, nodes[0], "vm.subnetCidr"), str(subnet),
                          f"has too few addresses for {len(nodes)} VMs; use a larger subnet",
                          f"地址不足以容纳 {len(nodes)} 台云主机；请使用更大的子网")

    _check_subnet_overlaps(collector, cluster, index, groups, subnets)


def _group_subnet(cloud: str, nodes: list[NodeConfig]) -> ipaddress.IPv4Network:
    """Return the configured subnet, else the network of the first privateIp, else the default."""
    configured = _first(node.vm.subnet_cidr for node in nodes)  # type: ignore[union-attr]
    if configured is not None:
        return configured
    with_address = _first(node.private_ip for node in nodes)
    if with_address is not None:
        return with_address.network
    return PROFILES[cloud].subnet_cidr


def _group_vpc(cloud: str, nodes: list[NodeConfig],
               subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    """Return the configured VPC, else the default if it contains the subnet, else the subnet's /16."""
    configured = _first(node.vm.vpc_cidr for node in nodes)  # type: ignore[union-attr]
    if configured is not None:
        return configured
    default = PROFILES[cloud].vpc_cidr
    if subnet.subnet_of(default):
        return default
    return subnet.supernet(new_prefix=16) if subnet.prefixlen > 16 else subnet


def _first(values: Iterable):
    return next((value for value in values if value is not None), None)


def _path(index: dict[str, int], node: NodeConfig, field: str) -> str:
    return f"nodes[{index[node.name]}].{field}"


_SETTING_KEYS = {"zone": "zone", "vpc_cidr": "vpcCidr", "subnet_cidr": "subnetCidr",
                 "vpc_id": "vpcId", "subnet_id": "subnetId"}


def _check_shared_setting(collector: IssueCollector, index: dict[str, int],
                          nodes: list[NodeConfig], setting: str) -> None:
    """VMs of one cloud and region share one network and zone, so their values must agree."""
    first_node = None
    for node in nodes:
        value = getattr(node.vm, setting)
        if value is None:
            continue
        if first_node is None:
            first_node = node
            continue
        expected = getattr(first_node.vm, setting)
        if value != expected:
            key = _SETTING_KEYS[setting]
            collector.add(
                _path(index, node, f"vm.{key}"), str(value),
                f"differs from {expected} on {first_node.name}; VMs of one cloud and region share "
                f"one VPC, subnet and zone, so use the same value or another region",
                f"与 {first_node.name} 的 {expected} 不同；同一云和地域的云主机共用一个 VPC、子网和可用区，"
                f"请使用相同的值或换一个地域",
            )


def _check_node_addresses(collector: IssueCollector, index: dict[str, int],
                          nodes: list[NodeConfig], subnet: ipaddress.IPv4Network) -> None:
    seen: dict[ipaddress.IPv4Address, str] = {}
    for node in nodes:
        address = node.private_ip
        if address is None:
            continue
        path = _path(index, node, "privateIp")
        if address.ip not in subnet or address.network.prefixlen != subnet.prefixlen:
            collector.add(path, str(address),
                          f"is not an address of the VM subnet {subnet}; choose an address "
                          f"inside it with prefix /{subnet.prefixlen}, or set vm.subnetCidr",
                          f"不是云主机子网 {subnet} 中的地址；请在其中选择前缀为 /{subnet.prefixlen} "
                          f"的地址，或设置 vm.subnetCidr")
            continue
        offset = int(address.ip) - int(subnet.network_address)
        if offset < 2 or offset == subnet.num_addresses - 1:
            collector.add(path, str(address),
                          f"is the network, gateway or broadcast address of {subnet}; "
                          f"choose another address",
                          f"是 {subnet} 的网络地址、网关或广播地址；请换一个地址")
        if address.ip in seen:
            collector.add(path, str(address), f"is already the private IP of {seen[address.ip]}",
                          f"已是 {seen[address.ip]} 的私网 IP")
        seen[address.ip] = node.name


def _check_cluster_ranges(collector: IssueCollector, cluster: ClusterConfig,
                          nodes: list[NodeConfig], index: dict[str, int],
                          vpc: ipaddress.IPv4Network) -> None:
    """Pod, service and Kilo ranges are routed by K3s and Kilo, so no VPC may contain them."""
    ranges = (("k3s.clusterCidr", cluster.k3s.cluster_cidr),
              ("k3s.serviceCidr", cluster.k3s.service_cidr),
              ("kilo.subnet", cluster.kilo.subnet))
    for name, network in ranges:
        if vpc.overlaps(network):
            collector.add(
                _path(index, nodes[0], "vm.vpcCidr"), str(vpc),
                f"overlaps {name} {network}; choose a VPC range outside the pod, service and "
                f"Kilo ranges",
                f"与 {name} {network} 重叠；请选择不与 Pod、Service 和 Kilo 网段重叠的 VPC 网段",
            )


def _check_subnet_overlaps(collector: IssueCollector, cluster: ClusterConfig,
                           index: dict[str, int], groups: dict[tuple[str, str], list[NodeConfig]],
                           subnets: list[tuple[str, ipaddress.IPv4Network, set[str]]]) -> None:
    """Kilo routes each location's private range, so ranges of different locations must differ."""
    for position, (group_key, subnet, locations) in enumerate(subnets):
        first_node = list(groups.values())[position][0]
        path = _path(index, first_node, "vm.subnetCidr")
        for other_key, other_subnet, other_locations in subnets[:position]:
            if subnet.overlaps(other_subnet):
                collector.add(path, str(subnet),
                              f"overlaps the subnet {other_subnet} of {other_key}; give each cloud "
                              f"and region its own range with vm.subnetCidr and vm.vpcCidr",
                              f"与 {other_key} 的子网 {other_subnet} 重叠；请用 vm.subnetCidr 和 "
                              f"vm.vpcCidr 为每个云和地域设置不同网段")
        for node in cluster.nodes:
            if node.vm is not None or node.private_ip is None or node.location in locations:
                continue
            if subnet.overlaps(node.private_ip.network):
                collector.add(path, str(subnet),
                              f"overlaps the private network {node.private_ip.network} of {node.name} "
                              f"in location {node.location}; choose another range with vm.subnetCidr",
                              f"与位置 {node.location} 中 {node.name} 的私网 {node.private_ip.network} "
                              f"重叠；请用 vm.subnetCidr 选择其他网段")
