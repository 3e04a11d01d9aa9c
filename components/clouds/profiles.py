"""Per-cloud defaults and limits for VMs; plain data, no cloud SDK import."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class CloudProfile:
    cloud: str
    # User that the cloud's Ubuntu image lets in with the key pair.
    login_user: str
    # 2 vCPU and 4 GiB: enough for a K3s server with embedded etcd.
    instance_type: str
    system_disk_type: str
    system_disk_types: tuple[str, ...]
    system_disk_size: int
    # Inclusive limits in GiB.
    system_disk_range: tuple[int, int]
    # Outgoing public bandwidth in Mbit/s, and its inclusive limits.
    bandwidth: int
    bandwidth_range: tuple[int, int]
    # Default networks. They differ per cloud, stay clear of the K3s pod
    # (10.42.0.0/16) and service (10.43.0.0/16) ranges and the Kilo subnet
    # (10.4.0.0/16), and avoid 172.17.0.0/16-172.31.0.0/16 and 192.168.0.0/16,
    # which Docker takes for its own networks on hosts that run it.
    vpc_cidr: ipaddress.IPv4Network
    subnet_cidr: ipaddress.IPv4Network


PROFILES: dict[str, CloudProfile] = {
    "alicloud": CloudProfile(
        cloud="alicloud",
        login_user="root",
        instance_type="ecs.c7.large",
        system_disk_type="cloud_essd",
        system_disk_types=("cloud_essd", "cloud_ssd", "cloud_efficiency", "cloud_auto",
                           "cloud_essd_entry", "cloud"),
        system_disk_size=40,
        # The limits pulumi-alicloud 4.0.0 documents for system_disk_size.
        system_disk_range=(20, 500),
        bandwidth=10,
        bandwidth_range=(1, 100),
        vpc_cidr=ipaddress.IPv4Network("10.10.0.0/16"),
        subnet_cidr=ipaddress.IPv4Network("10.10.0.0/20"),
    ),
    "tencentcloud": CloudProfile(
        cloud="tencentcloud",
        # NOTE: Tencent's Ubuntu images bind the key pair to the "ubuntu"
        # user instead of root. This follows Tencent's console behaviour and
        # was not checked against a live VM.
        login_user="ubuntu",
        instance_type="S5.MEDIUM4",
        system_disk_type="CLOUD_PREMIUM",
        system_disk_types=("CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "CLOUD_HSSD",
                           "CLOUD_TSSD", "CLOUD_BASIC"),
        system_disk_size=50,
        # NOTE: tencentcloud-iac-pulumi 0.2.3 documents no limits; these follow
        # the CVM console and may be narrower for some disk types.
        system_disk_range=(20, 1024),
        bandwidth=10,
        bandwidth_range=(1, 100),
        vpc_cidr=ipaddress.IPv4Network("10.20.0.0/16"),
        subnet_cidr=ipaddress.IPv4Network("10.20.0.0/20"),
    ),
    "huaweicloud": CloudProfile(
        cloud="huaweicloud",
        login_user="root",
        instance_type="s6.large.2",
        system_disk_type="GPSSD",
        system_disk_types=("GPSSD", "SSD", "SAS", "ESSD", "GPSSD2", "ESSD2"),
        system_disk_size=40,
        # 1024 is the SDK's documented maximum. NOTE: the 40 GiB minimum is an
        # estimate of the Ubuntu image size, because the SDK documents 1.
        system_disk_range=(40, 1024),
        bandwidth=10,
        # The limits pulumi-huaweicloud 0.0.12 documents for bandwidth size.
        bandwidth_range=(1, 300),
        vpc_cidr=ipaddress.IPv4Network("10.30.0.0/16"),
        subnet_cidr=ipaddress.IPv4Network("10.30.0.0/20"),
    ),
}

UBUNTU_VERSIONS = ("22.04", "24.04")
# Huawei EIP types; "5_bgp" (dynamic BGP) exists in most mainland regions.
HUAWEI_EIP_TYPES = ("5_bgp", "5_sbgp")
