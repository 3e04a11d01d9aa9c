"""Checks that span several nodes or sections of the stack config."""

from __future__ import annotations

import ipaddress
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components.config.model import NodeConfig
from components.config.nodes import NodeDraft
from components.errors import IssueCollector


@dataclass
class AddressPlan:
    """The cluster-wide ranges as far as they parsed; None marks a bad value.

    The cross checks take these instead of K3sSettings and KiloSettings, so a
    bad value elsewhere in the k3s or kilo section does not hide an overlap.
    """

    cluster_cidr: ipaddress.IPv4Network | None = None
    service_cidr: ipaddress.IPv4Network | None = None
    kilo_subnet: ipaddress.IPv4Network | None = None
    granularity: str = "location"


def check_unique_names(collector: IssueCollector, drafts: list[NodeDraft]) -> None:
    """Report every node whose name an earlier node already uses."""
    first_seen: dict[str, NodeDraft] = {}
    for draft in drafts:
        if draft.name is None:
            continue
        earlier = first_seen.get(draft.name)
        if earlier is None:
            first_seen[draft.name] = draft
            continue
        collector.add(
            f"{draft.path}.name", draft.name,
            f"duplicates the name of {earlier.path}; every node needs its own hostname",
            f"与 {earlier.path} 重名；每个节点必须有不同的主机名",
        )


def check_servers(collector: IssueCollector, drafts: list[NodeDraft]) -> None:
    """Require an odd number of servers, because embedded etcd needs a majority."""
    if not drafts:
        return
    servers = [draft for draft in drafts if draft.role == "server"]
    roles_known = all(draft.role is not None for draft in drafts)
    if not servers and roles_known:
        collector.add("nodes", [draft.name for draft in drafts],
                      "has no server; set role: server on one node (or three for high availability)",
                      "没有 server 节点；请把一个节点（高可用时三个）的 role 设为 server")
        return
    if servers and len(servers) % 2 == 0:
        names = [draft.name or draft.path for draft in servers]
        collector.add(
            "nodes", names,
            f"has {len(servers)} servers; embedded etcd needs an odd number (1, 3, 5) to keep a "
            f"majority, so add or remove one server",
            f"有 {len(servers)} 个 server；内嵌 etcd 需要奇数个（1、3、5）才能保持多数派，请增加或减少一个 server",
        )
    if servers:
        first = servers[0]
        _check_servers_share_location(collector, servers)
        if not first.has_public_address:
            collector.add(
                f"{first.path}.publicIp", None,
                "is required on the first server: agents join and kubectl connects at "
                "https://<publicIp>:6443; set the server's public IPv4 address",
                "第一个 server 必须设置：agent 加入集群和 kubectl 访问都使用 https://<publicIp>:6443；"
                "请填写该 server 的公网 IPv4 地址",
            )


def _check_servers_share_location(collector: IssueCollector, servers: list[NodeDraft]) -> None:
    """Require every server in the first server's location.

    Embedded etcd needs its members to reach each other's private addresses
    with low latency, and a joining server dials the first server's private
    address before the Kilo mesh exists.
    """
    first = servers[0]
    if first.location is None:
        return
    for server in servers[1:]:
        if server.location is None or server.location == first.location:
            continue
        collector.add(
            f"{server.path}.location", server.location,
            f"differs from location '{first.location}' of the first server {first.path}; embedded "
            "etcd needs every server to reach the others on their private addresses with low "
            "latency, and a joining server must reach the first server before the Kilo mesh "
            f"exists. Put all servers in location '{first.location}' (one VPC, for example) and "
            "spread agents over the other locations",
            f"与第一个 server {first.path} 的 location '{first.location}' 不同；内嵌 etcd 要求各 server "
            "经内网地址低延迟互通，且新加入的 server 在 Kilo 网格建立之前就必须连到第一个 server。"
            f"请把所有 server 放在 location '{first.location}'（例如同一个 VPC），把 agent 分布到其他 location",
        )


