"""Grouping VMs, their private IPs and the cross-node checks."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from components.clouds import check_vm_cluster, plan_vm_groups, planned_private_ips
from components.clouds.plan import assign_private_ips
from components.config.model import NodeConfig, VmSettings
from components.errors import IssueCollector
from tests.clouds import configs


def check(cluster):
    collector = IssueCollector()
    check_vm_cluster(cluster, collector)
    return collector.issues


def vm_node(name, cloud="alicloud", region="cn-hangzhou", private_ip=None, role="agent", **vm):
    return NodeConfig(name=name, role=role, location=cloud, cloud=cloud,
                      private_ip=ipaddress.IPv4Interface(private_ip) if private_ip else None,
                      vm=VmSettings(region=region, **vm))


def test_seed_groups():
    groups = {group.key: group for group in plan_vm_groups(configs.cluster())}
    assert set(groups) == {"alicloud-cn-hangzhou", "tencentcloud-ap-guangzhou", "huaweicloud-cn-north-4"}
    ali = groups["alicloud-cn-hangzhou"]
    assert ali.subnet_cidr == ipaddress.IPv4Network("172.21.128.0/20")
    assert ali.vpc_cidr == ipaddress.IPv4Network("172.21.0.0/16")
    assert str(ali.private_ips["ali1"]) == "172.21.143.136/20"
    assert check(configs.cluster()) == []


def test_defaults_differ_per_cloud():
    nodes = [vm_node("a1", "alicloud"), vm_node("t1", "tencentcloud"), vm_node("h1", "huaweicloud"),
             dataclasses.replace(configs.seed_nodes()[0])]
    cluster = configs.cluster(nodes)
    assert check(cluster) == []
    groups = plan_vm_groups(cluster)
    vpcs = [group.vpc_cidr for group in groups]
    assert len(set(vpcs)) == 3
    for vpc in vpcs:
        for reserved in ("10.42.0.0/16", "10.43.0.0/16", "10.4.0.0/16"):
            assert not vpc.overlaps(ipaddress.IPv4Network(reserved))


def test_derived_ip_inside_subnet_and_stable():
    subnet = ipaddress.IPv4Network("10.10.0.0/20")
    nodes = [vm_node(f"n{i}") for i in range(5)]
    first = assign_private_ips(subnet, nodes)
    assert len({address.ip for address in first.values()}) == 5
    for address in first.values():
        assert address.ip in subnet
        assert address.network == subnet
        assert int(address.ip) - int(subnet.network_address) >= 4

    more = assign_private_ips(subnet, nodes[:2] + [vm_node("new")] + nodes[2:])
    assert all(more[name] == address for name, address in first.items())


def test_derived_ip_skips_configured_ip():
    subnet = ipaddress.IPv4Network("10.10.0.0/28")
    fixed = [vm_node(f"fixed{i}", private_ip=f"10.10.0.{i}/28") for i in range(4, 11)]
    derived = assign_private_ips(subnet, fixed + [vm_node("free")])
    assert derived["free"].ip == ipaddress.IPv4Address("10.10.0.11")


def test_planned_private_ips_by_name():
    addresses = planned_private_ips(configs.cluster())
    assert {name: str(address) for name, address in addresses.items()} == {
        "hw1": "192.168.7.226/24", "tx1": "172.17.0.3/20", "ali1": "172.21.143.136/20"}


def test_private_ip_outside_subnet():
    cluster = configs.cluster([configs.seed_nodes()[0],
                               vm_node("a1", private_ip="10.9.0.5/24",
                                       subnet_cidr=ipaddress.IPv4Network("10.10.0.0/24"))])
    issues = check(cluster)
    assert [issue.path for issue in issues] == ["nodes[1].privateIp"]
    assert "10.10.0.0/24" in issues[0].message_en


def test_gateway_address_rejected():
    cluster = configs.cluster([configs.seed_nodes()[0], vm_node("a1", private_ip="10.10.0.1/24")])
    issues = check(cluster)
    assert [issue.path for issue in issues] == ["nodes[1].privateIp"]
    assert "gateway" in issues[0].message_en


def test_group_settings_must_agree():
    cluster = configs.cluster([configs.seed_nodes()[0], vm_node("a1", zone="cn-hangzhou-i"),
                               vm_node("a2", zone="cn-hangzhou-j")])
    issues = check(cluster)
    assert [issue.path for issue in issues] == ["nodes[2].vm.zone"]
    assert "a1" in issues[0].message_en
    assert "a1" in issues[0].message_zh


@pytest.mark.parametrize("vpc,reserved", [("10.42.0.0/16", "k3s.clusterCidr"),
                                          ("10.0.0.0/8", "k3s.serviceCidr"),
                                          ("10.4.0.0/15", "kilo.subnet")])
def test_vpc_overlapping_cluster_ranges(vpc, reserved):
    network = ipaddress.IPv4Network(vpc)
    cluster = configs.cluster([configs.seed_nodes()[0],
                               vm_node("a1", vpc_cidr=network,
                                       subnet_cidr=next(network.subnets(new_prefix=24)))])
    messages = [issue.message_en for issue in check(cluster) if issue.path == "nodes[1].vm.vpcCidr"]
    assert any(reserved in message for message in messages)


def test_subnets_of_two_regions_overlap():
    cluster = configs.cluster([configs.seed_nodes()[0], vm_node("a1"),
                               vm_node("a2", region="cn-beijing")])
    issues = check(cluster)
    assert [issue.path for issue in issues] == ["nodes[2].vm.subnetCidr"]
    assert "alicloud-cn-hangzhou" in issues[0].message_en


def test_subnet_overlapping_existing_host():
    ty1 = configs.seed_nodes()[0]
    cluster = configs.cluster([ty1, vm_node("a1", private_ip="192.168.1.50/24")])
    issues = check(cluster)
    assert [issue.path for issue in issues] == ["nodes[1].vm.subnetCidr"]
    assert "ty1" in issues[0].message_en


def test_vms_need_admin_cidrs():
    issues = check(configs.cluster(admin_cidrs=()))
    assert [issue.path for issue in issues] == ["adminCidrs"]
    assert "SSH" in issues[0].message_en
    assert "SSH" in issues[0].message_zh
