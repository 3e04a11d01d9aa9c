"""Golden and behaviour tests for the K3s config.yaml of each node.

Set K3SMC_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change,
then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.k3s.config import (
    NodeAddresses,
    dump_config,
    join_address,
    parse_extra_args,
    render_node_config,
    server_url,
    tls_sans,
)
from k3s_testdata import TEST_TOKEN, addresses_of, assert_golden, dev_cluster, ha_nodes

GOLDEN_DIR = Path(__file__).with_name("golden")


def _render(cluster, name):
    nodes = {n.name: n for n in cluster.nodes}
    first = cluster.first_server
    target = nodes[name]
    join_url = None
    if target.role == "server" and target is not first:
        join_url = server_url(join_address(first, addresses_of(first), target))
    server_ips = [addresses_of(server).public_ip for server in cluster.servers]
    return render_node_config(cluster, target, addresses_of(target), token=TEST_TOKEN,
                              server_public_ips=server_ips, join_url=join_url)


@pytest.mark.parametrize("name", ["ty1", "hw1", "tx1", "ali1", "bd1", "bd2"])
def test_dev_config_matches_golden(name):
    text = dump_config(_render(dev_cluster(), name))

    assert_golden(GOLDEN_DIR / f"config-{name}.yaml", text)


@pytest.mark.parametrize("name", ["s1", "s2", "s3", "a1", "a2"])
def test_ha_config_matches_golden(name):
    cluster = dev_cluster(ha_nodes(), extra_tls_sans=("k3s.example.com",),
                          extra_server_args=("--disable=traefik",),
                          extra_agent_args=("--kubelet-arg=max-pods=200",))
    text = dump_config(_render(cluster, name))

    assert_golden(GOLDEN_DIR / f"config-ha-{name}.yaml", text)


def test_first_server_starts_cluster():
    config = _render(dev_cluster(), "ty1")

    assert config["cluster-init"] is True
    assert "server" not in config


def test_first_server_flags_from_seed():
    config = _render(dev_cluster(), "ty1")

    assert config["flannel-backend"] == "none"
    assert config["kube-proxy-arg"] == ["metrics-bind-address=0.0.0.0"]
    assert config["tls-san"] == ["203.0.113.10"]
    assert config["node-ip"] == "192.168.1.226"
    assert config["node-external-ip"] == "203.0.113.10"
    assert config["node-name"] == "ty1"
    assert config["cluster-cidr"] == "10.42.0.0/16"
    assert config["service-cidr"] == "10.43.0.0/16"


def test_token_in_every_config():
    cluster = dev_cluster()
    for config_node in cluster.nodes:
        assert _render(cluster, config_node.name)["token"] == TEST_TOKEN


def test_agent_has_no_server_flags():
    config = _render(dev_cluster(), "ali1")

    for key in ("cluster-init", "server", "tls-san", "flannel-backend", "cluster-cidr"):
        assert key not in config
    assert config["kube-proxy-arg"] == ["metrics-bind-address=0.0.0.0"]


def test_node_without_public_ip_has_no_external_ip():
    config = _render(dev_cluster(), "bd2")

    assert "node-external-ip" not in config
    assert config["node-ip"] == "192.168.64.5"


def test_joining_server_in_same_location_uses_private_ip():
    config = _render(dev_cluster(ha_nodes()), "s2")

    assert config["server"] == "https://192.168.1.10:6443"
    assert "cluster-init" not in config


def test_joining_node_elsewhere_uses_public_ip():
    cluster = dev_cluster(ha_nodes())
    first = cluster.first_server
    a2 = cluster.nodes[-1]

    assert join_address(first, addresses_of(first), a2) == "203.0.113.11"


def test_join_address_without_public_ip_falls_back():
    cluster = dev_cluster(ha_nodes())
    first = cluster.first_server
    a2 = cluster.nodes[-1]

    assert join_address(first, NodeAddresses("192.168.1.10", None), a2) == "192.168.1.10"


def test_tls_sans_list_all_servers_and_extras():
    cluster = dev_cluster(ha_nodes(), extra_tls_sans=("k3s.example.com", "203.0.113.12"))

    sans = tls_sans(cluster, ["203.0.113.11", "203.0.113.12", None])

    assert sans == ["203.0.113.11", "203.0.113.12", "k3s.example.com"]


def test_every_server_gets_same_tls_sans():
    cluster = dev_cluster(ha_nodes(), extra_tls_sans=("k3s.example.com",))
    expected = ["203.0.113.11", "203.0.113.12", "203.0.113.13", "k3s.example.com"]

    for name in ("s1", "s2", "s3"):
        assert _render(cluster, name)["tls-san"] == expected


def test_labels_and_taints_become_flags():
    cluster = dev_cluster(ha_nodes())

    assert _render(cluster, "s3")["node-label"] == ["topology.kubernetes.io/zone=cn-hangzhou-i"]
    assert _render(cluster, "a2")["node-taint"] == ["dedicated=edge:NoSchedule"]
    assert "node-label" not in _render(cluster, "s1")


def test_extra_server_args_merge():
    cluster = dev_cluster(extra_server_args=(
        "--disable=traefik", "--disable=servicelb", "--kube-proxy-arg=proxy-mode=ipvs",
        "--disable-network-policy", "--kube-apiserver-arg=feature-gates=EphemeralContainers=true"))

    config = _render(cluster, "ty1")

    assert config["disable"] == ["traefik", "servicelb"]
    assert config["kube-proxy-arg"] == ["metrics-bind-address=0.0.0.0", "proxy-mode=ipvs"]
    assert config["disable-network-policy"] is True
    assert config["kube-apiserver-arg"] == "feature-gates=EphemeralContainers=true"


def test_extra_agent_args_only_on_agents():
    cluster = dev_cluster(extra_agent_args=("--kubelet-arg=max-pods=200",),
                          extra_server_args=("--disable=traefik",))

    assert _render(cluster, "hw1")["kubelet-arg"] == "max-pods=200"
    assert "disable" not in _render(cluster, "hw1")
    assert "kubelet-arg" not in _render(cluster, "ty1")


@pytest.mark.parametrize("arg", ["disable=traefik", "--", "--=x", "---x", "--token=abc", "--node-ip=1.2.3.4"])
def test_extra_args_rejects_invalid(arg):
    with pytest.raises(ValueError, match="invalid K3s flag"):
        parse_extra_args([arg])


def test_config_yaml_round_trips():
    config = _render(dev_cluster(), "ty1")

    assert yaml.safe_load(dump_config(config)) == config


def test_config_yaml_keeps_key_order():
    text = dump_config(_render(dev_cluster(), "ty1"))

    assert text.splitlines()[0] == "cluster-init: true"
    assert text.index("token:") < text.index("tls-san:")