def check_location_networks(collector: IssueCollector, nodes: Sequence[NodeConfig],
                            private_ips: Mapping[str, ipaddress.IPv4Interface]) -> None:
    """Require the private networks of the nodes in one location to overlap.

    Kilo routes traffic between nodes of one location over their private
    network, so each node must be able to reach the others' private
    addresses. Two networks overlap when one contains the other. Issue paths
    use the position in ``nodes``. ``private_ips`` maps node names to
    addresses, planned ones for VMs without privateIp included, and a node
    missing from it is skipped.
    """
    seen: dict[str, list[tuple[str, ipaddress.IPv4Network]]] = defaultdict(list)
    for position, node in enumerate(nodes):
        address = private_ips.get(node.name)
        if address is None:
            continue
        network = address.network
        earlier = seen[node.location]
        conflict = next(((name, other) for name, other in earlier if not network.overlaps(other)),
                        None)
        earlier.append((node.name, network))
        if conflict is None:
            continue
        other_name, other_network = conflict
        if node.private_ip is not None:
            path, value = f"nodes[{position}].privateIp", str(node.private_ip)
        else:
            path, value = f"nodes[{position}].location", node.location
        collector.add(
            path, value,
            f"the private network {network} does not overlap the private network {other_network} "
            f"of node {other_name} in the same location '{node.location}'; Kilo routes traffic "
            "inside a location over the private network, so these nodes could not reach each "
            "other. Put the nodes in separate locations, or fix the privateIp prefix if they "
            "share one network",
            f"内网 {network} 与同一 location '{node.location}' 中节点 {other_name} 的内网 "
            f"{other_network} 不重叠；Kilo 在 location 内部经内网转发流量，这两个节点互相无法到达。"
            "请把它们放到不同的 location；如果它们确实在同一网络中，请修正 privateIp 的前缀长度",
        )


def check_segments_reachable(collector: IssueCollector, drafts: list[NodeDraft],
                             plan: AddressPlan) -> None:
    """Check that Kilo can connect every WireGuard segment with the others.

    With granularity "location" a segment is a location, with "full" it is a
    node. A segment's leader is reachable when some node in it has a public IP,
    and it can dial out and keep a NAT mapping open when some node has
    persistentKeepalive. A segment with neither cannot join the mesh.
    """
    granularity = plan.granularity
    segments: dict[str, list[NodeDraft]] = defaultdict(list)
    for draft in drafts:
        key = draft.location if granularity == "location" else draft.name
        if key is not None:
            segments[key].append(draft)
    if len(segments) < 2:
        return

    for key, members in segments.items():
        if any(m.has_public_address or m.persistent_keepalive for m in members):
            continue
        names = [m.name or m.path for m in members]
        if granularity == "location":
            collector.add(
                f"{members[0].path}.location", key,
                f"no node in location '{key}' ({', '.join(names)}) has a publicIp or "
                "persistentKeepalive, so no Kilo leader there could be reached or dial out; set "
                "publicIp on one node or persistentKeepalive (e.g. 20) on the nodes",
                f"location '{key}'（{'、'.join(names)}）中没有节点设置 publicIp 或 "
                "persistentKeepalive，Kilo leader 既无法被访问也无法主动连出；请为一个节点设置 publicIp，"
                "或为节点设置 persistentKeepalive（例如 20）",
            )
        else:
            collector.add(
                f"{members[0].path}.publicIp", None,
                "with kilo.granularity full every node needs a publicIp or persistentKeepalive; "
                "set one of them",
                "kilo.granularity 为 full 时每个节点都需要 publicIp 或 persistentKeepalive；请设置其一",
            )

    if not any(d.has_public_address for d in drafts):
        collector.add(
            "nodes", sorted(segments),
            "no node has a publicIp, so WireGuard peers have no endpoint to dial; "
            "set publicIp on at least one node",
            "没有任何节点设置 publicIp，WireGuard 对端无处可连；请至少为一个节点设置 publicIp",
        )


def check_address_plan(collector: IssueCollector, drafts: list[NodeDraft], plan: AddressPlan) -> None:
    """Reject overlaps between the pod, service and Kilo ranges and the hosts' networks."""
    named = [("k3s.clusterCidr", plan.cluster_cidr), ("k3s.serviceCidr", plan.service_cidr),
             ("kilo.subnet", plan.kilo_subnet)]
    ranges = [(path, network) for path, network in named if network is not None]

    for i, (path_a, net_a) in enumerate(ranges):
        for path_b, net_b in ranges[i + 1:]:
            if net_a.overlaps(net_b):
                collector.add(
                    path_b, str(net_b),
                    f"overlaps {path_a} ({net_a}); pick a range that shares no address with it",
                    f"与 {path_a}（{net_a}）重叠；请换一个与之没有共同地址的网段",
                )

    for draft in drafts:
        if draft.private_ip is not None:
            network = draft.private_ip.network
            for path, cluster_range in ranges:
                if network.overlaps(cluster_range):
                    collector.add(
                        f"{draft.path}.privateIp", str(draft.private_ip),
                        f"the host network {network} overlaps {path} ({cluster_range}); "
                        f"change {path} to a range outside every host network",
                        f"主机网络 {network} 与 {path}（{cluster_range}）重叠；请把 {path} 改为与所有主机网络都不重叠的网段",
                    )
        if draft.public_ip is not None:
            for path, cluster_range in ranges:
                if draft.public_ip in cluster_range:
                    collector.add(
                        f"{draft.path}.publicIp", str(draft.public_ip),
                        f"lies inside {path} ({cluster_range}); change {path} so it excludes the public IPs",
                        f"位于 {path}（{cluster_range}）之内；请修改 {path}，使其不包含公网 IP",
                    )


