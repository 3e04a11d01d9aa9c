"""Tests of the stack config loader on valid configs: defaults and derived values."""

from __future__ import annotations

import ipaddress

import pytest

from components.config.load import (
    CHINA_SCRIPT_URL,
    DEFAULT_K3S_VERSION,
    load_cluster_config,
)
from program_mocks import dev_raw_config, seed_raw_config as seed_raw

SHA256 = "0123456789abcdef" * 4


def load(raw: dict):
    return load_cluster_config(raw, "k3s-multicloud", "dev", locale="en")


def test_seed_nodes():
    cluster = load(seed_raw())

    assert [n.name for n in cluster.nodes] == ["ty1", "hw1", "tx1", "ali1", "bd1", "bd2"]
    assert [n.name for n in cluster.servers] == ["ty1"]
    assert {n.location for n in cluster.nodes} == {"ctyun", "huaweicloud", "tencentcloud", "aliyun", "baidu"}
    assert all(n.persistent_keepalive == 20 for n in cluster.nodes)
    assert all(not n.is_vm for n in cluster.nodes)


def test_seed_private_and_public_ips():
    nodes = {n.name: n for n in load(seed_raw()).nodes}

    assert nodes["bd1"].private_ip == ipaddress.IPv4Interface("192.168.64.4/20")
    assert nodes["bd2"].private_ip == ipaddress.IPv4Interface("192.168.64.5/20")
    assert nodes["bd2"].public_ip is None
    assert nodes["ty1"].public_ip == ipaddress.IPv4Address("203.0.113.10")
    for node in nodes.values():
        if node.public_ip is not None:
            documentation = [ipaddress.IPv4Network("203.0.113.0/24"), ipaddress.IPv4Network("198.51.100.0/24")]
            assert any(node.public_ip in net for net in documentation), node.name


def test_seed_defaults():
    cluster = load(seed_raw())

    assert cluster.project == "k3s-multicloud"
    assert cluster.stack == "dev"
    assert cluster.k3s.version == DEFAULT_K3S_VERSION
    assert cluster.k3s.install_script_url == (
        "https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh")
    assert cluster.k3s.install_script_sha256 is None
    assert cluster.k3s.install_mirror is None
    assert cluster.k3s.cluster_cidr == ipaddress.IPv4Network("10.42.0.0/16")
    assert cluster.k3s.service_cidr == ipaddress.IPv4Network("10.43.0.0/16")
    assert cluster.kilo.version == "0.7.0"
    assert cluster.kilo.image_repository == "docker.io/squat/kilo"
    assert cluster.kilo.subnet == ipaddress.IPv4Network("10.4.0.0/16")
    assert cluster.kilo.port == 51820
    assert cluster.kilo.granularity == "location"
    assert cluster.kilo.skip_await is False


def test_jump_host_defaults_to_public_node():
    nodes = {n.name: n for n in load(seed_raw()).nodes}

    assert nodes["bd2"].ssh.jump_host == "bd1"
    assert all(nodes[name].ssh.jump_host is None for name in ("ty1", "hw1", "tx1", "ali1", "bd1"))


def test_explicit_ssh_host_needs_no_jump():
    raw = seed_raw()
    raw["nodes"][5]["ssh"] = {"host": "bd2.example.com", "port": 2222, "user": "ubuntu"}

    bd2 = load(raw).nodes[5]

    assert bd2.ssh.jump_host is None
    assert (bd2.ssh.host, bd2.ssh.port, bd2.ssh.user) == ("bd2.example.com", 2222, "ubuntu")


def test_version_change_moves_script_url():
    raw = seed_raw()
    raw["k3s"] = {"version": "v1.34.2+k3s1"}

    k3s = load(raw).k3s

    assert k3s.install_script_url == "https://raw.githubusercontent.com/k3s-io/k3s/v1.34.2%2Bk3s1/install.sh"


def test_china_mirror_preset():
    raw = seed_raw()
    raw["k3s"] = {"mirror": "china", "installScriptSha256": SHA256.upper()}

    k3s = load(raw).k3s

    assert k3s.install_script_url == CHINA_SCRIPT_URL
    assert k3s.install_mirror == "cn"
    assert k3s.install_script_sha256 == SHA256


def test_versioned_custom_url_needs_no_sha256():
    raw = seed_raw()
    raw["k3s"] = {"installScriptUrl": "https://mirror.example.com/k3s/v1.35.6+k3s1/install.sh"}

    assert load(raw).k3s.install_script_sha256 is None


def test_three_servers_are_accepted():
    raw = seed_raw()
    for name, address in (("ty2", "192.168.1.227/24"), ("ty3", "192.168.1.228/24")):
        raw["nodes"].append({"name": name, "role": "server", "location": "ctyun",
                             "privateIp": address, "persistentKeepalive": 20})

    assert [n.name for n in load(raw).servers] == ["ty1", "ty2", "ty3"]


def test_optional_node_fields():
    raw = seed_raw()
    raw["nodes"][0].update(labels={"example.com/tier": "control"}, taints=["dedicated=control:NoSchedule"],
                           kiloLeader=True)
    raw["k3s"] = {"tlsSans": ["k3s.example.com", "203.0.113.99"],
                  "serverArgs": ["--kube-proxy-arg=metrics-bind-address=0.0.0.0"],
                  "registryMirrors": {"docker.io": ["https://mirror.example.com"]}}
    raw["adminCidrs"] = ["198.51.100.0/24"]

    cluster = load(raw)
    ty1 = cluster.nodes[0]

    assert ty1.labels == {"example.com/tier": "control"}
    assert ty1.taints == ("dedicated=control:NoSchedule",)
    assert ty1.kilo_leader is True
    assert cluster.k3s.extra_tls_sans == ("k3s.example.com", "203.0.113.99")
    assert cluster.k3s.extra_server_args == ("--kube-proxy-arg=metrics-bind-address=0.0.0.0",)
    assert cluster.k3s.registry_mirrors[0].endpoints == ("https://mirror.example.com",)
    assert cluster.admin_cidrs == (ipaddress.IPv4Network("198.51.100.0/24"),)


def test_keepalive_written_as_whole_float():
    raw = seed_raw()
    raw["nodes"][0]["persistentKeepalive"] = 25.0

    assert load(raw).nodes[0].persistent_keepalive == 25


def test_empty_public_key_default_is_no_key():
    raw = seed_raw()
    raw["sshPublicKey"] = ""

    load(raw)


def test_locale_is_recorded():
    cluster = load_cluster_config(seed_raw(), "k3s-multicloud", "dev", locale="zh")
    assert cluster.locale == "zh"


@pytest.mark.parametrize("granularity", ["location", "full"])
def test_granularity_values(granularity):
    raw = seed_raw()
    raw["kilo"] = {"granularity": granularity}

    assert load(raw).kilo.granularity == granularity


def test_dev_stack_file_loads():
    # Pulumi.dev.yaml may create some nodes as VMs; names, roles, locations
    # and private IPs stay those of the seed cluster.
    cluster = load(dev_raw_config())

    assert [n.name for n in cluster.nodes] == [n["name"] for n in seed_raw()["nodes"]]
    assert [n.role for n in cluster.nodes] == [n["role"] for n in seed_raw()["nodes"]]
    assert [n.location for n in cluster.nodes] == [n["location"] for n in seed_raw()["nodes"]]
    assert [str(n.private_ip) for n in cluster.nodes] == [n["privateIp"] for n in seed_raw()["nodes"]]
    assert cluster.nodes[5].public_ip is None
    assert cluster.nodes[5].ssh.jump_host == "bd1"
