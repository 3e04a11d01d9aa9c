"""Validate the ``vm`` block of one node (no cloud SDK import)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from components.config import fields
from components.config.fields import child
from components.config.model import VM_CLOUDS, VmSettings
from components.clouds.profiles import HUAWEI_EIP_TYPES, PROFILES, UBUNTU_VERSIONS
from components.errors import IssueCollector

VM_KEYS = ("region", "zone", "instanceType", "ubuntuVersion", "imageId", "systemDiskType",
           "systemDiskSize", "bandwidth", "vpcCidr", "subnetCidr", "vpcId", "subnetId")
# Keys that only one cloud understands.
CLOUD_ONLY_KEYS = {"huaweicloud": ("eipType",)}

# Region and zone IDs: cn-hangzhou, ap-guangzhou-3, cn-north-4a.
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PRIVATE_RANGES = tuple(ipaddress.IPv4Network(cidr)
                        for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def validate_vm(path: str, cloud: str, raw_vm: Mapping[str, Any],
                collector: IssueCollector) -> VmSettings | None:
    """Check one ``vm`` block and return it with the cloud's defaults applied.

    Every problem goes to ``collector``; the function never raises. It returns
    None when the block has an error, so the loader does not build a node from it.
    """
    if cloud not in VM_CLOUDS:
        collector.add(child(path, "cloud"), cloud,
                      f"cannot create VMs; use one of {', '.join(VM_CLOUDS)}",
                      f"不支持创建云主机；请使用 {', '.join(VM_CLOUDS)} 之一")
        return None
    if not isinstance(raw_vm, Mapping):
        fields.wrong_type(collector, path, raw_vm, "mapping")
        return None

    profile = PROFILES[cloud]
    before = len(collector.issues)
    fields.check_keys(collector, path, raw_vm, VM_KEYS + CLOUD_ONLY_KEYS.get(cloud, ()))

    region = _read_id(collector, child(path, "region"), raw_vm.get("region"), _REGION_RE,
                      "a region ID such as cn-hangzhou", "地域 ID，例如 cn-hangzhou")
    if raw_vm.get("region") is None:
        fields.missing(collector, child(path, "region"),
                       "set the region to create the VM in, e.g. cn-hangzhou",
                       "请填写创建云主机的地域，例如 cn-hangzhou")
    zone = _read_id(collector, child(path, "zone"), raw_vm.get("zone"), _ID_RE,
                    "a zone ID such as cn-hangzhou-i", "可用区 ID，例如 cn-hangzhou-i")
    instance_type = _read_id(collector, child(path, "instanceType"), raw_vm.get("instanceType"),
                             _ID_RE, f"an instance type such as {profile.instance_type}",
                             f"实例规格，例如 {profile.instance_type}")
    image_id = _read_id(collector, child(path, "imageId"), raw_vm.get("imageId"), _ID_RE,
                        "an image ID of the region", "该地域的镜像 ID")

    ubuntu_version = _read_choice(collector, child(path, "ubuntuVersion"),
                                  raw_vm.get("ubuntuVersion"), UBUNTU_VERSIONS)
    disk_type = _read_choice(collector, child(path, "systemDiskType"),
                             raw_vm.get("systemDiskType"), profile.system_disk_types)
    disk_min, disk_max = profile.system_disk_range
    disk_size = fields.read_int(collector, child(path, "systemDiskSize"),
                                raw_vm.get("systemDiskSize"), minimum=disk_min,
                                maximum=disk_max, unit_en="GiB", unit_zh="（GiB）")
    bandwidth_min, bandwidth_max = profile.bandwidth_range
    bandwidth = fields.read_int(collector, child(path, "bandwidth"), raw_vm.get("bandwidth"),
                                minimum=bandwidth_min, maximum=bandwidth_max,
                                unit_en="Mbit/s", unit_zh="（Mbit/s）")

    vpc_cidr = _read_private_network(collector, child(path, "vpcCidr"), raw_vm.get("vpcCidr"))
    subnet_cidr = _read_private_network(collector, child(path, "subnetCidr"),
                                        raw_vm.get("subnetCidr"))
    if vpc_cidr is not None and subnet_cidr is not None and not subnet_cidr.subnet_of(vpc_cidr):
        collector.add(child(path, "subnetCidr"), str(subnet_cidr),
                      f"is not inside vpcCidr {vpc_cidr}; choose a subnet of the VPC",
                      f"不在 vpcCidr {vpc_cidr} 之内；请选择该 VPC 内的子网")

    vpc_id = _read_id(collector, child(path, "vpcId"), raw_vm.get("vpcId"), _ID_RE,
                      "the ID of an existing VPC", "已有 VPC 的 ID")
    subnet_id = _read_id(collector, child(path, "subnetId"), raw_vm.get("subnetId"), _ID_RE,
                         "the ID of an existing subnet", "已有子网的 ID")
    _check_existing_network(collector, path, raw_vm, vpc_id, subnet_id, vpc_cidr, subnet_cidr)
    if cloud == "tencentcloud" and raw_vm.get("subnetId") is not None and raw_vm.get("zone") is None:
        # A Tencent Cloud subnet lives in one zone and the CVM must be created
        # there, so the first zone of the lookup would only fit by chance.
        # Alibaba Cloud takes the zone from the vswitch, and a Huawei Cloud
        # subnet is not bound to a zone, so those two do not need it.
        collector.add(child(path, "zone"), None,
                      "is required with subnetId on Tencent Cloud, because a subnet belongs to one "
                      "zone and the VM must be created in it; copy the subnet's availability zone "
                      "from the console, e.g. ap-guangzhou-3",
                      "腾讯云设置 subnetId 时必须填写，因为子网属于一个可用区，云主机必须创建在该可用区；"
                      "请从控制台复制该子网的可用区，例如 ap-guangzhou-3")

    extra: dict[str, Any] = {}
    if cloud == "huaweicloud":
        eip_type = _read_choice(collector, child(path, "eipType"), raw_vm.get("eipType"),
                                HUAWEI_EIP_TYPES)
        extra["eip_type"] = eip_type or HUAWEI_EIP_TYPES[0]

    if len(collector.issues) > before or region is None:
        return None
    return VmSettings(
        region=region,
        extra=extra,
        zone=zone,
        instance_type=instance_type or profile.instance_type,
        ubuntu_version=ubuntu_version or UBUNTU_VERSIONS[0],
        image_id=image_id,
        system_disk_type=disk_type or profile.system_disk_type,
        system_disk_size=disk_size or profile.system_disk_size,
        bandwidth=bandwidth or profile.bandwidth,
        vpc_cidr=vpc_cidr,
        subnet_cidr=subnet_cidr,
        vpc_id=vpc_id,
        subnet_id=subnet_id,
    )


def _read_id(collector: IssueCollector, path: str, value: Any, pattern: re.Pattern[str],
             what_en: str, what_zh: str) -> str | None:
    text = fields.read_str(collector, path, value)
    if text is None:
        return None
    if not pattern.match(text):
        collector.add(path, value, f"is not {what_en}; check the spelling in the cloud console",
                      f"不是有效的{what_zh}；请对照云控制台检查拼写")
        return None
    return text


def _read_choice(collector: IssueCollector, path: str, value: Any,
                 choices: tuple[str, ...]) -> str | None:
    # YAML reads an unquoted 22.04 as a float, so accept that spelling too.
    if isinstance(value, float):
        value = f"{value:.2f}"
    text = fields.read_str(collector, path, value)
    if text is None:
        return None
    if text not in choices:
        collector.add(path, value, f"must be one of {', '.join(choices)}",
                      f"必须是 {', '.join(choices)} 之一")
        return None
    return text


def _read_private_network(collector: IssueCollector, path: str,
                          value: Any) -> ipaddress.IPv4Network | None:
    network = fields.parse_ipv4_network(collector, path, value)
    if network is None:
        return None
    if not any(network.subnet_of(private) for private in _PRIVATE_RANGES):
        collector.add(path, value,
                      "is not a private range; VPCs take 10.0.0.0/8, 172.16.0.0/12 or "
                      "192.168.0.0/16, so choose a network inside one of them",
                      "不是私有网段；VPC 只能使用 10.0.0.0/8、172.16.0.0/12 或 192.168.0.0/16，"
                      "请在其中选择网段")
        return None
    if network.prefixlen > 28:
        collector.add(path, value, "is smaller than /28, which no cloud accepts; use /28 or larger",
                      "小于 /28，云平台不接受；请使用 /28 或更大的网段")
        return None
    return network


def _check_existing_network(collector: IssueCollector, path: str, raw_vm: Mapping[str, Any],
                            vpc_id: str | None, subnet_id: str | None,
                            vpc_cidr: ipaddress.IPv4Network | None,
                            subnet_cidr: ipaddress.IPv4Network | None) -> None:
    """Check that an existing subnet comes with its VPC and both ranges, for addresses and rules."""
    if subnet_id is not None and vpc_id is None and raw_vm.get("vpcId") is None:
        collector.add(child(path, "vpcId"), None,
                      "is required with subnetId; set the ID of the VPC that contains the subnet",
                      "设置 subnetId 时必须填写；请填写包含该子网的 VPC 的 ID")
    if vpc_id is not None and subnet_id is None and raw_vm.get("subnetId") is None:
        collector.add(child(path, "subnetId"), None,
                      "is required with vpcId; set the ID of the subnet (vswitch) to use",
                      "设置 vpcId 时必须填写；请填写要使用的子网（交换机）ID")
    if vpc_id is None and subnet_id is None:
        return
    if vpc_cidr is None and raw_vm.get("vpcCidr") is None:
        collector.add(child(path, "vpcCidr"), None,
                      "is required with an existing VPC; copy the VPC's CIDR from the console, "
                      "because the security group rule for Kilo's IPIP traffic uses it",
                      "使用已有 VPC 时必须填写；请从控制台复制该 VPC 的网段，Kilo IPIP 的安全组规则要用到它")
    if subnet_cidr is None and raw_vm.get("subnetCidr") is None:
        collector.add(child(path, "subnetCidr"), None,
                      "is required with an existing subnet; copy its CIDR from the console, "
                      "because node private IPs are chosen from it",
                      "使用已有子网时必须填写；请从控制台复制其网段，节点私网 IP 从中分配")
