"""The one table of security group rules that every cloud module translates.

Sources are roles, not addresses: ``components.firewall.resolve`` turns them
into CIDRs for one security group, and ``components.firewall.translate``
turns each resolved rule into the arguments of the cloud's rule resource.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

Protocol = Literal["tcp", "udp", "ipip", "all"]
Direction = Literal["ingress", "egress"]


class Source(enum.Enum):
    """Sources that may send traffic that a rule accepts."""

    # The operator networks from ``adminCidrs``.
    ADMIN = "admin"
    # The public IP (/32) of every cluster node that has one.
    NODES = "nodes"
    # The private IP (/32) of every server, or the VPC CIDR when the caller
    # passes no private IPs. etcd peers talk over private addresses, because
    # validation puts every server in one location.
    SERVERS = "servers"
    # The CIDR of the VPC the security group belongs to.
    VPC = "vpc"
    # 0.0.0.0/0.
    WORLD = "world"


# Placeholder port, replaced by the Kilo WireGuard port (``kilo.port``).
WIREGUARD_PORT = -1


@dataclass(frozen=True)
class FirewallRule:
    """One row of the table: a protocol and port range opened to some sources."""

    # Stable key: part of every rule resource name and of firewall.openToWorld.
    key: str
    protocol: Protocol
    # Inclusive port range; None for protocols without ports.
    ports: tuple[int, int] | None
    sources: tuple[Source, ...]
    # Reason the port is open to these sources, shown in rule descriptions.
    reason: str
    direction: Direction = "ingress"
    # A restricted rule never accepts 0.0.0.0/0 unless firewall.openToWorld
    # names its key.
    restricted: bool = False
    # Only security groups that contain a server get the rule.
    servers_only: bool = False


RULES: tuple[FirewallRule, ...] = (
    FirewallRule(
        key="ssh", protocol="tcp", ports=(22, 22), sources=(Source.ADMIN,),
        reason="SSH for the operator; Pulumi installs K3s over it",
        restricted=True,
    ),
    FirewallRule(
        key="kube-api", protocol="tcp", ports=(6443, 6443), sources=(Source.ADMIN, Source.NODES),
        reason="Kubernetes API: agents join here, kubectl and Pulumi connect here",
        restricted=True, servers_only=True,
    ),
    FirewallRule(
        key="kubelet", protocol="tcp", ports=(10250, 10250), sources=(Source.NODES,),
        reason="kubelet API for logs, exec and metrics, called by other cluster nodes",
        restricted=True,
    ),
    FirewallRule(
        key="etcd", protocol="tcp", ports=(2379, 2380), sources=(Source.SERVERS,),
        reason="embedded etcd client and peer traffic between servers",
        restricted=True, servers_only=True,
    ),
    # WireGuard is open to every address by default. Nodes behind NAT, or with
    # an address their ISP changes, send handshakes from addresses that are not
    # known when the security group is written. WireGuard replies to no packet
    # that lacks a valid handshake from a configured peer key, so a scanner
    # learns nothing. firewall.wireguardFromWorld: false limits the port to the
    # public IPs of cluster nodes.
    FirewallRule(
        key="wireguard", protocol="udp", ports=(WIREGUARD_PORT, WIREGUARD_PORT),
        sources=(Source.WORLD,),
        reason="Kilo WireGuard between locations; it drops unauthenticated packets",
    ),
    # Kilo tunnels pod traffic between nodes of one location with IPIP
    # (IP protocol 4). The rule docs of pulumi-alicloud 4.0.0,
    # tencentcloud-iac-pulumi 0.2.3 and pulumi-huaweicloud 0.0.12 list no
    # protocol numbers, so the translation opens all protocols, and only from
    # the VPC's own private range.
    FirewallRule(
        key="ipip", protocol="ipip", ports=None, sources=(Source.VPC,),
        reason="Kilo IPIP (IP protocol 4) between nodes of one location inside the VPC",
    ),
    FirewallRule(
        key="egress", protocol="all", ports=None, sources=(Source.WORLD,),
        reason="outbound traffic: packages, images, K3s downloads",
        direction="egress",
    ),
)

RULES_BY_KEY = {rule.key: rule for rule in RULES}

# Ports that must never be open to 0.0.0.0/0 unless the config explicitly opens them.
RESTRICTED_TCP_PORTS = (22, 6443, 10250, 2379, 2380)
