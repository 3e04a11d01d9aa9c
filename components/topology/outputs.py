"""Plain-text views of the plan: a summary table and the stack outputs.

Stack outputs stay in English whatever the locale of the person running
``pulumi preview``, so a preview diff only shows changes of the mesh itself.
"""

from __future__ import annotations

from components.config.model import ClusterConfig
from components.i18n import pick
from components.topology.dot import render_graph
from components.topology.model import MeshPlan
from components.topology.planner import POD_CIDR_PREFIX, plan_mesh
from components.topology.showconf import render_showconf


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def render_summary(plan: MeshPlan, locale: str | None = "en", *, routes: bool = True) -> str:
    """Return a table of segments and nodes, then (with ``routes``) the routes of every node."""
    lines = [
        pick(
            f"# Kilo 0.7.0 mesh plan: granularity {plan.granularity}, subnet {plan.subnet}, port {plan.port}",
            f"# Kilo 0.7.0 网格规划：粒度 {plan.granularity}，子网 {plan.subnet}，端口 {plan.port}",
            locale,
        ),
        pick(
            f"# Pod CIDRs are predicted: K3s gives each node the next /{POD_CIDR_PREFIX} of {plan.cluster_cidr} "
            "as it registers (servers first, then agents, each in config order).",
            f"# Pod CIDR 为预测值：K3s 按注册顺序（先 server 后 agent，各自按配置顺序）为每个节点分配 "
            f"{plan.cluster_cidr} 中的下一个 /{POD_CIDR_PREFIX}。",
            locale,
        ),
        "",
    ]

    rows = [["segment", "node", "leader", "pod-cidr", "private-ip", "wireguard-ip", "endpoint", "keepalive"]]
    for segment in plan.segments:
        for member in segment.members:
            is_leader = member is segment.leader
            wireguard = f"{segment.wireguard_ip}/{plan.subnet.prefixlen}" if is_leader and segment.wireguard_ip else "-"
            rows.append([
                segment.key,
                member.name,
                "yes" if is_leader else "no",
                str(member.pod_cidr),
                str(member.private_ip.ip) if member.private_ip else "-",
                wireguard,
                str(member.endpoint) if is_leader else "-",
                str(member.persistent_keepalive),
            ])
    lines += _table(rows)

    left_out = [node.name for node in plan.nodes if not node.ready]
    if left_out:
        lines += ["", pick("# Left out of the mesh: ", "# 不在网格中：", locale) + ", ".join(left_out)]

    if not routes:
        return "\n".join(lines) + "\n"

    for segment in plan.segments:
        for member in segment.members:
            lines += ["", f"routes {member.name}:"]
            lines += [f"  {route}" for route in plan.routes.get(member.name, ())]
            lines += [f"  rule {rule}" for rule in plan.rules.get(member.name, ())]
    return "\n".join(lines) + "\n"


def render_all_showconf(plan: MeshPlan) -> str:
    """Return every leader's ``kgctl showconf node`` text, each under a comment with the command."""
    sections = []
    for segment in plan.segments:
        name = segment.leader.name
        sections.append(f"# kgctl showconf node {name}\n{render_showconf(plan, name)}")
    return "\n".join(sections)


def plan_outputs(cluster: ClusterConfig, plan: MeshPlan | None = None) -> dict[str, str]:
    """Return the stack outputs that show the planned mesh: DOT graph, leader configs, summary.

    ``plan`` is ``plan_mesh(cluster)`` when the caller already has it; planning
    costs O(N^2) in the number of nodes, so the program plans once. Keys are
    placeholders, so none of the values is secret. ``meshPlan`` leaves out the
    per-node routes: they grow with the square of the node count (about 12 MB
    of state at 300 nodes), and the CLI's ``plan`` command prints them.
    """
    if plan is None:
        plan = plan_mesh(cluster)
    return {
        "meshGraph": render_graph(plan),
        "meshConf": render_all_showconf(plan),
        "meshPlan": render_summary(plan, "en", routes=False),
    }