def check_unique_private_ips(collector: IssueCollector, drafts: list[NodeDraft]) -> None:
    """Report private IPs used twice: Kilo routes each one to a single node."""
    first_seen: dict[ipaddress.IPv4Address, NodeDraft] = {}
    for draft in drafts:
        if draft.private_ip is None:
            continue
        earlier = first_seen.setdefault(draft.private_ip.ip, draft)
        if earlier is not draft:
            collector.add(
                f"{draft.path}.privateIp", str(draft.private_ip),
                f"is also the private IP of {earlier.path}; every node needs its own address",
                f"与 {earlier.path} 的内网 IP 相同；每个节点必须有不同的地址",
            )


def check_capacity(collector: IssueCollector, drafts: list[NodeDraft], plan: AddressPlan) -> None:
    """Check that the pod CIDR has a /24 per node and the Kilo subnet an IP per segment."""
    if plan.cluster_cidr is not None and plan.cluster_cidr.prefixlen <= 24 and drafts:
        # K3s gives every node a /24 of the cluster CIDR (kube-controller-manager's
        # default --node-cidr-mask-size for IPv4).
        capacity = 2 ** (24 - plan.cluster_cidr.prefixlen)
        if capacity < len(drafts):
            needed = 24 - math.ceil(math.log2(max(len(drafts), 1)))
            collector.add(
                "k3s.clusterCidr", str(plan.cluster_cidr),
                f"has room for {capacity} node pod ranges (/24 each) but the cluster has {len(drafts)} nodes; "
                f"use a /{needed} or larger",
                f"只能容纳 {capacity} 个节点的 Pod 网段（每个 /24），但集群有 {len(drafts)} 个节点；"
                f"请使用 /{needed} 或更大的网段",
            )
    if plan.kilo_subnet is not None and drafts:
        if plan.granularity == "location":
            segments = {d.location for d in drafts if d.location is not None}
        else:
            segments = {d.name for d in drafts if d.name is not None}
        usable = plan.kilo_subnet.num_addresses - 2
        if usable < len(segments):
            collector.add(
                "kilo.subnet", str(plan.kilo_subnet),
                f"has {max(usable, 0)} usable addresses but Kilo needs one per segment ({len(segments)}); "
                "use a larger subnet such as 10.4.0.0/16",
                f"只有 {max(usable, 0)} 个可用地址，但 Kilo 需要为每个网段分配一个（共 {len(segments)} 个）；"
                "请使用更大的网段，例如 10.4.0.0/16",
            )


def resolve_jump_hosts(collector: IssueCollector, drafts: list[NodeDraft]) -> None:
    """Check SSH reachability and fill in default jump hosts.

    A node is dialled directly at ssh.host or its public IP (VMs always get
    one). A node with neither goes through ssh.jumpHost, which defaults to the
    first node in its location with a public IP. pulumi-command supports a
    single proxy hop, so a jump host must itself be reachable directly.
    """
    by_name = {d.name: d for d in drafts if d.name is not None}

    def direct(draft: NodeDraft) -> bool:
        return draft.has_public_address or draft.ssh_host is not None

    for draft in drafts:
        jump_path = f"{draft.path}.ssh.jumpHost"
        if draft.jump_host is not None:
            target = by_name.get(draft.jump_host)
            if draft.jump_host == draft.name:
                collector.add(jump_path, draft.jump_host,
                              "names the node itself; name another node that has a public IP",
                              "指向节点自身；请填写另一个有公网 IP 的节点")
            elif target is None:
                collector.add(jump_path, draft.jump_host,
                              f"is not the name of a node; use one of: {', '.join(sorted(by_name))}",
                              f"不是任何节点的名称；请使用以下之一：{', '.join(sorted(by_name))}")
            elif not direct(target) or target.jump_host is not None:
                collector.add(jump_path, draft.jump_host,
                              "names a node that is itself reached through a jump host; only one hop "
                              "is supported, so name a node with a publicIp or ssh.host",
                              "指向的节点本身也需要跳板机；只支持一跳，请填写有 publicIp 或 ssh.host 的节点")
            continue
        if direct(draft) or draft.has_vm:
            continue
        candidates = [d for d in drafts
                      if d is not draft and d.location == draft.location and d.has_public_address
                      and d.name is not None]
        if candidates:
            draft.jump_host = candidates[0].name
            continue
        if draft.location is None:
            continue
        collector.add(
            f"{draft.path}.publicIp", None,
            f"is not set, the node has no ssh.host and no other node in location '{draft.location}' "
            "has a public IP to jump through; set publicIp, ssh.host or ssh.jumpHost",
            f"未设置，该节点也没有 ssh.host，且 location '{draft.location}' 中没有其他带公网 IP 的节点可作跳板；"
            "请设置 publicIp、ssh.host 或 ssh.jumpHost",
        )


