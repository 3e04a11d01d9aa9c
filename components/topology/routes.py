"""Routes and rules that kg installs on each node, as in Kilo 0.7.0 ``pkg/mesh/routes.go``.

The plan assumes kg's defaults that the program keeps: ``--local=true`` and
``--encapsulate=always`` with the IPIP encapsulator. So every route inside a
location goes through ``tunl0``, with the node's private IP as source.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from components.topology.model import (
    KILO_TABLE,
    TUNNEL_INTERFACE,
    WIREGUARD_INTERFACE,
    IPv4Address,
    IPv4Network,
    PlannedNode,
    PlannedPeer,
    Route,
    Rule,
    Segment,
)


def plan_routes(segments: Sequence[Segment], peers: Sequence[PlannedPeer]
                ) -> tuple[dict[str, tuple[Route, ...]], dict[str, tuple[Rule, ...]]]:
    """Return the routes and rules of every node in the topology, keyed by node name."""
    routes: dict[str, tuple[Route, ...]] = {}
    rules: dict[str, tuple[Rule, ...]] = {}
    # Every non-leader routes to the same destinations of each other segment,
    # so they are listed once per segment instead of once per node pair.
    remote_destinations = {segment.key: _remote_destinations(segment) for segment in segments}
    for own in segments:
        for member in own.members:
            if member is own.leader:
                node_routes, node_rules = _leader_routes(member, own, segments, peers)
            else:
                node_routes, node_rules = _member_routes(member, own, segments, peers,
                                                         remote_destinations)
            routes[member.name] = tuple(node_routes)
            rules[member.name] = tuple(node_rules)
    return routes, rules


# Every node routes to the /32 of every other node, so the same few hundred
# networks are built again and again; parsing one costs microseconds.
@functools.cache
def _host_network(address: IPv4Address) -> IPv4Network:
    return ipaddress.IPv4Network((int(address), 32))


def _local_routes(self_node: PlannedNode, own: Segment, from_leader: bool
                  ) -> tuple[list[Route], list[Rule]]:
    """Route to each other member of the own segment over IPIP to its private IP."""
    routes: list[Route] = []
    rules: list[Rule] = []
    assert self_node.private_ip is not None
    source = self_node.private_ip.ip
    for member in own.members:
        if member.private_ip is None or member.private_ip.ip == source:
            continue
        gateway = member.private_ip.ip
        target = _host_network(gateway)
        assert member.pod_cidr is not None and self_node.pod_cidr is not None
        routes.append(Route(member.pod_cidr, TUNNEL_INTERFACE, gateway, source))
        routes.append(Route(target, TUNNEL_INTERFACE, gateway, source, KILO_TABLE))
        rules.append(Rule(target, KILO_TABLE, source=self_node.pod_cidr))
        if from_leader:
            rules.append(Rule(target, KILO_TABLE, input_interface=WIREGUARD_INTERFACE))
    return routes, rules


def _leader_routes(leader: PlannedNode, own: Segment, segments: Sequence[Segment],
                   peers: Sequence[PlannedPeer]) -> tuple[list[Route], list[Rule]]:
    routes: list[Route] = []
    rules: list[Rule] = []
    source = leader.private_ip.ip if leader.private_ip is not None else None
    for segment in segments:
        if segment is own:
            if source is not None:
                local_routes, local_rules = _local_routes(leader, own, from_leader=True)
                routes += local_routes
                rules += local_rules
            continue
        if segment.wireguard_ip is None:
            continue
        gateway = segment.wireguard_ip
        for member in segment.members:
            assert member.pod_cidr is not None
            routes.append(Route(member.pod_cidr, WIREGUARD_INTERFACE, gateway, source))
            # kg skips a private IP that equals the segment's endpoint IP: the
            # node is only reachable at that address, which cannot go through itself.
            if member.private_ip is None or member.private_ip.ip == segment.endpoint.address:
                continue
            routes.append(Route(_host_network(member.private_ip.ip), WIREGUARD_INTERFACE, gateway, source))
    for peer in peers:
        for network in peer.allowed_ips:
            routes.append(Route(network, WIREGUARD_INTERFACE, None, source))
    return routes, rules


def _remote_destinations(segment: Segment) -> tuple[IPv4Network, ...]:
    """Return the pod CIDRs of the segment's members, then the /32s of their private IPs."""
    pod_cidrs = []
    for remote in segment.members:
        assert remote.pod_cidr is not None
        pod_cidrs.append(remote.pod_cidr)
    hosts = [_host_network(remote.private_ip.ip) for remote in segment.members
             if remote.private_ip is not None]
    return tuple(pod_cidrs + hosts)


def _member_routes(member: PlannedNode, own: Segment, segments: Sequence[Segment],
                   peers: Sequence[PlannedPeer],
                   remote_destinations: dict[str, tuple[IPv4Network, ...]]
                   ) -> tuple[list[Route], list[Rule]]:
    """Routes of a non-leader: everything outside its location goes to the leader's private IP."""
    routes: list[Route] = []
    rules: list[Rule] = []
    assert member.private_ip is not None and own.leader.private_ip is not None
    source = member.private_ip.ip
    gateway = own.leader.private_ip.ip
    for segment in segments:
        if segment.wireguard_ip is not None:
            routes.append(Route(_host_network(segment.wireguard_ip), TUNNEL_INTERFACE, gateway, source))
        if segment is own:
            local_routes, local_rules = _local_routes(member, own, from_leader=False)
            routes += local_routes
            rules += local_rules
            continue
        routes += [Route(destination, TUNNEL_INTERFACE, gateway, source)
                   for destination in remote_destinations[segment.key]]
    for peer in peers:
        for network in peer.allowed_ips:
            routes.append(Route(network, TUNNEL_INTERFACE, gateway, source))
    return routes, rules
