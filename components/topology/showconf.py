"""Render a leader's WireGuard config like ``kgctl showconf node NAME`` of Kilo 0.7.0.

The layout follows ``Conf.Bytes`` in Kilo's ``pkg/wireguard/conf.go``. It
starts with ``[Interface]`` and only ``ListenPort``, because kgctl passes a
zero private key and so prints no PrivateKey line. Then comes one ``[Peer]``
per other segment in segment order and one per Kilo Peer in name order, each
after a blank line. Keys appear in the order AllowedIPs, Endpoint,
PersistentKeepalive (always), PresharedKey, PublicKey. Key values are
placeholders: ``<name>`` is the public key of the segment leader or Peer
named ``name``.
"""

from __future__ import annotations

from components.topology.model import MeshPlan


class NotALeaderError(Exception):
    """The node is not a segment leader, so it has no WireGuard config of its own."""

    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        # Same wording as kgctl, which prints it on stderr and exits 0.
        super().__init__(f'Node "{node_name}" is not a leader node')


def public_key_placeholder(name: str) -> str:
    return f"<{name}>"


def preshared_key_placeholder(name: str) -> str:
    return f"<{name}-preshared-key>"


def _peer_section(allowed_ips: list[str], endpoint: str | None, keepalive: int,
                  public_key: str, preshared_key: str | None = None) -> str:
    lines = ["[Peer]"]
    if allowed_ips:
        lines.append(f"AllowedIPs = {', '.join(allowed_ips)}")
    if endpoint:
        lines.append(f"Endpoint = {endpoint}")
    lines.append(f"PersistentKeepalive = {keepalive}")
    if preshared_key:
        lines.append(f"PresharedKey = {preshared_key}")
    lines.append(f"PublicKey = {public_key}")
    return "\n".join(lines) + "\n"


def render_showconf(plan: MeshPlan, node_name: str) -> str:
    """Return the INI text that ``kgctl showconf node NODE_NAME`` prints.

    Raises KeyError for an unknown node and NotALeaderError for a node that
    is not a segment leader (including nodes Kilo would leave out of the mesh).
    """
    node = plan.node(node_name)
    own = plan.segment_of(node_name)
    if own is None or own.leader.name != node_name:
        raise NotALeaderError(node_name)

    # kgctl writes its --port flag here; the program runs every node on the Kilo port.
    sections = [f"[Interface]\nListenPort = {plan.port}\n"]
    keepalive = node.persistent_keepalive
    for segment in plan.segments:
        if segment is own:
            continue
        sections.append(_peer_section(
            [str(network) for network in segment.allowed_ips],
            str(segment.endpoint),
            keepalive,
            public_key_placeholder(segment.leader.name),
        ))
    for peer in plan.peers:
        sections.append(_peer_section(
            [str(network) for network in peer.allowed_ips],
            peer.peer.endpoint,
            keepalive,
            public_key_placeholder(peer.name),
            preshared_key_placeholder(peer.name) if peer.peer.has_preshared_key else None,
        ))
    return "\n".join(sections)
