"""Config objects for the K3s and host preparation tests.

The dev stack is built directly rather than through the loader, so these tests
pin the K3s rendering alone. ty1 (ctyun) is the only server, and five agents sit
in four more locations. bd2 has no public IP and is reached through bd1.
"""

from __future__ import annotations

import ipaddress

from components.config.model import (
    ClusterConfig,
    K3sSettings,
    KiloSettings,
    NodeConfig,
    RegistryMirror,
    SshSettings,
)
from components.k3s.config import NodeAddresses
from tests.settings_testdata import k3s_settings

# Stands in for the generated token; tests search outputs for it.
TEST_TOKEN = "K3sTestToken0123456789abcdefghijklmnopqrstuvwxyzAB"

CHINA_SCRIPT_SHA256 = "0" * 63 + "1"


def china_k3s_settings(**overrides) -> K3sSettings:
    """The k3s.mirror=china preset as the loader resolves it."""
    return k3s_settings(
        install_script_url="https://rancher-mirror.rancher.cn/k3s/k3s-install.sh",
        install_script_sha256=CHINA_SCRIPT_SHA256,
        install_mirror="cn",
        registry_mirrors=(
            RegistryMirror("docker.io", ("https://registry.cn-hangzhou.aliyuncs.com",)),
        ),
        **overrides,
    )


def node(name, role, location, private_ip, public_ip, cloud=None, **extra) -> NodeConfig:
    return NodeConfig(
        name=name,
        role=role,
        location=location,
        cloud=cloud or location,
        public_ip=ipaddress.ip_address(public_ip) if public_ip else None,
        private_ip=ipaddress.ip_interface(private_ip),
        persistent_keepalive=20,
        **extra,
    )


def dev_nodes() -> tuple[NodeConfig, ...]:
    return (
        node("ty1", "server", "ctyun", "192.168.1.226/24", "203.0.113.10"),
        node("hw1", "agent", "huaweicloud", "192.168.7.226/24", "203.0.113.30"),
        node("tx1", "agent", "tencentcloud", "172.17.0.3/20", "198.51.100.50"),
        node("ali1", "agent", "aliyun", "172.21.143.136/20", "203.0.113.20"),
        node("bd1", "agent", "baidu", "192.168.64.4/20", "198.51.100.40"),
        node("bd2", "agent", "baidu", "192.168.64.5/20", None, ssh=SshSettings(jump_host="bd1")),
    )


def ha_nodes() -> tuple[NodeConfig, ...]:
    """Three servers in one location plus agents in two locations, for join order tests."""
    return (
        node("s1", "server", "ctyun", "192.168.1.10/24", "203.0.113.11"),
        node("s2", "server", "ctyun", "192.168.1.11/24", "203.0.113.12"),
        node("s3", "server", "ctyun", "192.168.1.12/24", "203.0.113.13",
             labels={"topology.kubernetes.io/zone": "cn-hangzhou-i"}),
        node("a1", "agent", "ctyun", "192.168.1.20/24", None),
        node("a2", "agent", "aliyun", "172.21.0.20/20", "203.0.113.21",
             taints=("dedicated=edge:NoSchedule",), ssh=SshSettings(user="ubuntu")),
    )


def kilo_settings() -> KiloSettings:
    return KiloSettings(
        version="0.7.0",
        image_repository="docker.io/squat/kilo",
        subnet=ipaddress.ip_network("10.4.0.0/16"),
    )


def dev_cluster(nodes: tuple[NodeConfig, ...] | None = None, **k3s_overrides) -> ClusterConfig:
    return ClusterConfig(
        project="k3s-multicloud",
        stack="dev",
        nodes=nodes if nodes is not None else dev_nodes(),
        k3s=k3s_settings(**k3s_overrides),
        kilo=kilo_settings(),
    )


def addresses_of(config_node: NodeConfig) -> NodeAddresses:
    return NodeAddresses(
        private_ip=str(config_node.private_ip.ip),
        public_ip=str(config_node.public_ip) if config_node.public_ip else None,
    )


def assert_golden(path, text: str) -> None:
    """Compare ``text`` with a golden file; K3SMC_UPDATE_GOLDEN=1 rewrites the file."""
    import os

    if os.environ.get("K3SMC_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"output differs from {path}; set K3SMC_UPDATE_GOLDEN=1 to rewrite it after review"
