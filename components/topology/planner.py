"""Predict the Kilo 0.7.0 mesh from the stack config, without a cluster.

The rules mirror Kilo 0.7.0 ``pkg/mesh/topology.go`` (``NewTopology``,
``findLeader``) and ``pkg/mesh/ip.go`` (the allocator). Values that only exist
at run time are predicted:

- Pod CIDRs: K3s assigns each node the next free /24 of the cluster CIDR when
  it registers. The program registers servers first and then agents, so the
  plan hands out /24s in that order (servers in config order, then agents in
  config order).
- Endpoints: a node with a public IP gets force-endpoint ``<public IP>:<port>``.
  A VM gets its public IP at creation, so its endpoint is the placeholder
  ``<name-public-ip>:<port>`` and counts as public. Any other node has Kilo's
  auto-detected endpoint, which is its private IP on a cloud with 1:1 NAT.
- Discovered endpoints (NAT roaming) are unknown offline, so none are assumed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

from components.config.model import ClusterConfig, NodeConfig
from components.topology.model import (
    Endpoint,
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    KiloPeer,
    MeshPlan,
    PlannedNode,
    PlannedPeer,
    Segment,
    is_public_ip,
)
from components.topology.routes import plan_routes

# K3s default --kube-controller-manager-arg node-cidr-mask-size for IPv4.
POD_CIDR_PREFIX = 24

LOCATION_PREFIX = "location:"
NODE_PREFIX = "node:"


def plan_mesh(cluster: ClusterConfig, peers: Sequence[KiloPeer] = (),
              private_ips: Mapping[str, IPv4Interface] | None = None) -> MeshPlan:
    """Compute the segments, leaders, WireGuard IPs, AllowedIPs and routes.

    ``peers`` are Kilo Peer objects (none come from the stack config yet).
    ``private_ips`` supplies private IPs that the config leaves to the cloud
    module (VMs without ``privateIp``), keyed by node name. When it is None,
    the cloud module derives them the same way it does for the VMs it creates.
    """
    kilo = cluster.kilo
    if private_ips is None:
        private_ips = _derived_vm_private_ips(cluster)
    pod_cidrs = predict_pod_cidrs(cluster)
    nodes = tuple(
        _plan_node(index, node, pod_cidrs.get(node.name), private_ips.get(node.name), kilo.port)
        for index, node in enumerate(cluster.nodes)
    )

    groups = _group_segments((node for node in nodes if node.ready), kilo.granularity)
    planned_peers = _deduplicate_peers(peers)
    segments = _allocate_wireguard_ips(groups, kilo.subnet)

    routes, rules = plan_routes(segments, planned_peers)
    return MeshPlan(
        subnet=kilo.subnet,
        port=kilo.port,
        granularity=kilo.granularity,
        cluster_cidr=cluster.k3s.cluster_cidr,
        nodes=nodes,
        segments=segments,
        peers=planned_peers,
        routes=routes,
        rules=rules,
    )


def _derived_vm_private_ips(cluster: ClusterConfig) -> Mapping[str, IPv4Interface]:
    if not any(node.is_vm and node.private_ip is None for node in cluster.nodes):
        return {}
    # Imported here because only VM clusters need the cloud module's address plan.
    from components.clouds import planned_private_ips

    return planned_private_ips(cluster)


def predict_pod_cidrs(cluster: ClusterConfig) -> dict[str, IPv4Network]:
    """Hand out /24s of the cluster CIDR: servers first, then agents, each in config order.

    Nodes beyond the last /24 get none; ``check_plan`` reports them.
    """
    cluster_cidr = cluster.k3s.cluster_cidr
    if cluster_cidr.prefixlen > POD_CIDR_PREFIX:
        return {}
    registration_order = list(cluster.servers) + list(cluster.agents)
    subnets = cluster_cidr.subnets(new_prefix=POD_CIDR_PREFIX)
    assigned: dict[str, IPv4Network] = {}
    for node, subnet in zip(registration_order, subnets):
        assigned[node.name] = subnet
    return assigned


def _plan_node(index: int, node: NodeConfig, pod_cidr: IPv4Network | None,
               supplied_private_ip: IPv4Interface | None, port: int) -> PlannedNode:
    private_ip = node.private_ip or supplied_private_ip
    return PlannedNode(
        name=node.name,
        index=index,
        role=node.role,
        location=node.location,
        pod_cidr=pod_cidr,
        private_ip=private_ip,
        endpoint=_endpoint(node, private_ip, port),
        persistent_keepalive=node.persistent_keepalive or 0,
        leader_annotation=node.kilo_leader,
    )


def _endpoint(node: NodeConfig, private_ip: IPv4Interface | None, port: int) -> Endpoint | None:
    if node.public_ip is not None:
        return Endpoint(str(node.public_ip), port, node.public_ip, is_public_ip(node.public_ip))
    if node.is_vm:
        return Endpoint(f"<{node.name}-public-ip>", port, None, True)
    if private_ip is not None:
        return Endpoint(str(private_ip.ip), port, private_ip.ip, is_public_ip(private_ip.ip))
    return None


def segment_key(node: PlannedNode, granularity: str) -> str:
    """Return Kilo's segment key: per location, or per node for full granularity
    and for nodes without a private IP."""
    if granularity == "full" or node.private_ip is None:
        return NODE_PREFIX + node.name
    return LOCATION_PREFIX + node.location


def _group_segments(nodes: Iterable[PlannedNode], granularity: str) -> dict[str, list[PlannedNode]]:
    groups: dict[str, list[PlannedNode]] = {}
    for node in nodes:
        groups.setdefault(segment_key(node, granularity), []).append(node)
    for members in groups.values():
        # Go compares strings byte-wise; Python does the same for str.
        members.sort(key=lambda member: member.name.encode())
    return groups


def choose_leader(members: Sequence[PlannedNode]) -> int:
    """Pick the leader index like Kilo's ``findLeader``.

    The order of preference: the first node with a leader annotation and a
    public endpoint, then the first annotated node, then the first node with a
    public endpoint, then the first node by name.
    """
    annotated: list[int] = []
    public: list[int] = []
    for index, member in enumerate(members):
        is_public = member.endpoint is not None and member.endpoint.public
        if member.leader_annotation:
            if is_public:
                return index
            annotated.append(index)
        if is_public:
            public.append(index)
    if annotated:
        return annotated[0]
    if public:
        return public[0]
    return 0


def _allocate_wireguard_ips(groups: Mapping[str, list[PlannedNode]],
                            subnet: IPv4Network) -> tuple[Segment, ...]:
    """Give each segment, in key order, the next address after the subnet's network address.

    Kilo's allocator stops at the end of the subnet; it hands out the
    broadcast address too. Segments past the end get no WireGuard IP here,
    and ``check_plan`` reports the subnet as too small.
    """
    segments = []
    next_address = int(subnet.network_address) + 1
    for key in sorted(groups, key=str.encode):
        members = tuple(groups[key])
        wireguard_ip: IPv4Address | None = None
        if next_address <= int(subnet.broadcast_address):
            wireguard_ip = ipaddress.IPv4Address(next_address)
        next_address += 1

        allowed: list[IPv4Network] = []
        for member in members:
            assert member.pod_cidr is not None
            allowed.append(member.pod_cidr)
            if member.private_ip is not None:
                allowed.append(ipaddress.IPv4Network(f"{member.private_ip.ip}/32"))
        if wireguard_ip is not None:
            allowed.append(ipaddress.IPv4Network(f"{wireguard_ip}/32"))

        segments.append(Segment(
            key=key,
            members=members,
            leader_index=choose_leader(members),
            wireguard_ip=wireguard_ip,
            allowed_ips=tuple(allowed),
        ))
    return tuple(segments)


def _deduplicate_peers(peers: Sequence[KiloPeer]) -> tuple[PlannedPeer, ...]:
    """Sort Peers by name and drop allowed IPs that an earlier Peer claimed, as Kilo does."""
    claimed: set[IPv4Network] = set()
    planned = []
    for peer in sorted(peers, key=lambda p: p.name.encode()):
        kept_ips: list[IPv4Network] = []
        dropped_ips: list[IPv4Network] = []
        for network in peer.allowed_ips:
            if network in claimed:
                dropped_ips.append(network)
            else:
                kept_ips.append(network)
            claimed.add(network)
        planned.append(PlannedPeer(peer, tuple(kept_ips), tuple(dropped_ips)))
    return tuple(planned)
