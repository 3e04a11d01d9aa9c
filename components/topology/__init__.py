"""Kilo mesh planner: predict what Kilo 0.7.0 builds from the stack config.

``plan_mesh`` computes segments, leaders, WireGuard IPs, AllowedIPs, endpoints
and routes. ``check_plan`` reports problems like config errors. The renderers
print the plan in the formats of ``kgctl graph`` (DOT) and ``kgctl showconf`` (INI).
"""

from components.topology.checks import check_plan
from components.topology.dot import render_graph
from components.topology.model import (
    Endpoint,
    KiloPeer,
    MeshPlan,
    PlannedNode,
    PlannedPeer,
    Route,
    Rule,
    Segment,
)
from components.topology.outputs import plan_outputs, render_all_showconf, render_summary
from components.topology.planner import plan_mesh, predict_pod_cidrs
from components.topology.showconf import NotALeaderError, render_showconf

__all__ = [
    "Endpoint",
    "KiloPeer",
    "MeshPlan",
    "NotALeaderError",
    "PlannedNode",
    "PlannedPeer",
    "Route",
    "Rule",
    "Segment",
    "check_plan",
    "plan_mesh",
    "plan_outputs",
    "predict_pod_cidrs",
    "render_all_showconf",
    "render_graph",
    "render_showconf",
    "render_summary",
]
