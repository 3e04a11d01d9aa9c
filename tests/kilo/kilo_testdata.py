"""Config objects and helpers for the Kilo tests.

The config objects are built directly instead of through the loader.

The nodes are the dev stack's: six nodes in five locations, with bd2 reachable
only through bd1 and without a public IP.
"""

from __future__ import annotations

import ipaddress

from components.config.model import ClusterConfig, NodeConfig
from tests.settings_testdata import k3s_settings, kilo_settings


def _node(name, role, location, cloud, private_ip, public_ip, **extra) -> NodeConfig:
    return NodeConfig(
        name=name,
        role=role,
        location=location,
        cloud=cloud,
        public_ip=ipaddress.ip_address(public_ip) if public_ip else None,
        private_ip=ipaddress.ip_interface(private_ip),
        persistent_keepalive=20,
        **extra,
    )


def dev_nodes() -> tuple[NodeConfig, ...]:
    return (
        _node("ty1", "server", "ctyun", "ctyun", "192.168.1.226/24", "203.0.113.10"),
        _node("hw1", "agent", "huaweicloud", "huaweicloud", "192.168.7.226/24", "203.0.113.30"),
        _node("tx1", "agent", "tencentcloud", "tencentcloud", "172.17.0.3/20", "198.51.100.50"),
        _node("ali1", "agent", "aliyun", "aliyun", "172.21.143.136/20", "203.0.113.20"),
        _node("bd1", "agent", "baidu", "baidu", "192.168.64.4/20", "198.51.100.40"),
        _node("bd2", "agent", "baidu", "baidu", "192.168.64.5/20", None),
    )


def dev_cluster(**kilo_overrides) -> ClusterConfig:
    return ClusterConfig(
        project="k3s-multicloud",
        stack="dev",
        nodes=dev_nodes(),
        k3s=k3s_settings(),
        kilo=kilo_settings(**kilo_overrides),
    )


def resolve_current_cluster(kubeconfig: dict) -> dict:
    """Follow current-context -> context.cluster -> clusters[name] as client-go does.

    Raises LookupError where client-go would find no cluster and fall back to
    the in-cluster config.
    """
    context_name = kubeconfig["current-context"]
    contexts = {c.get("name"): c["context"] for c in kubeconfig.get("contexts") or []}
    cluster_name = contexts[context_name]["cluster"]
    clusters = {c.get("name"): c.get("cluster") for c in kubeconfig.get("clusters") or []}
    if cluster_name not in clusters:
        raise LookupError(f"context {context_name!r} refers to missing cluster {cluster_name!r}")
    return clusters[cluster_name]
