"""Bring planned meshes up with wireguard-go in network namespaces and ping across locations.

Needs root and /dev/net/tun; the Debian packages wireguard-go, wireguard-tools,
iputils-ping and nftables provide the tools.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal

import pytest

from components.errors import IssueCollector
from components.topology import check_plan, plan_mesh
from netns_lab import REQUIRED_TOOLS, MeshLab
from topology_testdata import nat_cluster, dev_cluster

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not os.path.exists("/dev/net/tun"), reason="wireguard-go needs /dev/net/tun"),
]


@pytest.fixture
def make_lab(tmp_path):
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    assert not missing, (f"missing tools {missing}; install the Debian packages wireguard-go wireguard-tools "
                         "iputils-ping nftables iproute2")
    labs = []

    # A runner's timeout sends SIGTERM. Turning it into KeyboardInterrupt lets
    # pytest run this teardown, so no namespace or wireguard-go stays behind.
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous_handler = signal.signal(signal.SIGTERM, interrupt)

    def make(plan, vm_public_ips=None):
        lab = MeshLab(plan, tmp_path, dict(vm_public_ips or {}))
        labs.append(lab)
        lab.up()
        return lab

    try:
        yield make
    finally:
        errors = [error for lab in labs for error in lab.down()]
        signal.signal(signal.SIGTERM, previous_handler)
    assert not errors, f"cleanup failed: {errors}"


def _mismatches(results):
    """Pings whose outcome differs from what the plan's routes predict."""
    return [f"{r.source} -> {r.target_node} {r.kind} {r.address}: expected "
            f"{'reply' if r.expected else 'no reply'}, got {'reply' if r.ok else 'no reply'}"
            for r in results if r.ok != r.expected]


def _location_pairs(plan, results, kinds):
    location = {node.name: node.location for node in plan.nodes}
    return {(location[r.source], location[r.target_node]) for r in results if r.ok and r.kind in kinds}


def _all_location_pairs(plan):
    locations = sorted({node.location for node in plan.nodes})
    return set(itertools.permutations(locations, 2))


def test_dev_stack_mesh_pings_every_location_pair(make_lab):
    plan = plan_mesh(dev_cluster())
    collector = IssueCollector()
    check_plan(plan, collector)
    assert collector.issues == []

    lab = make_lab(plan)
    results = lab.ping_all()

    assert _mismatches(results) == [], "\n" + lab.wireguard_show("bd1")
    assert all(r.expected for r in results)
    assert _location_pairs(plan, results, {"wireguard-ip"}) == _all_location_pairs(plan)
    assert _location_pairs(plan, results, {"private-ip"}) == _all_location_pairs(plan)
    assert _location_pairs(plan, results, {"pod"}) == _all_location_pairs(plan)
    bd2_targets = {(r.target_node, r.kind) for r in results if r.source == "bd2"}
    assert ("ty1", "wireguard-ip") in bd2_targets
    assert ("bd2", "private-ip") in {(r.target_node, r.kind) for r in results if r.source == "ty1"}


def test_dev_stack_mesh_bd2_needs_route_via_bd1(make_lab):
    plan = plan_mesh(dev_cluster())
    lab = make_lab(plan)
    assert lab.ping("bd2", plan.segment_of("ty1").wireguard_ip)

    lab.ip(lab.namespace("bd2"), "route", "del", "10.4.0.3/32")

    assert not lab.ping("bd2", plan.segment_of("ty1").wireguard_ip, attempts=1)


def test_nat_leader_mesh_pings_every_location_pair(make_lab):
    plan = plan_mesh(nat_cluster())
    collector = IssueCollector()
    check_plan(plan, collector)
    assert collector.issues == []

    lab = make_lab(plan, {"ali-1": "203.0.113.51"})
    results = lab.ping_all()

    assert _mismatches(results) == [], "\n" + lab.wireguard_show("tc-1")
    assert _location_pairs(plan, results, {"wireguard-ip"}) == _all_location_pairs(plan)
    # home-1's endpoint is its private IP, so kg adds no route to that IP on
    # other nodes. Traffic to it, and replies to traffic that home-1 sends from
    # it, get lost; pods and WireGuard IPs still reach each other.
    unreachable = {(r.source, r.target_node, r.kind) for r in results if not r.expected}
    assert ("tc-1", "home-1", "private-ip") in unreachable
    assert ("home-1", "tc-1", "pod") in unreachable
    assert ("tc-1", "home-1", "pod") not in unreachable
    assert ("ali-2", "home-1", "wireguard-ip") not in unreachable
