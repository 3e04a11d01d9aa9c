"""Checks on a predicted mesh, reported like config errors (field path, value, fix).

Each check covers a way a Kilo mesh breaks at run time although kg starts.
The checks find a location with two leaders, two leaders that cannot open a
WireGuard session, an address claimed by two peers, a Kilo subnet too small
for the segments, and nodes that Kilo leaves out of the mesh.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from components.errors import IssueCollector
from components.topology.model import IPv4Network, MeshPlan, PlannedNode

# Keepalive suggested in messages; Kilo's docs use 25 s for nodes behind NAT.
SUGGESTED_KEEPALIVE = 25


def check_plan(plan: MeshPlan, collector: IssueCollector, service_cidr: IPv4Network | None = None) -> None:
    """Add an issue to ``collector`` for every problem of the plan.

    ``service_cidr`` (the K3s service CIDR), when given, is checked against
    every AllowedIP as well.
    """
    _check_ready(plan, collector)
    _check_one_leader_per_location(plan, collector)
    _check_leaders_reachable(plan, collector)
    _check_allowed_ips_unique(plan, collector, service_cidr)
    _check_subnet_size(plan, collector)


def _node_path(node: PlannedNode, field: str) -> str:
    return f"nodes[{node.index}].{field}"


def _check_ready(plan: MeshPlan, collector: IssueCollector) -> None:
    for node in plan.nodes:
        if node.pod_cidr is None:
            collector.add(
                "k3s.clusterCidr", str(plan.cluster_cidr),
                f"no /24 pod CIDR left for node {node.name}: the cluster CIDR holds fewer /24s than "
                f"the {len(plan.nodes)} nodes, so K3s cannot give it a pod CIDR and Kilo leaves it out "
                "of the mesh. Use a larger clusterCidr, e.g. 10.42.0.0/16.",
                f"节点 {node.name} 分不到 /24 的 Pod CIDR：集群 CIDR 中的 /24 个数少于 {len(plan.nodes)} 个节点，"
                "K3s 无法为它分配 Pod CIDR，Kilo 会把它排除在网格之外。请使用更大的 clusterCidr，例如 10.42.0.0/16。",
            )
        if node.endpoint is None:
            collector.add(
                _node_path(node, "privateIp"), None,
                f"node {node.name} has neither publicIp nor privateIp, so Kilo has no WireGuard endpoint "
                "for it and leaves it out of the mesh. Set privateIp (and publicIp if it has one).",
                f"节点 {node.name} 既没有 publicIp 也没有 privateIp，Kilo 找不到它的 WireGuard 端点，"
                "会把它排除在网格之外。请设置 privateIp（有公网 IP 时再设置 publicIp）。",
            )
        elif node.private_ip is None and node.endpoint.address is None:
            collector.add(
                _node_path(node, "privateIp"), None,
                f"the private IP of VM {node.name} is not known before deployment, so the plan cannot "
                f"place it in location {node.location}; the plan shows it in a segment of its own. "
                "Set privateIp to the address the VM gets in its subnet.",
                f"虚拟机 {node.name} 的内网 IP 在部署前未知，规划无法把它放进位置 {node.location}，"
                "只能让它单独成段。请把 privateIp 设为该虚拟机在子网中的地址。",
            )


def _check_one_leader_per_location(plan: MeshPlan, collector: IssueCollector) -> None:
    if plan.granularity == "full":
        # Every node is its own segment and leader; locations do not group nodes.
        return
    by_location: dict[str, list] = {}
    for segment in plan.segments:
        for location in {member.location for member in segment.members}:
            by_location.setdefault(location, []).append(segment)
    for location, segments in by_location.items():
        if len(segments) > 1:
            leaders = ", ".join(segment.leader.name for segment in segments)
            for segment in segments:
                node = segment.leader
                if node.private_ip is None:
                    collector.add(
                        _node_path(node, "privateIp"), None,
                        f"location {location} gets {len(segments)} leaders ({leaders}): node {node.name} "
                        "has no private IP, so Kilo puts it in a segment of its own. Set privateIp, "
                        "or give the node a location of its own.",
                        f"位置 {location} 会有 {len(segments)} 个 leader（{leaders}）：节点 {node.name} "
                        "没有内网 IP，Kilo 会让它单独成段。请设置 privateIp，或给该节点单独的 location。",
                    )

    for segment in plan.segments:
        annotated = [member for member in segment.members if member.leader_annotation]
        for extra in annotated[1:]:
            collector.add(
                _node_path(extra, "kiloLeader"), True,
                f"more than one node of {segment.key} sets kiloLeader "
                f"({', '.join(member.name for member in annotated)}); Kilo makes {segment.leader.name} "
                "the leader and ignores the others. Set kiloLeader on one node only.",
                f"{segment.key} 中有多个节点设置了 kiloLeader（{', '.join(m.name for m in annotated)}）；"
                f"Kilo 选 {segment.leader.name} 为 leader，忽略其余节点。请只在一个节点上设置 kiloLeader。",
            )


def _check_leaders_reachable(plan: MeshPlan, collector: IssueCollector) -> None:
    """Require for every pair of leaders: one side public, and the other side
    public or with persistent-keepalive so it dials out through its NAT."""
    leaders = plan.leaders
    if len(leaders) < 2:
        return
    for leader in leaders:
        assert leader.endpoint is not None
        if leader.endpoint.public or leader.persistent_keepalive > 0:
            continue
        collector.add(
            _node_path(leader, "persistentKeepalive"), None,
            f"leader {leader.name} has no public endpoint ({leader.endpoint} is a private address) and no "
            "persistentKeepalive, so no other leader can open a WireGuard session with it. "
            f"Set persistentKeepalive (e.g. {SUGGESTED_KEEPALIVE}) or publicIp.",
            f"leader {leader.name} 没有公网端点（{leader.endpoint} 是内网地址），也没有 persistentKeepalive，"
            f"其他 leader 无法与它建立 WireGuard 会话。请设置 persistentKeepalive（例如 {SUGGESTED_KEEPALIVE}）或 publicIp。",
        )
    for first, second in itertools.combinations(leaders, 2):
        assert first.endpoint is not None and second.endpoint is not None
        if first.endpoint.public or second.endpoint.public:
            continue
        collector.add(
            _node_path(second, "publicIp"), None,
            f"leaders {first.name} ({first.endpoint}) and {second.name} ({second.endpoint}) both lack a "
            "public endpoint; WireGuard cannot connect two leaders behind NAT and Kilo does not relay. "
            f"Give {first.name} or {second.name} a publicIp (with UDP {plan.port} open), or move one of "
            "them into a location whose leader is public.",
            f"leader {first.name}（{first.endpoint}）和 {second.name}（{second.endpoint}）都没有公网端点；"
            "WireGuard 无法连接两个都在 NAT 之后的 leader，Kilo 也不做中转。"
            f"请给 {first.name} 或 {second.name} 设置 publicIp（并放行 UDP {plan.port}），"
            "或把其中一个移到 leader 有公网地址的位置。",
        )


@dataclass(frozen=True)
class _Claim:
    network: IPv4Network
    owner: str
    path: str


def _claims(plan: MeshPlan) -> list[_Claim]:
    claims = []
    for segment in plan.segments:
        for member in segment.members:
            assert member.pod_cidr is not None
            claims.append(_Claim(member.pod_cidr, f"pod CIDR of {member.name}", "k3s.clusterCidr"))
            if member.private_ip is not None:
                claims.append(_Claim(IPv4Network(f"{member.private_ip.ip}/32"),
                                     f"private IP of {member.name}", _node_path(member, "privateIp")))
        if segment.wireguard_ip is not None:
            claims.append(_Claim(IPv4Network(f"{segment.wireguard_ip}/32"),
                                 f"WireGuard IP of {segment.leader.name}", "kilo.subnet"))
    for peer in plan.peers:
        for network in peer.peer.allowed_ips:
            claims.append(_Claim(network, f"Peer {peer.name}", f"peers.{peer.name}.allowedIPs"))
    return claims


def _check_allowed_ips_unique(plan: MeshPlan, collector: IssueCollector,
                              service_cidr: IPv4Network | None) -> None:
    claims = _claims(plan)
    for first_index, second_index in _overlapping_pairs([claim.network for claim in claims]):
        first, second = claims[first_index], claims[second_index]
        collector.add(
            second.path, str(second.network),
            f"{second.network} ({second.owner}) overlaps {first.network} ({first.owner}); WireGuard routes "
            "one address to one peer only, so one of them becomes unreachable. Use addresses that do not "
            "overlap (distinct VPC ranges per location, a Kilo subnet and cluster CIDR apart from every VPC).",
            f"{second.network}（{second.owner}）与 {first.network}（{first.owner}）重叠；WireGuard 每个地址只能"
            "路由到一个对端，其中一个将无法访问。请使用互不重叠的地址（各位置的 VPC 网段不同，Kilo 子网和集群 CIDR "
            "不与任何 VPC 重叠）。",
        )
    if service_cidr is None:
        return
    for claim in claims:
        if claim.network.overlaps(service_cidr):
            collector.add(
                claim.path, str(claim.network),
                f"{claim.network} ({claim.owner}) overlaps the service CIDR {service_cidr}; Service "
                "traffic and this address would collide. Move one of them.",
                f"{claim.network}（{claim.owner}）与 Service CIDR {service_cidr} 重叠，Service 流量会与该地址冲突。"
                "请调整其中之一。",
            )


def _overlapping_pairs(networks: list[IPv4Network]) -> list[tuple[int, int]]:
    """Return the index pairs (i < j) of overlapping networks, sorted.

    Two CIDR networks overlap only when one contains the other. After sorting
    by first address and then by size, each network overlaps exactly the
    networks still open on a stack of enclosing ones, so the sweep costs
    O(n log n) plus one step per overlap instead of comparing every pair.
    """
    order = sorted(range(len(networks)),
                   key=lambda index: (int(networks[index].network_address), networks[index].prefixlen))
    enclosing: list[int] = []
    pairs: list[tuple[int, int]] = []
    for index in order:
        start = int(networks[index].network_address)
        while enclosing and int(networks[enclosing[-1]].broadcast_address) < start:
            enclosing.pop()
        pairs += [(min(index, other), max(index, other)) for other in enclosing]
        enclosing.append(index)
    return sorted(pairs)


def _check_subnet_size(plan: MeshPlan, collector: IssueCollector) -> None:
    # Kilo allocates from network+1 and would hand out the broadcast address
    # too; the check keeps network and broadcast addresses free.
    usable = max(plan.subnet.num_addresses - 2, 0)
    needed = len(plan.segments)
    if needed <= usable:
        return
    prefix = 32
    while prefix > 0 and 2 ** (32 - prefix) - 2 < needed:
        prefix -= 1
    collector.add(
        "kilo.subnet", str(plan.subnet),
        f"the Kilo subnet has {usable} usable addresses but the mesh has {needed} segments, each needing "
        f"one WireGuard IP. Use a /{prefix} or larger (the default is 10.4.0.0/16).",
        f"Kilo 子网只有 {usable} 个可用地址，而网格有 {needed} 个段，每段需要一个 WireGuard IP。"
        f"请使用 /{prefix} 或更大的子网（默认 10.4.0.0/16）。",
    )
