"""Plan checks: each has a config that fails it and one that passes."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from components.errors import ConfigErrors, IssueCollector
from components.topology import KiloPeer, check_plan, plan_mesh
from topology_testdata import (
    cluster,
    example_cluster,
    example_peers,
    k3s_settings,
    node,
    dev_cluster,
    dev_nodes,
    vm,
)

net = ipaddress.ip_network


def _issues(config, peers=(), service_cidr=None):
    collector = IssueCollector()
    check_plan(plan_mesh(config, peers), collector, service_cidr)
    return collector.issues


def _paths(issues):
    return [issue.path for issue in issues]


def _dev_with(**changes_by_name):
    nodes = []
    for planned in dev_nodes():
        nodes.append(replace(planned, **changes_by_name.get(planned.name, {})))
    return nodes


def test_dev_stack_plan_passes_all_checks():
    assert _issues(dev_cluster(), service_cidr=net("10.43.0.0/16")) == []


def test_example_plan_passes_all_checks():
    assert _issues(example_cluster(), example_peers(), net("10.43.0.0/16")) == []


# Exactly one leader per location.

def test_location_split_by_missing_private_ip_fails():
    nodes = dev_nodes() + [node("bd3", "agent", "baidu", None, "198.51.100.41", 20)]

    issues = _issues(cluster(nodes))

    assert _paths(issues) == ["nodes[6].privateIp"]
    assert "location baidu gets 2 leaders (bd1, bd3)" in issues[0].message_en
    assert "位置 baidu 会有 2 个 leader" in issues[0].message_zh


def test_location_with_private_ips_has_one_leader():
    nodes = dev_nodes() + [node("bd3", "agent", "baidu", "192.168.64.6/20", "198.51.100.41", 20)]

    assert _issues(cluster(nodes)) == []


def test_two_kilo_leaders_in_location_fail():
    nodes = _dev_with(bd1={"kilo_leader": True}, bd2={"kilo_leader": True})

    issues = _issues(cluster(nodes))

    assert _paths(issues) == ["nodes[5].kiloLeader"]
    assert issues[0].value is True
    assert "Kilo makes bd1 the leader" in issues[0].message_en


def test_one_kilo_leader_in_location_passes():
    assert _issues(cluster(_dev_with(bd2={"kilo_leader": True}))) == []


def test_full_granularity_skips_location_leader_check():
    nodes = _dev_with(bd1={"kilo_leader": True}, bd2={"kilo_leader": True})

    assert _issues(cluster(nodes, granularity="full")) == []


# Every pair of leaders can reach each other.

def test_private_leader_without_keepalive_fails():
    nodes = _dev_with(bd1={"public_ip": None, "persistent_keepalive": None})

    issues = _issues(cluster(nodes))

    assert _paths(issues) == ["nodes[4].persistentKeepalive"]
    assert "192.168.64.4:51820" in issues[0].message_en
    assert "persistentKeepalive" in issues[0].message_zh


def test_private_leader_with_keepalive_passes():
    nodes = _dev_with(bd1={"public_ip": None})

    assert _issues(cluster(nodes)) == []


def test_two_private_leaders_fail():
    nodes = _dev_with(bd1={"public_ip": None}, ty1={"public_ip": None})

    issues = _issues(cluster(nodes))

    assert _paths(issues) == ["nodes[0].publicIp"]
    assert "leaders bd1 (192.168.64.4:51820) and ty1 (192.168.1.226:51820)" in issues[0].message_en


def test_private_leader_pair_passes_when_vm_is_public():
    nodes = _dev_with(ty1={"public_ip": None, "cloud": "alicloud", "vm": vm()})

    assert _issues(cluster(nodes)) == []


# No AllowedIP claimed twice.

def test_duplicate_private_ip_across_locations_fails():
    nodes = _dev_with(hw1={"private_ip": ipaddress.ip_interface("192.168.1.226/24")})

    issues = _issues(cluster(nodes))

    assert _paths(issues) == ["nodes[1].privateIp"]
    assert issues[0].value == "192.168.1.226/32"
    assert "private IP of ty1" in issues[0].message_en


def test_kilo_subnet_inside_cluster_cidr_fails():
    issues = _issues(dev_cluster(subnet=net("10.42.0.0/16")))

    # Each WireGuard IP lands in a pod CIDR: 10.42.0.1 (ali1) in ty1's 10.42.0.0/24, and so on.
    assert len(issues) == 5
    assert set(_paths(issues)) == {"kilo.subnet", "k3s.clusterCidr"}
    messages = [issue.message_en for issue in issues]
    assert any("WireGuard IP of ali1" in m and "pod CIDR of ty1" in m for m in messages)


def test_peer_claiming_node_address_fails():
    peers = [KiloPeer("laptop", (net("10.42.4.7/32"),))]

    issues = _issues(dev_cluster(), peers)

    assert _paths(issues) == ["peers.laptop.allowedIPs"]


def test_two_peers_same_ip_fail():
    peers = [KiloPeer("a", (net("10.5.0.1/32"),)), KiloPeer("b", (net("10.5.0.1/32"),))]

    issues = _issues(dev_cluster(), peers)

    assert _paths(issues) == ["peers.b.allowedIPs"]


def test_distinct_peer_ips_pass():
    peers = [KiloPeer("a", (net("10.5.0.1/32"),)), KiloPeer("b", (net("10.5.0.2/32"),))]

    assert _issues(dev_cluster(), peers) == []


def test_private_ip_in_service_cidr_fails():
    nodes = _dev_with(tx1={"private_ip": ipaddress.ip_interface("10.43.0.3/20")})

    issues = _issues(cluster(nodes), service_cidr=net("10.43.0.0/16"))

    assert _paths(issues) == ["nodes[2].privateIp"]
    assert "service CIDR 10.43.0.0/16" in issues[0].message_en


# The Kilo subnet is large enough.

def test_subnet_too_small_fails():
    issues = _issues(dev_cluster(subnet=net("10.4.0.0/30")))

    assert _paths(issues) == ["kilo.subnet"]
    assert issues[0].value == "10.4.0.0/30"
    assert "2 usable addresses but the mesh has 5 segments" in issues[0].message_en
    assert "/29" in issues[0].message_en


def test_subnet_just_large_enough_passes():
    # A /29 has 6 usable addresses for 5 segments.
    assert _issues(dev_cluster(subnet=net("10.4.0.0/29"))) == []


def test_subnet_broadcast_address_not_counted():
    # A /29 has 8 addresses; 6 segments fit, 7 would need the broadcast address.
    nodes = dev_nodes() + [node("z-1", "agent", "zz", "10.9.0.1/24", "203.0.113.99")]
    assert _issues(cluster(nodes, subnet=net("10.4.0.0/29"))) == []

    nodes.append(node("z-2", "agent", "zzz", "10.9.1.1/24", "203.0.113.98"))
    assert _paths(_issues(cluster(nodes, subnet=net("10.4.0.0/29")))) == ["kilo.subnet"]


# Nodes that Kilo leaves out of the mesh.

def test_cluster_cidr_too_small_fails():
    small = replace(k3s_settings(), cluster_cidr=net("10.42.0.0/23"))

    issues = _issues(cluster(dev_nodes(), k3s=small))

    assert _paths(issues) == ["k3s.clusterCidr"] * 4
    assert "no /24 pod CIDR left for node tx1" in issues[0].message_en


def test_node_without_addresses_fails():
    nodes = dev_nodes() + [node("lost", "agent", "baidu", None)]

    issues = _issues(cluster(nodes))

    assert _paths(issues) == ["nodes[6].privateIp"]
    assert "neither publicIp nor privateIp" in issues[0].message_en


def test_vm_without_private_ip_fails():
    nodes = dev_nodes() + [node("ali2", "agent", "aliyun", None, cloud="alicloud", vm=vm())]

    # An empty mapping stands for a cloud module that could not derive the address.
    collector = IssueCollector()
    check_plan(plan_mesh(cluster(nodes), private_ips={}), collector)
    issues = collector.issues

    assert "nodes[6].privateIp" in _paths(issues)
    assert "not known before deployment" in issues[0].message_en


def test_vm_with_private_ip_passes():
    nodes = dev_nodes() + [node("ali2", "agent", "aliyun", "172.21.143.137/20", cloud="alicloud", vm=vm())]

    assert _issues(cluster(nodes)) == []


def test_issues_render_both_languages():
    collector = IssueCollector()
    check_plan(plan_mesh(dev_cluster(subnet=net("10.4.0.0/30"))), collector)

    with pytest.raises(ConfigErrors) as error:
        collector.raise_if_any()
    assert "kilo.subnet = '10.4.0.0/30'" in error.value.render("en")
    assert "Kilo 子网只有 2 个可用地址" in error.value.render("zh")


def test_overlapping_pairs_match_brute_force():
    import itertools
    import random

    from components.topology.checks import _overlapping_pairs

    generator = random.Random(7)
    for _ in range(200):
        networks = []
        for _ in range(generator.randint(0, 12)):
            prefix = generator.choice((8, 16, 20, 24, 24, 32, 32))
            address = generator.choice((0x0A000000, 0x0A2C0000, 0xC0A80000)) + generator.randrange(1 << 12) * 256
            networks.append(ipaddress.IPv4Network((address, prefix), strict=False))
        expected = [(i, j) for i, j in itertools.combinations(range(len(networks)), 2)
                    if networks[i].overlaps(networks[j])]

        assert _overlapping_pairs(networks) == expected, networks
