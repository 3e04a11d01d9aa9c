"""The rule table, its resolution per security group and its translation per cloud."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from components.config.model import FirewallSettings
from components.errors import IssueCollector
from components.firewall import (
    RULES,
    NodeAddress,
    Source,
    check_admin_cidrs,
    parse_firewall_settings,
    combine_single_ports,
    resolve_rules,
    rules_for_cloud,
    translate,
)
from components.firewall.translate import CIDR_ARGUMENT
from tests.clouds.rule_coverage import coverage, world_open_ports

CLOUDS = ("alicloud", "tencentcloud", "huaweicloud")
NODES = (
    NodeAddress("s1", is_server=True, has_public_ip=True, private_ip="10.10.0.11"),
    NodeAddress("s2", is_server=True, has_public_ip=True, private_ip="10.10.0.12"),
    NodeAddress("a1", is_server=False, has_public_ip=True, private_ip="10.10.0.13"),
    NodeAddress("nat1", is_server=False, has_public_ip=False, private_ip="10.10.0.14"),
)
NODE_CIDRS = {"s1": "203.0.113.1/32", "s2": "203.0.113.2/32", "a1": "198.51.100.7/32"}
SETTINGS = (
    FirewallSettings(),
    FirewallSettings(wireguard_from_world=False),
)


def resolve(settings=FirewallSettings(), rules=RULES, has_server=True, nodes=NODES,
            admin=("192.0.2.0/24",)):
    return resolve_rules(vpc_cidr=ipaddress.IPv4Network("10.10.0.0/16"), has_server=has_server,
                         nodes=nodes, admin_cidrs=[ipaddress.IPv4Network(c) for c in admin],
                         settings=settings, wireguard_port=51820, rules=rules)


def wire_args(cloud, rule):
    """The rule's arguments with camelCase wire names and the source filled in."""
    args = translate(cloud, rule)
    args[CIDR_ARGUMENT[cloud]] = rule.cidr if rule.node is None else NODE_CIDRS[rule.node]
    return {_camel(key): value for key, value in args.items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def world_open(settings=FirewallSettings(), rules=RULES):
    found = []
    for cloud in CLOUDS:
        for rule in rules_for_cloud(cloud, resolve(settings, rules)):
            for port in world_open_ports(cloud, wire_args(cloud, rule)):
                found.append((cloud, rule.name, port))
    return found


@pytest.mark.parametrize("settings", SETTINGS)
def test_no_restricted_port_open_to_world(settings):
    assert world_open(settings) == []


def test_checker_catches_widened_rule():
    widened = tuple(dataclasses.replace(rule, sources=rule.sources + (Source.WORLD,))
                    if rule.key == "kubelet" else rule for rule in RULES)
    found = world_open(rules=widened)
    assert ("alicloud", "kubelet-0.0.0.0-0", 10250) in found
    assert {cloud for cloud, _name, _port in found} == set(CLOUDS)


def test_checker_catches_widened_etcd():
    widened = tuple(dataclasses.replace(rule, sources=rule.sources + (Source.WORLD,))
                    if rule.key == "etcd" else rule for rule in RULES)
    found = world_open(rules=widened)
    assert ("tencentcloud", "etcd-0.0.0.0-0", 2380) in found
    assert {port for _cloud, _name, port in found} == {2379, 2380}


def test_checker_catches_all_protocol_from_world():
    widened = tuple(dataclasses.replace(rule, sources=(Source.WORLD,))
                    if rule.key == "ipip" else rule for rule in RULES)
    ports = {port for cloud, _name, port in world_open(rules=widened) if cloud == "huaweicloud"}
    assert ports == {22, 6443, 10250, 2379, 2380}


def test_open_to_world_switch_opens_only_named_rule():
    found = world_open(FirewallSettings(open_to_world=("ssh",)))
    assert {port for _cloud, _name, port in found} == {22}
    assert {name for _cloud, name, _port in found} == {"ssh-0.0.0.0-0"}


def test_rule_sources_per_table_row():
    rules = {rule.name: rule for rule in resolve()}

    assert set(rules) == {
        "ssh-192.0.2.0-24",
        "kube-api-192.0.2.0-24", "kube-api-node-s1", "kube-api-node-s2", "kube-api-node-a1",
        "kubelet-node-s1", "kubelet-node-s2", "kubelet-node-a1",
        "etcd-10.10.0.11-32", "etcd-10.10.0.12-32",
        "wireguard-0.0.0.0-0",
        "ipip-10.10.0.0-16",
        "egress-0.0.0.0-0",
    }
    assert rules["etcd-10.10.0.11-32"].ports == ((2379, 2380),)
    assert rules["wireguard-0.0.0.0-0"].protocol == "udp"
    assert rules["wireguard-0.0.0.0-0"].ports == ((51820, 51820),)


def test_etcd_admits_server_private_ips_only():
    etcd = [rule for rule in resolve() if rule.rule_key == "etcd"]

    assert [rule.cidr for rule in etcd] == ["10.10.0.11/32", "10.10.0.12/32"]
    assert all(rule.node is None for rule in etcd)


def test_etcd_without_private_ips_uses_vpc():
    nodes = tuple(dataclasses.replace(node, private_ip=None) for node in NODES)
    etcd = [rule for rule in resolve(nodes=nodes) if rule.rule_key == "etcd"]

    assert [rule.cidr for rule in etcd] == ["10.10.0.0/16"]
    assert all(rule.node is None for rule in etcd)


def test_agent_only_group_skips_server_rules():
    names = {rule.name for rule in resolve(has_server=False)}
    assert not [name for name in names if name.startswith(("kube-api", "etcd"))]
    assert "kubelet-node-s1" in names


def test_wireguard_from_nodes_only():
    rules = [rule for rule in resolve(FirewallSettings(wireguard_from_world=False))
             if rule.rule_key == "wireguard"]
    assert sorted(rule.node for rule in rules) == ["a1", "s1", "s2"]


def test_adding_node_only_adds_rules():
    before = {rule.name: rule for rule in resolve()}
    after = {rule.name: rule
             for rule in resolve(nodes=NODES + (NodeAddress("a2", False, True),))}

    assert set(before) <= set(after)
    assert all(after[name] == rule for name, rule in before.items())
    assert set(after) - set(before) == {"kube-api-node-a2", "kubelet-node-a2"}


def test_rule_names_unique():
    names = [rule.name for rule in resolve()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("cloud", CLOUDS)
def test_translation_per_cloud(cloud):
    rules = {rule.name: rule for rule in resolve()}
    etcd = translate(cloud, rules["etcd-10.10.0.11-32"])
    expected = {
        "alicloud": ("ip_protocol", "tcp", "port_range", "2379/2380"),
        "tencentcloud": ("ip_protocol", "TCP", "port_range", "2379-2380"),
        "huaweicloud": ("protocol", "tcp", "ports", "2379-2380"),
    }[cloud]
    assert etcd[expected[0]] == expected[1]
    assert etcd[expected[2]] == expected[3]


def admitted(cloud, rules):
    """Every (direction, protocol, port range, source) that the rules admit on ``cloud``."""
    found = set()
    for rule in rules:
        direction, protocol, ranges, cidr = coverage(cloud, wire_args(cloud, rule))
        found |= {(direction, protocol, port_range, cidr) for port_range in ranges}
    return found


@pytest.mark.parametrize("cloud", ["tencentcloud", "huaweicloud"])
@pytest.mark.parametrize("settings", SETTINGS + (
    FirewallSettings(open_to_world=("ssh", "kube-api", "kubelet")),))
def test_combined_rules_admit_same_traffic(cloud, settings):
    separate = resolve(settings)
    combined = rules_for_cloud(cloud, separate)

    assert len(combined) < len(separate)
    assert admitted(cloud, combined) == admitted(cloud, separate)


def test_combine_single_ports_per_source():
    rules = {rule.name: rule for rule in combine_single_ports(resolve())}

    assert set(rules) == {
        "ssh+kube-api-192.0.2.0-24",
        "kube-api+kubelet-node-s1", "kube-api+kubelet-node-s2", "kube-api+kubelet-node-a1",
        "etcd-10.10.0.11-32", "etcd-10.10.0.12-32",
        "wireguard-0.0.0.0-0",
        "ipip-10.10.0.0-16",
        "egress-0.0.0.0-0",
    }
    merged = rules["kube-api+kubelet-node-s1"]
    assert merged.ports == ((6443, 6443), (10250, 10250))
    assert merged.description.startswith("k3s-multicloud kube-api, kubelet: Kubernetes API")
    assert translate("tencentcloud", merged)["port_range"] == "6443,10250"
    assert translate("huaweicloud", merged)["ports"] == "6443,10250"
    assert translate("huaweicloud", rules["ssh+kube-api-192.0.2.0-24"])["ports"] == "22,6443"


def test_combine_keeps_unmerged_rules_unchanged():
    separate = {rule.name: rule for rule in resolve()}
    combined = {rule.name: rule for rule in combine_single_ports(resolve())}
    for name in ("etcd-10.10.0.11-32", "wireguard-0.0.0.0-0", "ipip-10.10.0.0-16", "egress-0.0.0.0-0"):
        assert combined[name] == separate[name]
    assert combined["etcd-10.10.0.11-32"].description == (
        "k3s-multicloud etcd: embedded etcd client and peer traffic between servers")


def test_alicloud_keeps_one_rule_per_port():
    separate = resolve()
    assert rules_for_cloud("alicloud", separate) == separate

    merged = next(rule for rule in combine_single_ports(separate) if len(rule.ports or ()) > 1)
    with pytest.raises(ValueError, match="one port range"):
        translate("alicloud", merged)


def test_adding_node_only_adds_combined_rules():
    before = {rule.name: rule for rule in combine_single_ports(resolve())}
    after = {rule.name: rule for rule in combine_single_ports(
        resolve(nodes=NODES + (NodeAddress("a2", False, True),)))}

    assert all(after[name] == rule for name, rule in before.items())
    assert set(after) - set(before) == {"kube-api+kubelet-node-a2"}


def test_parse_firewall_settings():
    collector = IssueCollector()
    settings = parse_firewall_settings(collector, {"openToWorld": ["ssh"], "wireguardFromWorld": False})
    assert collector.issues == []
    assert settings == FirewallSettings(open_to_world=("ssh",), wireguard_from_world=False)


def test_parse_firewall_settings_rejects_unknown():
    collector = IssueCollector()
    parse_firewall_settings(collector, {"openToWorld": ["wireguard", "kubeapi"], "openWorld": 1})
    paths = [issue.path for issue in collector.issues]
    assert "firewall.openToWorld[0]" in paths
    assert "firewall.openToWorld[1]" in paths
    assert any("openWorld" in path for path in paths)
    first = next(issue for issue in collector.issues if issue.path == "firewall.openToWorld[0]")
    assert "kube-api" in first.message_en
    assert "kube-api" in first.message_zh


def test_world_admin_cidr_needs_switch():
    collector = IssueCollector()
    check_admin_cidrs(collector, [ipaddress.IPv4Network("0.0.0.0/0")], FirewallSettings())
    assert [issue.path for issue in collector.issues] == ["adminCidrs[0]"]
    assert "firewall.openToWorld" in collector.issues[0].message_en
    assert "firewall.openToWorld" in collector.issues[0].message_zh

    allowed = IssueCollector()
    check_admin_cidrs(allowed, [ipaddress.IPv4Network("0.0.0.0/0")],
                      FirewallSettings(open_to_world=("ssh", "kube-api")))
    assert allowed.issues == []
