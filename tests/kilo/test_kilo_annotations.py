"""Table tests for the Kilo node annotations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.kilo import node_annotations
from kilo_testdata import dev_nodes

NODES = {n.name: n for n in dev_nodes()}


def _annotations_of(node, port=51820):
    public_ip = str(node.public_ip) if node.public_ip else None
    return node_annotations(node, public_ip, str(node.private_ip.ip), node.private_ip.network.prefixlen, port)


# The dev stack's six nodes, every one with keepalive 20 and no leader.
DEV_ANNOTATIONS = {
    "ty1": ("ctyun", "203.0.113.10:51820", "192.168.1.226/24"),
    "hw1": ("huaweicloud", "203.0.113.30:51820", "192.168.7.226/24"),
    "tx1": ("tencentcloud", "198.51.100.50:51820", "172.17.0.3/20"),
    "ali1": ("aliyun", "203.0.113.20:51820", "172.21.143.136/20"),
    "bd1": ("baidu", "198.51.100.40:51820", "192.168.64.4/20"),
    "bd2": ("baidu", None, "192.168.64.5/20"),
}


@pytest.mark.parametrize("name", list(DEV_ANNOTATIONS))
def test_dev_node_annotations(name):
    location, endpoint, internal_ip = DEV_ANNOTATIONS[name]
    expected = {
        "kilo.squat.ai/location": location,
        "kilo.squat.ai/force-internal-ip": internal_ip,
        "kilo.squat.ai/persistent-keepalive": "20",
    }
    if endpoint:
        expected["kilo.squat.ai/force-endpoint"] = endpoint
    assert _annotations_of(NODES[name]) == expected


def test_node_without_public_ip_has_no_endpoint():
    assert "kilo.squat.ai/force-endpoint" not in _annotations_of(NODES["bd2"])


def test_empty_public_ip_means_none():
    node = NODES["bd2"]
    annotations = node_annotations(node, "", "192.168.64.5", 20, 51820)
    assert "kilo.squat.ai/force-endpoint" not in annotations


def test_endpoint_uses_configured_port():
    annotations = _annotations_of(NODES["ty1"], port=51821)
    assert annotations["kilo.squat.ai/force-endpoint"] == "203.0.113.10:51821"


def test_ipv6_endpoint_in_brackets():
    annotations = node_annotations(NODES["ty1"], "2001:db8::10", "192.168.1.226", 24, 51820)
    assert annotations["kilo.squat.ai/force-endpoint"] == "[2001:db8::10]:51820"


def test_internal_ip_keeps_host_address():
    # A CIDR with the host address, not the network address: kg uses the IP.
    annotations = node_annotations(NODES["bd2"], None, "192.168.64.5", 20, 51820)
    assert annotations["kilo.squat.ai/force-internal-ip"] == "192.168.64.5/20"


def test_float_prefix_accepted():
    annotations = node_annotations(NODES["bd2"], None, "192.168.64.5", 20.0, 51820)
    assert annotations["kilo.squat.ai/force-internal-ip"] == "192.168.64.5/20"


def test_keepalive_absent_when_not_set():
    node = replace(NODES["ty1"], persistent_keepalive=None)
    assert "kilo.squat.ai/persistent-keepalive" not in _annotations_of(node)


@pytest.mark.parametrize(("seconds", "value"), [(25, "25"), (1, "1"), (0, "0")])
def test_keepalive_integer_string(seconds, value):
    node = replace(NODES["ty1"], persistent_keepalive=seconds)
    assert _annotations_of(node)["kilo.squat.ai/persistent-keepalive"] == value


def test_leader_absent_by_default():
    assert "kilo.squat.ai/leader" not in _annotations_of(NODES["bd1"])


def test_leader_true_when_set():
    node = replace(NODES["bd1"], kilo_leader=True)
    assert _annotations_of(node)["kilo.squat.ai/leader"] == "true"


@pytest.mark.parametrize("name", list(DEV_ANNOTATIONS))
def test_force_external_ip_never_written(name):
    node = replace(NODES[name], kilo_leader=True)
    assert not any("external-ip" in key for key in _annotations_of(node))


@pytest.mark.parametrize(
    ("public_ip", "private_ip", "prefix", "port"),
    [
        ("203.0.113.300", "192.168.1.226", 24, 51820),
        ("203.0.113.10", "192.168.1.226/24", 24, 51820),
        ("203.0.113.10", "192.168.1.226", 33, 51820),
        ("203.0.113.10", "192.168.1.226", 24, 0),
        ("203.0.113.10", "192.168.1.226", 24, 65536),
    ],
    ids=["bad-public-ip", "private-ip-with-prefix", "bad-prefix", "port-zero", "port-too-high"],
)
def test_invalid_input_raises(public_ip, private_ip, prefix, port):
    with pytest.raises(ValueError):
        node_annotations(NODES["ty1"], public_ip, private_ip, prefix, port)


def test_negative_keepalive_raises():
    node = replace(NODES["ty1"], persistent_keepalive=-1)
    with pytest.raises(ValueError, match="persistentKeepalive"):
        _annotations_of(node)
