"""Render the plan as DOT, byte for byte like ``kgctl graph`` of Kilo 0.7.0.

kgctl builds the graph with gographviz 2.0.3 and prints it with Println. The
layout rules that matter:

- graph attributes sorted by name, then edges in insertion order (leader to
  each member per segment, the full mesh of leaders, every leader to every
  Peer), then subgraphs sorted by their quoted name;
- each statement is ``\\t<stmt>;\\n``; a subgraph ends with ``\\n}\\n`` and the
  outer statement list adds ``;``;
- node labels join their lines with a literal backslash-n, and a Peer label
  ends with a real newline before the closing quote.
"""

from __future__ import annotations

from components.topology.model import MeshPlan, PlannedNode, PlannedPeer, Segment


def _quote(text: str) -> str:
    return f'"{text}"'


def _statement_list(statements: list[str]) -> str:
    return "".join(f"\t{statement};\n" for statement in statements)


def _node_label(segment: Segment, node: PlannedNode) -> str:
    assert node.pod_cidr is not None
    lines = [segment.key, node.name, str(node.pod_cidr)]
    if node.private_ip is not None:
        lines.append(str(node.private_ip.ip))
    if node is segment.leader:
        if segment.wireguard_ip is not None:
            lines.append(str(segment.wireguard_ip))
        lines.append(str(segment.endpoint))
    return _quote("\\n".join(lines))


def _peer_label(peer: PlannedPeer) -> str:
    endpoint = peer.peer.endpoint or ""
    return _quote(f"{peer.name}\\n{endpoint}\n")


def _subgraph(name: str, label: str, nodes: list[str]) -> str:
    statements = [f"label={_quote(label)}", 'style="dashed,rounded"'] + nodes
    return f"subgraph {_quote(name)} {{\n{_statement_list(statements)}\n}}\n"


def render_graph(plan: MeshPlan) -> str:
    """Return the DOT text that ``kgctl graph`` prints for this mesh, final newline included."""
    statements = [
        f"label={_quote(str(plan.subnet))}",
        "labelloc=t",
        "outputorder=nodesfirst",
        "overlap=false",
    ]

    for segment in plan.segments:
        for member in segment.members:
            if member is not segment.leader:
                statements.append(f"{_quote(segment.leader.name)}->{_quote(member.name)}[ dir=both ]")
    leaders = [segment.leader.name for segment in plan.segments]
    for i, source in enumerate(leaders):
        for target in leaders[i + 1:]:
            statements.append(f"{_quote(source)}->{_quote(target)}[ dir=both ]")
    for leader in leaders:
        for peer in plan.peers:
            statements.append(f"{_quote(leader)}->{_quote(peer.name)}[ dir=both, style=dashed ]")

    subgraphs: list[tuple[str, str]] = []
    for segment in plan.segments:
        nodes = []
        for member in sorted(segment.members, key=lambda m: _quote(m.name).encode()):
            attributes = [f"label={_node_label(segment, member)}"]
            if member is segment.leader:
                attributes.append("rank=1")
            attributes.append("shape=ellipse")
            nodes.append(f"{_quote(member.name)} [ {', '.join(attributes)} ]")
        name = f"cluster_location_{segment.key}"
        subgraphs.append((_quote(name), _subgraph(name, segment.key, nodes)))
    peer_nodes = [
        f"{_quote(peer.name)} [ label={_peer_label(peer)}, shape=ellipse ]"
        for peer in sorted(plan.peers, key=lambda p: _quote(p.name).encode())
    ]
    subgraphs.append((_quote("cluster_peers"), _subgraph("cluster_peers", "peers", peer_nodes)))
    statements += [text for _, text in sorted(subgraphs, key=lambda item: item[0].encode())]

    # The graph ends with "\n}\n" and Println adds one more newline.
    return f"digraph kilo {{\n{_statement_list(statements)}\n}}\n\n"
