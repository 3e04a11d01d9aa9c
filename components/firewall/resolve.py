"""Expand the rule table into concrete rules for one security group.

Public node addresses stay symbolic here (the node's name), because a VM's
public IP is only known after the cloud creates it. The wiring code maps each
name to the address Output, so this module stays pure and testable. Private
addresses are planned before deployment, so rules between servers carry them
as CIDRs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from components.config.model import FirewallSettings
from components.firewall.table import (
    RULES,
    WIREGUARD_PORT,
    Direction,
    FirewallRule,
    Protocol,
    Source,
)

WORLD_CIDR = "0.0.0.0/0"


@dataclass(frozen=True)
class NodeAddress:
    """A cluster node as a firewall source: its name, role and addresses."""

    name: str
    is_server: bool
    has_public_ip: bool
    # The planned private IPv4 address (no prefix), or None when the caller
    # does not know it.
    private_ip: str | None = None


@dataclass(frozen=True)
class ResolvedRule:
    """One rule resource: one source, and the ports of one table rule.

    On clouds whose rule resource takes a port list, ``combine_single_ports``
    merges the single-port rules of one source into one ResolvedRule that
    carries several table rules.
    """

    # Keys and reasons of the table rules, in table order.
    rule_keys: tuple[str, ...]
    reasons: tuple[str, ...]
    protocol: Protocol
    # Inclusive port ranges of the table rules; None for protocols without ports.
    ports: tuple[tuple[int, int], ...] | None
    direction: Direction
    # Exactly one of cidr and node is set; node is the name of the cluster
    # node whose public IP (/32) is the source.
    cidr: str | None
    node: str | None

    @property
    def rule_key(self) -> str:
        """The table rule's key, or the keys joined with "+", e.g. ``kube-api+kubelet``."""
        return "+".join(self.rule_keys)

    @property
    def description(self) -> str:
        return f"k3s-multicloud {', '.join(self.rule_keys)}: {'; '.join(self.reasons)}"

    @property
    def name(self) -> str:
        """Name suffix that stays the same while the rule and source exist."""
        if self.node is not None:
            source = f"node-{self.node}"
        else:
            source = self.cidr.replace("/", "-")  # type: ignore[union-attr]
        return f"{self.rule_key}-{source}"


def resolve_rules(
    *,
    vpc_cidr: ipaddress.IPv4Network,
    has_server: bool,
    nodes: Sequence[NodeAddress],
    admin_cidrs: Iterable[ipaddress.IPv4Network],
    settings: FirewallSettings,
    wireguard_port: int,
    rules: Sequence[FirewallRule] = RULES,
) -> list[ResolvedRule]:
    """Return the rules of one security group, one per (table rule, source).

    A rule that names a node appears once per node, so adding a node adds
    rules and leaves every existing rule unchanged.
    """
    admin = [str(cidr) for cidr in admin_cidrs]
    resolved: list[ResolvedRule] = []

    for rule in rules:
        if rule.servers_only and not has_server:
            continue

        sources = list(rule.sources)
        if rule.key == "wireguard" and not settings.wireguard_from_world:
            sources = [Source.NODES]
        if rule.key in settings.open_to_world and Source.WORLD not in sources:
            sources.append(Source.WORLD)

        ports = rule.ports
        if ports is not None and WIREGUARD_PORT in ports:
            ports = (wireguard_port, wireguard_port)

        seen: set[str] = set()
        for source in sources:
            for cidr, node in _expand(source, vpc_cidr, nodes, admin):
                label = node or cidr
                if label in seen:
                    continue
                seen.add(label)
                resolved.append(ResolvedRule(
                    rule_keys=(rule.key,), reasons=(rule.reason,), protocol=rule.protocol,
                    ports=None if ports is None else (ports,),
                    direction=rule.direction, cidr=cidr, node=node,
                ))
    return resolved


def combine_single_ports(rules: Sequence[ResolvedRule]) -> list[ResolvedRule]:
    """Merge the single-port rules of one source, direction and protocol into one rule.

    A security group with a server gets ``kube-api`` (6443) and ``kubelet``
    (10250) for every node, so merging halves the per-node rules. Rules with
    a port range stay on their own, because the Tencent Cloud and Huawei Cloud
    rule resources document a single port, a port list or one range, not a
    mix. A merged rule takes the place of the first rule it contains, and a
    rule that has nothing to merge with is returned unchanged.
    """
    groups: dict[object, list[ResolvedRule]] = {}
    for position, rule in enumerate(rules):
        key: object = position
        if rule.ports is not None and all(low == high for low, high in rule.ports):
            key = (rule.direction, rule.protocol, rule.cidr, rule.node)
        groups.setdefault(key, []).append(rule)
    return [_merge(group) for group in groups.values()]


def _merge(group: list[ResolvedRule]) -> ResolvedRule:
    if len(group) == 1:
        return group[0]
    first = group[0]
    return ResolvedRule(
        rule_keys=tuple(key for rule in group for key in rule.rule_keys),
        reasons=tuple(reason for rule in group for reason in rule.reasons),
        protocol=first.protocol,
        ports=tuple(dict.fromkeys(ports for rule in group for ports in rule.ports or ())),
        direction=first.direction, cidr=first.cidr, node=first.node,
    )


def _expand(source: Source, vpc_cidr: ipaddress.IPv4Network, nodes: Sequence[NodeAddress],
            admin: list[str]) -> list[tuple[str | None, str | None]]:
    """Return (cidr, node) pairs for one source role."""
    if source is Source.ADMIN:
        return [(cidr, None) for cidr in admin]
    if source is Source.NODES:
        return [(None, node.name) for node in nodes if node.has_public_ip]
    if source is Source.SERVERS:
        return _server_sources(nodes, vpc_cidr)
    if source is Source.VPC:
        return [(str(vpc_cidr), None)]
    return [(WORLD_CIDR, None)]


def _server_sources(nodes: Sequence[NodeAddress],
                    vpc_cidr: ipaddress.IPv4Network) -> list[tuple[str | None, str | None]]:
    """Return the private /32 of every server, or the VPC CIDR when one is unknown.

    Servers reach each other's etcd on their private addresses, so a rule
    with their public IPs would never match. Validation keeps all servers in
    one location, whose nodes share one private network.
    """
    servers = [node for node in nodes if node.is_server]
    if all(node.private_ip is not None for node in servers):
        return [(f"{node.private_ip}/32", None) for node in servers]
    # The program passes every server's private IP; a caller without them
    # gets the VPC CIDR, which also lets agents in that VPC reach etcd.
    return [(str(vpc_cidr), None)]
