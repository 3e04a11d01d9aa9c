"""Clusters for the planner tests, built as ClusterConfig objects without the loader.

- ``dev_cluster``: the dev stack. Six nodes in five locations; bd2 shares the
  baidu VPC with bd1 and has no public IP. Kilo gave this cluster the
  WireGuard IPs aliyun 10.4.0.1, baidu 10.4.0.2, ctyun 10.4.0.3,
  huaweicloud 10.4.0.4 and tencentcloud 10.4.0.5, and bd2 none.
- ``example_cluster``: the worked example of Kilo 0.7.0's topology rules,
  with a NATed home node (keepalive 25) and a Peer ``laptop``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path

from components.config.model import (
    ClusterConfig,
    K3sSettings,
    NodeConfig,
    VmSettings,
)
from components.topology import KiloPeer
from tests.settings_testdata import k3s_settings, kilo_settings

GOLDEN = Path(__file__).parent / "golden"


def node(name: str, role: str, location: str, private_ip: str | None, public_ip: str | None = None,
         keepalive: int | None = None, **extra) -> NodeConfig:
    return NodeConfig(
        name=name,
        role=role,
        location=location,
        cloud=extra.pop("cloud", "existing"),
        public_ip=ipaddress.ip_address(public_ip) if public_ip else None,
        private_ip=ipaddress.ip_interface(private_ip) if private_ip else None,
        persistent_keepalive=keepalive,
        **extra,
    )


def vm(region: str = "cn-hangzhou") -> VmSettings:
    return VmSettings(region=region)


def cluster(nodes, k3s: K3sSettings | None = None, **kilo_overrides) -> ClusterConfig:
    return ClusterConfig(
        project="k3s-multicloud",
        stack="test",
        nodes=tuple(nodes),
        k3s=k3s or k3s_settings(),
        kilo=kilo_settings(**kilo_overrides),
    )


def dev_nodes() -> list[NodeConfig]:
    return [
        node("ty1", "server", "ctyun", "192.168.1.226/24", "203.0.113.10", 20, cloud="ctyun"),
        node("hw1", "agent", "huaweicloud", "192.168.7.226/24", "203.0.113.30", 20, cloud="huaweicloud"),
        node("tx1", "agent", "tencentcloud", "172.17.0.3/20", "198.51.100.50", 20, cloud="tencentcloud"),
        node("ali1", "agent", "aliyun", "172.21.143.136/20", "203.0.113.20", 20, cloud="aliyun"),
        node("bd1", "agent", "baidu", "192.168.64.4/20", "198.51.100.40", 20, cloud="baidu"),
        node("bd2", "agent", "baidu", "192.168.64.5/20", None, 20, cloud="baidu"),
    ]


def dev_cluster(**kilo_overrides) -> ClusterConfig:
    return cluster(dev_nodes(), **kilo_overrides)


def dev_vm_cluster() -> ClusterConfig:
    """The dev stack after ali1, hw1 and tx1 become VMs: their public IPs are unknown."""
    nodes = []
    for planned in dev_nodes():
        if planned.name in ("ali1", "hw1", "tx1"):
            cloud = {"ali1": "alicloud", "hw1": "huaweicloud", "tx1": "tencentcloud"}[planned.name]
            planned = replace(planned, cloud=cloud, public_ip=None, vm=vm())
        nodes.append(planned)
    return cluster(nodes)


def example_nodes() -> list[NodeConfig]:
    # Config order gives the pod CIDRs of the example: ali-1 .0, ali-2 .1, tc-1 .2, hw-1 .3, home-1 .4.
    return [
        node("ali-1", "server", "alibaba", "172.16.0.10/24", "47.0.0.1", kilo_leader=True),
        node("ali-2", "agent", "alibaba", "172.16.0.11/24"),
        node("tc-1", "agent", "tencent", "10.20.0.5/24", "43.0.0.2"),
        node("hw-1", "agent", "huawei", "192.168.0.20/24", "120.0.0.3"),
        node("home-1", "agent", "home", "192.168.1.50/24", None, 25),
    ]


def example_peers() -> list[KiloPeer]:
    return [KiloPeer("laptop", (ipaddress.ip_network("10.5.0.1/32"),), persistent_keepalive=10)]


def example_cluster(**kilo_overrides) -> ClusterConfig:
    return cluster(example_nodes(), **kilo_overrides)


def read_golden(name: str) -> str:
    return (GOLDEN / name).read_text()


def nat_nodes() -> list[NodeConfig]:
    """Three locations: a VM leader with a non-leader, a public host, and a home host behind NAT."""
    return [
        node("ali-1", "server", "alibaba", "172.16.0.10/24", None, cloud="alicloud", vm=vm()),
        node("ali-2", "agent", "alibaba", "172.16.0.11/24"),
        node("tc-1", "agent", "tencent", "10.20.0.5/24", "198.51.100.52"),
        node("home-1", "agent", "home", "192.168.1.50/24", None, 25),
    ]


def nat_cluster(**kilo_overrides) -> ClusterConfig:
    return cluster(nat_nodes(), **kilo_overrides)
