"""Cluster configs for the cloud tests, built directly from the model."""

from __future__ import annotations

import ipaddress

from components.config.model import (
    ClusterConfig,
    FirewallSettings,
    K3sSettings,
    KiloSettings,
    NodeConfig,
    SshSettings,
    VmSettings,
)

ADMIN_CIDR = "198.51.100.0/24"


def k3s_settings() -> K3sSettings:
    return K3sSettings(
        version="v1.35.6+k3s1",
        install_script_url="https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh",
        install_script_sha256=None, install_mirror=None,
        cluster_cidr=ipaddress.IPv4Network("10.42.0.0/16"),
        service_cidr=ipaddress.IPv4Network("10.43.0.0/16"))


def kilo_settings() -> KiloSettings:
    return KiloSettings(version="0.7.0", image_repository="docker.io/squat/kilo",
                        subnet=ipaddress.IPv4Network("10.4.0.0/16"))


def vm(region: str, **settings) -> VmSettings:
    """VmSettings with the defaults validate_vm would fill for the region's cloud."""
    return VmSettings(region=region, **settings)


def seed_nodes() -> tuple[NodeConfig, ...]:
    """The seed cluster with ali1, hw1 and tx1 as VMs, as in Pulumi.dev.yaml."""
    def interface(text: str) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(text)

    return (
        NodeConfig(name="ty1", role="server", location="ctyun", cloud="ctyun",
                   public_ip=ipaddress.IPv4Address("203.0.113.10"),
                   private_ip=interface("192.168.1.226/24"), persistent_keepalive=20),
        NodeConfig(name="hw1", role="agent", location="huaweicloud", cloud="huaweicloud",
                   private_ip=interface("192.168.7.226/24"), persistent_keepalive=20,
                   vm=vm("cn-north-4", instance_type="s6.large.2", system_disk_type="GPSSD",
                         system_disk_size=40, bandwidth=10, extra={"eip_type": "5_bgp"})),
        NodeConfig(name="tx1", role="agent", location="tencentcloud", cloud="tencentcloud",
                   private_ip=interface("172.17.0.3/20"), persistent_keepalive=20,
                   vm=vm("ap-guangzhou", instance_type="S5.MEDIUM4",
                         system_disk_type="CLOUD_PREMIUM", system_disk_size=50, bandwidth=10)),
        NodeConfig(name="ali1", role="agent", location="aliyun", cloud="alicloud",
                   private_ip=interface("172.21.143.136/20"), persistent_keepalive=20,
                   vm=vm("cn-hangzhou", instance_type="ecs.c7.large",
                         system_disk_type="cloud_essd", system_disk_size=40, bandwidth=10)),
        NodeConfig(name="bd1", role="agent", location="baidu", cloud="baidu",
                   public_ip=ipaddress.IPv4Address("198.51.100.40"),
                   private_ip=interface("192.168.64.4/20"), persistent_keepalive=20),
        NodeConfig(name="bd2", role="agent", location="baidu", cloud="baidu",
                   private_ip=interface("192.168.64.5/20"), persistent_keepalive=20,
                   ssh=SshSettings(jump_host="bd1")),
    )


def cluster(nodes=None, admin_cidrs=(ADMIN_CIDR,), firewall: FirewallSettings | None = None,
            locale: str = "en") -> ClusterConfig:
    return ClusterConfig(
        project="k3s-multicloud", stack="test",
        nodes=tuple(seed_nodes() if nodes is None else nodes),
        k3s=k3s_settings(), kilo=kilo_settings(),
        admin_cidrs=tuple(ipaddress.IPv4Network(cidr) for cidr in admin_cidrs),
        locale=locale,
        firewall=firewall or FirewallSettings())
