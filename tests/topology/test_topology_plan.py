"""Planner values: segments, leaders, WireGuard IPs, AllowedIPs, endpoints and routes."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from components.topology import KiloPeer, plan_mesh, predict_pod_cidrs
from topology_testdata import (
    cluster,
    example_cluster,
    example_peers,
    k3s_settings,
    node,
    dev_cluster,
    dev_nodes,
    dev_vm_cluster,
    vm,
)

net = ipaddress.ip_network
addr = ipaddress.ip_address


def _main_routes(plan, name):
    return {(str(r.destination), str(r.gateway), r.device) for r in plan.routes[name] if r.table is None}


def test_dev_stack_wireguard_ips_per_location():
    plan = plan_mesh(dev_cluster())

    wireguard_ips = {segment.key: str(segment.wireguard_ip) for segment in plan.segments}
    assert wireguard_ips == {
        "location:aliyun": "10.4.0.1",
        "location:baidu": "10.4.0.2",
        "location:ctyun": "10.4.0.3",
        "location:huaweicloud": "10.4.0.4",
        "location:tencentcloud": "10.4.0.5",
    }
    assert [segment.key for segment in plan.segments] == sorted(wireguard_ips)


def test_dev_stack_bd1_leads_baidu_and_bd2_follows():
    plan = plan_mesh(dev_cluster())

    baidu = plan.segment_of("bd2")
    assert baidu.key == "location:baidu"
    assert baidu.leader.name == "bd1"
    assert plan.is_leader("bd1")
    assert not plan.is_leader("bd2")
    assert [leader.name for leader in plan.leaders] == ["ali1", "bd1", "ty1", "hw1", "tx1"]


def test_dev_stack_pod_cidrs_follow_registration_order():
    pod_cidrs = predict_pod_cidrs(dev_cluster())

    assert {name: str(cidr) for name, cidr in pod_cidrs.items()} == {
        "ty1": "10.42.0.0/24",
        "hw1": "10.42.1.0/24",
        "tx1": "10.42.2.0/24",
        "ali1": "10.42.3.0/24",
        "bd1": "10.42.4.0/24",
        "bd2": "10.42.5.0/24",
    }


def test_pod_cidrs_servers_before_agents():
    nodes = [
        node("a1", "agent", "x", "10.0.0.1/24"),
        node("s1", "server", "x", "10.0.0.2/24"),
        node("s2", "server", "x", "10.0.0.3/24"),
    ]

    pod_cidrs = predict_pod_cidrs(cluster(nodes))

    assert pod_cidrs["s1"] == net("10.42.0.0/24")
    assert pod_cidrs["s2"] == net("10.42.1.0/24")
    assert pod_cidrs["a1"] == net("10.42.2.0/24")


def test_dev_stack_baidu_allowed_ips_in_member_order():
    plan = plan_mesh(dev_cluster())

    baidu = plan.segment_of("bd1")
    assert [str(network) for network in baidu.allowed_ips] == [
        "10.42.4.0/24", "192.168.64.4/32", "10.42.5.0/24", "192.168.64.5/32", "10.4.0.2/32",
    ]


def test_dev_stack_ty1_routes_match_kilo():
    plan = plan_mesh(dev_cluster())

    # The kilo0 routes that `route -n` showed on ty1 in a running cluster with this config.
    assert _main_routes(plan, "ty1") == {
        ("10.42.1.0/24", "10.4.0.4", "kilo0"),
        ("10.42.2.0/24", "10.4.0.5", "kilo0"),
        ("10.42.3.0/24", "10.4.0.1", "kilo0"),
        ("10.42.4.0/24", "10.4.0.2", "kilo0"),
        ("10.42.5.0/24", "10.4.0.2", "kilo0"),
        ("172.17.0.3/32", "10.4.0.5", "kilo0"),
        ("172.21.143.136/32", "10.4.0.1", "kilo0"),
        ("192.168.7.226/32", "10.4.0.4", "kilo0"),
        ("192.168.64.4/32", "10.4.0.2", "kilo0"),
        ("192.168.64.5/32", "10.4.0.2", "kilo0"),
    }
    assert all(route.source == addr("192.168.1.226") for route in plan.routes["ty1"])


def test_dev_stack_bd2_routes_through_bd1():
    plan = plan_mesh(dev_cluster())

    routes = _main_routes(plan, "bd2")
    via_bd1 = [
        "10.4.0.1/32", "10.4.0.2/32", "10.4.0.3/32", "10.4.0.4/32", "10.4.0.5/32",
        "10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24", "10.42.3.0/24", "10.42.4.0/24",
        "172.17.0.3/32", "172.21.143.136/32", "192.168.1.226/32", "192.168.7.226/32",
    ]
    assert routes == {(destination, "192.168.64.4", "tunl0") for destination in via_bd1}
    assert not any(route.device == "kilo0" for route in plan.routes["bd2"])


def test_dev_stack_bd1_reaches_bd2_pods_over_tunl0():
    plan = plan_mesh(dev_cluster())

    assert ("10.42.5.0/24", "192.168.64.5", "tunl0") in _main_routes(plan, "bd1")
    rules = {str(rule) for rule in plan.rules["bd1"]}
    assert rules == {
        "from 10.42.4.0/24 to 192.168.64.5/32 lookup 1107",
        "iif kilo0 to 192.168.64.5/32 lookup 1107",
    }


def test_dev_stack_leaders_use_force_endpoints():
    plan = plan_mesh(dev_cluster())

    endpoints = {segment.leader.name: str(segment.endpoint) for segment in plan.segments}
    assert endpoints["ty1"] == "203.0.113.10:51820"
    assert endpoints["bd1"] == "198.51.100.40:51820"
    assert plan.node("bd2").endpoint.public is False
    assert str(plan.node("bd2").endpoint) == "192.168.64.5:51820"


def test_vm_endpoint_is_public_placeholder():
    plan = plan_mesh(dev_vm_cluster())

    ali1 = plan.node("ali1")
    assert str(ali1.endpoint) == "<ali1-public-ip>:51820"
    assert ali1.endpoint.public
    assert plan.is_leader("ali1")


def test_vm_placeholder_wins_leader_over_private_node():
    nodes = [
        node("a-1", "server", "x", "10.1.0.1/24"),
        node("a-2", "agent", "x", "10.1.0.2/24", cloud="alicloud", vm=vm()),
    ]

    plan = plan_mesh(cluster(nodes))

    assert plan.segment_of("a-1").leader.name == "a-2"


def test_leader_prefers_public_annotated_node():
    nodes = [
        node("n-1", "server", "x", "10.1.0.1/24", "203.0.113.1"),
        node("n-2", "agent", "x", "10.1.0.2/24", None, kilo_leader=True),
        node("n-3", "agent", "x", "10.1.0.3/24", "203.0.113.3", kilo_leader=True),
    ]

    assert plan_mesh(cluster(nodes)).segments[0].leader.name == "n-3"


def test_leader_annotation_beats_public_endpoint():
    nodes = [
        node("n-1", "server", "x", "10.1.0.1/24", "203.0.113.1"),
        node("n-2", "agent", "x", "10.1.0.2/24", None, kilo_leader=True),
    ]

    assert plan_mesh(cluster(nodes)).segments[0].leader.name == "n-2"


def test_leader_defaults_to_first_name():
    nodes = [
        node("n-b", "server", "x", "10.1.0.2/24"),
        node("n-a", "agent", "x", "10.1.0.1/24"),
    ]

    plan = plan_mesh(cluster(nodes))

    assert plan.segments[0].leader.name == "n-a"
    assert [member.name for member in plan.segments[0].members] == ["n-a", "n-b"]


def test_node_without_private_ip_own_segment():
    nodes = dev_nodes() + [node("bd3", "agent", "baidu", None, "198.51.100.41", 20)]

    plan = plan_mesh(cluster(nodes))

    keys = [segment.key for segment in plan.segments]
    assert keys[-1] == "node:bd3"
    assert plan.segment_of("bd3").wireguard_ip == addr("10.4.0.6")
    assert plan.segment_of("bd3").allowed_ips == (net("10.42.6.0/24"), net("10.4.0.6/32"))


def test_full_granularity_one_segment_per_node():
    plan = plan_mesh(dev_cluster(granularity="full"))

    assert [segment.key for segment in plan.segments] == [
        "node:ali1", "node:bd1", "node:bd2", "node:hw1", "node:tx1", "node:ty1",
    ]
    assert [str(segment.wireguard_ip) for segment in plan.segments] == [
        "10.4.0.1", "10.4.0.2", "10.4.0.3", "10.4.0.4", "10.4.0.5", "10.4.0.6",
    ]
    assert all(plan.is_leader(n.name) for n in plan.nodes)


def test_full_granularity_skips_private_route_equal_to_endpoint():
    plan = plan_mesh(dev_cluster(granularity="full"))

    # bd2's endpoint is its private IP, so kg adds no route to 192.168.64.5/32 through bd2.
    destinations = {str(route.destination) for route in plan.routes["ty1"]}
    assert "10.42.5.0/24" in destinations
    assert "192.168.64.5/32" not in destinations
    assert "192.168.64.4/32" in destinations


def test_subnet_allocation_starts_after_network_address():
    plan = plan_mesh(dev_cluster(subnet=net("10.5.0.0/24")))

    assert [str(segment.wireguard_ip) for segment in plan.segments] == [
        "10.5.0.1", "10.5.0.2", "10.5.0.3", "10.5.0.4", "10.5.0.5",
    ]


def test_subnet_exhaustion_leaves_segments_without_ip():
    plan = plan_mesh(dev_cluster(subnet=net("10.4.0.0/30")))

    # Kilo hands out .1, .2 and the broadcast address .3, then runs out.
    assert [str(segment.wireguard_ip) for segment in plan.segments] == [
        "10.4.0.1", "10.4.0.2", "10.4.0.3", "None", "None",
    ]
    assert plan.segments[3].allowed_ips[-1] == net("192.168.7.226/32")


def test_cluster_cidr_exhaustion_leaves_nodes_out():
    small = replace(k3s_settings(), cluster_cidr=net("10.42.0.0/23"))

    plan = plan_mesh(cluster(dev_nodes(), k3s=small))

    assert [n.name for n in plan.nodes if n.ready] == ["ty1", "hw1"]
    assert plan.segment_of("bd2") is None


def test_peers_sorted_and_deduplicated():
    peers = [
        KiloPeer("zz", (net("10.5.0.1/32"), net("10.5.0.3/32"))),
        KiloPeer("aa", (net("10.5.0.1/32"), net("10.5.0.2/32"), net("10.5.0.2/32"))),
    ]

    plan = plan_mesh(example_cluster(), peers)

    assert [peer.name for peer in plan.peers] == ["aa", "zz"]
    assert plan.peers[0].allowed_ips == (net("10.5.0.1/32"), net("10.5.0.2/32"))
    assert plan.peers[1].allowed_ips == (net("10.5.0.3/32"),)
    assert plan.peers[1].dropped_ips == (net("10.5.0.1/32"),)


def test_example_peer_routes_on_leader_and_member():
    plan = plan_mesh(example_cluster(), example_peers())

    leader_routes = [r for r in plan.routes["ali-1"] if r.destination == net("10.5.0.1/32")]
    member_routes = [r for r in plan.routes["ali-2"] if r.destination == net("10.5.0.1/32")]
    assert [str(r) for r in leader_routes] == ["10.5.0.1/32 dev kilo0 src 172.16.0.10"]
    assert [str(r) for r in member_routes] == ["10.5.0.1/32 via 172.16.0.10 dev tunl0 src 172.16.0.11"]


def test_supplied_private_ip_for_vm():
    nodes = [
        node("a-1", "server", "x", "10.1.0.1/24", "203.0.113.1"),
        node("a-2", "agent", "x", None, cloud="alicloud", vm=vm()),
    ]

    plan = plan_mesh(cluster(nodes), private_ips={"a-2": ipaddress.ip_interface("10.1.0.2/24")})

    assert [segment.key for segment in plan.segments] == ["location:x"]
    assert plan.node("a-2").private_ip == ipaddress.ip_interface("10.1.0.2/24")


@pytest.mark.parametrize("public_ip, expected", [
    ("203.0.113.5", True),
    ("100.64.0.1", True),
    ("172.31.0.1", False),
    ("172.32.0.1", True),
    ("192.168.3.3", False),
])
def test_endpoint_public_rule(public_ip, expected):
    nodes = [node("n-1", "server", "x", "10.1.0.1/24", public_ip)]

    plan = plan_mesh(cluster(nodes))

    assert plan.node("n-1").endpoint.public is expected


def test_vm_private_ip_derived_by_cloud_module():
    from components.clouds import planned_private_ips

    nodes = [
        node("a-1", "server", "x", None, cloud="alicloud", vm=vm()),
        node("a-2", "agent", "x", None, cloud="alicloud", vm=vm()),
        node("t-1", "agent", "y", "10.30.0.5/24", "203.0.113.7"),
    ]
    config = cluster(nodes)

    plan = plan_mesh(config)

    derived = planned_private_ips(config)
    assert plan.node("a-1").private_ip == derived["a-1"]
    assert plan.node("a-2").private_ip == derived["a-2"]
    assert [segment.key for segment in plan.segments] == ["location:x", "location:y"]
