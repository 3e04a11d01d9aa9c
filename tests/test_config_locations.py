"""Location rules: all servers in one location, one private network per location."""

from __future__ import annotations

import pytest

from components.config.load import load_cluster_config
from components.errors import ConfigErrors
from program_mocks import dev_raw_config, seed_raw_config as seed_raw


def node(raw, name):
    (found,) = [entry for entry in raw["nodes"] if entry.get("name") == name]
    return found


def load(raw):
    return load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")


def issues_of(raw):
    with pytest.raises(ConfigErrors) as raised:
        load(raw)
    return raised.value.issues


def make_vm(raw, name, cloud, region, **vm):
    entry = node(raw, name)
    entry.pop("publicIp", None)
    entry.pop("privateIp", None)
    entry["cloud"] = cloud
    entry["vm"] = {"region": region, **vm}


def shared_location(raw, *names):
    for name in names:
        node(raw, name)["location"] = "shared"


# --- servers ----------------------------------------------------------------

def test_servers_in_several_locations_rejected():
    raw = seed_raw()
    node(raw, "hw1")["role"] = "server"
    node(raw, "tx1")["role"] = "server"

    issues = issues_of(raw)

    assert [(issue.path, issue.value) for issue in issues] == [
        ("nodes[1].location", "huaweicloud"), ("nodes[2].location", "tencentcloud")]
    message = issues[0].message_en
    assert "location 'ctyun' of the first server nodes[0]" in message
    assert "private addresses" in message
    assert "Put all servers in location 'ctyun'" in message
    assert "请把所有 server 放在 location 'ctyun'" in issues[0].message_zh


def test_servers_in_one_location_accepted():
    raw = seed_raw()
    for name, address in (("ty2", "192.168.1.227/24"), ("ty3", "192.168.1.228/24")):
        raw["nodes"].append({"name": name, "role": "server", "location": "ctyun",
                             "privateIp": address, "persistentKeepalive": 20})

    cluster = load(raw)

    assert {server.location for server in cluster.servers} == {"ctyun"}
    assert len(cluster.servers) == 3


# --- private networks within a location ----------------------------------------

def test_unrelated_vm_networks_in_one_location_rejected():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou", vpcCidr="10.10.0.0/16", subnetCidr="10.10.1.0/24")
    make_vm(raw, "tx1", "tencentcloud", "ap-guangzhou")
    shared_location(raw, "tx1", "ali1")

    (issue,) = issues_of(raw)

    # Neither VM sets privateIp, so the later one's location carries the issue.
    assert (issue.path, issue.value) == ("nodes[3].location", "shared")
    assert "10.10.1.0/24" in issue.message_en
    assert "of node tx1 in the same location 'shared'" in issue.message_en
    assert "separate locations" in issue.message_en
    assert "不同的 location" in issue.message_zh


def test_vm_and_existing_host_networks_rejected():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou", vpcCidr="10.10.0.0/16", subnetCidr="10.10.1.0/24")
    node(raw, "bd1")["privateIp"] = "192.168.50.4/24"
    node(raw, "bd2")["privateIp"] = "192.168.50.5/24"
    shared_location(raw, "ali1", "bd1", "bd2")

    issues = issues_of(raw)

    assert [(issue.path, issue.value) for issue in issues] == [
        ("nodes[4].privateIp", "192.168.50.4/24"), ("nodes[5].privateIp", "192.168.50.5/24")]
    assert "192.168.50.0/24 does not overlap the private network 10.10.1.0/24 of node ali1" in (
        issues[0].message_en)
    assert "fix the privateIp prefix" in issues[0].message_en


def test_existing_hosts_on_two_networks_rejected():
    raw = seed_raw()
    node(raw, "bd2")["privateIp"] = "192.168.80.5/24"

    (issue,) = issues_of(raw)

    assert (issue.path, issue.value) == ("nodes[5].privateIp", "192.168.80.5/24")
    assert "192.168.64.0/20 of node bd1" in issue.message_en


def test_full_granularity_skips_network_check():
    raw = seed_raw()
    raw["kilo"]["granularity"] = "full"
    node(raw, "bd2")["privateIp"] = "192.168.80.5/24"
    node(raw, "bd2")["publicIp"] = "198.51.100.41"

    assert "bd2" in node_names(load(raw))


def test_contained_networks_in_one_location_accepted():
    raw = seed_raw()
    # A /24 inside bd1's /20: one network described with a longer prefix.
    node(raw, "bd2")["privateIp"] = "192.168.65.5/24"

    assert node_names(load(raw)) == ["ty1", "hw1", "tx1", "ali1", "bd1", "bd2"]


def test_vm_inside_existing_host_network_accepted():
    raw = seed_raw()
    raw["adminCidrs"] = ["192.0.2.0/24"]
    make_vm(raw, "ali1", "alicloud", "cn-hangzhou", vpcCidr="192.168.64.0/20",
            subnetCidr="192.168.66.0/24")
    shared_location(raw, "ali1", "bd1", "bd2")

    assert "ali1" in node_names(load(raw))


def test_dev_stack_passes():
    cluster = load(dev_raw_config())

    baidu = [entry for entry in cluster.nodes if entry.location == "baidu"]
    assert [str(entry.private_ip) for entry in baidu] == ["192.168.64.4/20", "192.168.64.5/20"]


def node_names(cluster):
    return [entry.name for entry in cluster.nodes]
