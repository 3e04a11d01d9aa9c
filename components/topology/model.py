"""The predicted Kilo mesh: plain values that the renderers and checks read.

Names follow Kilo 0.7.0 (``pkg/mesh/topology.go``): a segment is the group of
nodes that shares one WireGuard peer entry and one leader. Its key is
``location:<location>`` or ``node:<name>``.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field

IPv4Address = ipaddress.IPv4Address
IPv4Interface = ipaddress.IPv4Interface
IPv4Network = ipaddress.IPv4Network

# Interface names that kg uses by default (``--interface`` and the IPIP device).
WIREGUARD_INTERFACE = "kilo0"
TUNNEL_INTERFACE = "tunl0"
# Routing table for encapsulated traffic to same-location private IPs.
KILO_TABLE = 1107

_PRIVATE_NETWORKS = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)


@functools.cache
def _address_text(value: IPv4Address | IPv4Network) -> str:
    """Return ``str(value)``, cached.

    A plan for N nodes prints about 2 * N * N routes that share a few hundred
    addresses, and ipaddress formats an address anew on every ``str``.
    """
    return str(value)


def is_public_ip(address: IPv4Address | None) -> bool:
    """Apply Kilo's rule: every IPv4 address outside RFC 1918 counts as public.

    This includes CGNAT (100.64.0.0/10) and documentation ranges, exactly as
    ``isPublic`` in Kilo 0.7.0 ``pkg/mesh/ip.go``.
    """
    if address is None:
        return False
    return not any(address in network for network in _PRIVATE_NETWORKS)


@dataclass(frozen=True)
class Endpoint:
    """A WireGuard endpoint as Kilo prints it: ``host:port``.

    ``address`` is None for a VM whose public IP the cloud assigns at creation
    time. Then ``host`` is a placeholder such as ``<ali1-public-ip>`` and the
    endpoint counts as public, because the program sets force-endpoint to the
    VM's public IP.
    """

    host: str
    port: int
    address: IPv4Address | None = None
    public: bool = False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class PlannedNode:
    """One cluster node with the values Kilo reads from its Node object."""

    name: str
    # Position in the stack config ``nodes`` list, for error paths.
    index: int
    role: str
    location: str
    # Predicted ``node.spec.podCIDR``; None when the cluster CIDR has run out.
    pod_cidr: IPv4Network | None
    # Kilo's internal IP (force-internal-ip); None puts the node in its own segment.
    private_ip: IPv4Interface | None
    # None when the node has neither a public nor a private IP, so Kilo has no endpoint.
    endpoint: Endpoint | None
    persistent_keepalive: int = 0
    leader_annotation: bool = False

    @property
    def ready(self) -> bool:
        """Whether Kilo would take the node into its topology (pod CIDR and endpoint set)."""
        return self.pod_cidr is not None and self.endpoint is not None


@dataclass(frozen=True)
class KiloPeer:
    """A Kilo Peer (non-node WireGuard client such as an admin laptop)."""

    name: str
    allowed_ips: tuple[IPv4Network, ...]
    endpoint: str | None = None
    persistent_keepalive: int = 0
    has_preshared_key: bool = False


@dataclass(frozen=True)
class PlannedPeer:
    """A Peer after Kilo's deduplication of allowed IPs (Peers in name order)."""

    peer: KiloPeer
    allowed_ips: tuple[IPv4Network, ...]
    # Allowed IPs that an earlier Peer (by name) already claimed; Kilo drops them.
    dropped_ips: tuple[IPv4Network, ...] = ()

    @property
    def name(self) -> str:
        return self.peer.name


@dataclass(frozen=True)
class Segment:
    """One group of nodes behind a single leader and WireGuard IP."""

    key: str
    # Members in name (byte) order, as Kilo sorts them.
    members: tuple[PlannedNode, ...]
    leader_index: int
    # None when the Kilo subnet has no address left for this segment.
    wireguard_ip: IPv4Address | None
    # Pod CIDRs and private /32s of the members, then the WireGuard /32 last.
    allowed_ips: tuple[IPv4Network, ...]

    @property
    def leader(self) -> PlannedNode:
        return self.members[self.leader_index]

    @property
    def endpoint(self) -> Endpoint:
        # Segments hold only ready nodes, so the leader always has an endpoint.
        assert self.leader.endpoint is not None
        return self.leader.endpoint

    @property
    def persistent_keepalive(self) -> int:
        return self.leader.persistent_keepalive


@dataclass(frozen=True)
class Route:
    """One route that kg installs on a node (protocol static, flag onlink)."""

    destination: IPv4Network
    device: str
    gateway: IPv4Address | None = None
    source: IPv4Address | None = None
    # None is the main table.
    table: int | None = None

    def __str__(self) -> str:
        via = "" if self.gateway is None else f" via {_address_text(self.gateway)}"
        src = "" if self.source is None else f" src {_address_text(self.source)}"
        table = "" if self.table is None else f" table {self.table}"
        return f"{_address_text(self.destination)}{via} dev {self.device}{src}{table}"


@dataclass(frozen=True)
class Rule:
    """One policy routing rule that kg adds for encapsulated same-location traffic."""

    destination: IPv4Network
    table: int
    source: IPv4Network | None = None
    input_interface: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.source is not None:
            parts.append(f"from {_address_text(self.source)}")
        if self.input_interface is not None:
            parts.append(f"iif {self.input_interface}")
        parts.append(f"to {_address_text(self.destination)} lookup {self.table}")
        return " ".join(parts)


@dataclass(frozen=True)
class MeshPlan:
    """The whole predicted mesh for one stack config."""

    subnet: IPv4Network
    port: int
    granularity: str
    cluster_cidr: IPv4Network
    # Every configured node in config order, ready or not.
    nodes: tuple[PlannedNode, ...]
    # Segments in Kilo's order (sorted by key); they contain only ready nodes.
    segments: tuple[Segment, ...]
    peers: tuple[PlannedPeer, ...] = ()
    routes: dict[str, tuple[Route, ...]] = field(default_factory=dict)
    rules: dict[str, tuple[Rule, ...]] = field(default_factory=dict)

    def node(self, name: str) -> PlannedNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def segment_of(self, name: str) -> Segment | None:
        for segment in self.segments:
            if any(member.name == name for member in segment.members):
                return segment
        return None

    def is_leader(self, name: str) -> bool:
        segment = self.segment_of(name)
        return segment is not None and segment.leader.name == name

    @property
    def leaders(self) -> tuple[PlannedNode, ...]:
        return tuple(segment.leader for segment in self.segments)