def check_public_ips(collector: IssueCollector, drafts: list[NodeDraft], port: int | None) -> None:
    """Reject public IPs that break WireGuard endpoints.

    Kilo makes ``publicIp:kilo.port`` a node's WireGuard endpoint. Two nodes
    with one public IP get the same endpoint, and the NAT in front of them
    forwards that UDP port to one host only, even within one location. A
    public IP inside a node's private network is routed over that VPC by the
    hosts in it, not to the Internet. When it equals a private IP, Kilo also
    routes it into the tunnel that it is the endpoint of.
    """
    port_text = str(port) if port is not None else "kilo.port"
    first_seen: dict[ipaddress.IPv4Address, NodeDraft] = {}
    for draft in drafts:
        if draft.public_ip is None:
            continue
        earlier = first_seen.setdefault(draft.public_ip, draft)
        if earlier is draft:
            continue
        collector.add(
            f"{draft.path}.publicIp", str(draft.public_ip),
            f"is also the publicIp of {earlier.path}; both nodes would get the WireGuard endpoint "
            f"{draft.public_ip}:{port_text}, which one NAT forwards to a single host, even in one location. "
            "Set publicIp only on the node that receives the forwarded UDP port and let the others "
            "reach the mesh through their location's leader",
            f"与 {earlier.path} 的 publicIp 相同；两个节点都会得到 WireGuard 端点 {draft.public_ip}:{port_text}，"
            "而 NAT 只能把该 UDP 端口转发给一台主机，同一 location 内也是如此。请只在接收该端口转发的节点上设置 publicIp，"
            "其他节点经所在 location 的 leader 接入网格",
        )

    # Hosts share few networks (one per VPC subnet), so each public IP is tested
    # against the distinct networks, not against every node.
    by_private_ip: dict[ipaddress.IPv4Address, NodeDraft] = {}
    by_network: dict[ipaddress.IPv4Network, NodeDraft] = {}
    for draft in drafts:
        if draft.private_ip is not None:
            by_private_ip.setdefault(draft.private_ip.ip, draft)
            by_network.setdefault(draft.private_ip.network, draft)
    for draft in drafts:
        if draft.public_ip is None:
            continue
        same = by_private_ip.get(draft.public_ip)
        if same is not None:
            collector.add(
                f"{same.path}.privateIp", str(same.private_ip),
                f"is the publicIp of {draft.path}; Kilo routes every private IP through the "
                "WireGuard tunnel, so the endpoint would be routed into its own tunnel. Set privateIp "
                "to the host's VPC address and publicIp to the address reachable from the Internet",
                f"与 {draft.path} 的 publicIp 相同；Kilo 会把每个内网 IP 路由进 WireGuard 隧道，"
                "端点会被路由进它自己的隧道。请把 privateIp 设为主机的 VPC 地址，publicIp 设为可从互联网访问的地址",
            )
            continue
        for network, owner in by_network.items():
            if draft.public_ip in network:
                collector.add(
                    f"{draft.path}.publicIp", str(draft.public_ip),
                    f"lies inside the private network {network} of {owner.path}; hosts "
                    "in that network send packets for it over their VPC instead of the Internet, so "
                    "WireGuard handshakes miss the node. Set the address reachable from the Internet",
                    f"位于 {owner.path} 的内网 {network} 之内；该网络中的主机会经 VPC 而不是互联网"
                    "发送到该地址的数据包，WireGuard 握手到达不了该节点。请填写可从互联网访问的地址",
                )
                break
