"""Validation of one node's vm block."""

from __future__ import annotations

import ipaddress

import pytest

from components.clouds import validate_vm
from components.errors import IssueCollector


def validate(raw, cloud="alicloud"):
    collector = IssueCollector()
    settings = validate_vm("nodes[3].vm", cloud, raw, collector)
    return settings, collector.issues


@pytest.mark.parametrize("cloud,instance_type,disk_type,disk_size", [
    ("alicloud", "ecs.c7.large", "cloud_essd", 40),
    ("tencentcloud", "S5.MEDIUM4", "CLOUD_PREMIUM", 50),
    ("huaweicloud", "s6.large.2", "GPSSD", 40),
])
def test_defaults_per_cloud(cloud, instance_type, disk_type, disk_size):
    settings, issues = validate({"region": "cn-hangzhou"}, cloud)
    assert issues == []
    assert settings.region == "cn-hangzhou"
    assert settings.instance_type == instance_type
    assert settings.system_disk_type == disk_type
    assert settings.system_disk_size == disk_size
    assert settings.bandwidth == 10
    assert settings.ubuntu_version == "22.04"
    assert settings.image_id is None
    assert settings.zone is None


def test_all_keys_parsed():
    settings, issues = validate({
        "region": "cn-beijing", "zone": "cn-beijing-h", "instanceType": "ecs.g7.large",
        "ubuntuVersion": "24.04", "imageId": "m-abc123", "systemDiskType": "cloud_auto",
        "systemDiskSize": 80, "bandwidth": 50, "vpcCidr": "10.50.0.0/16",
        "subnetCidr": "10.50.1.0/24",
    })
    assert issues == []
    assert settings.zone == "cn-beijing-h"
    assert settings.ubuntu_version == "24.04"
    assert settings.image_id == "m-abc123"
    assert settings.system_disk_size == 80
    assert settings.bandwidth == 50
    assert settings.vpc_cidr == ipaddress.IPv4Network("10.50.0.0/16")
    assert settings.subnet_cidr == ipaddress.IPv4Network("10.50.1.0/24")


def test_yaml_float_version_accepted():
    settings, issues = validate({"region": "cn-hangzhou", "ubuntuVersion": 22.04})
    assert issues == []
    assert settings.ubuntu_version == "22.04"


def test_errors_collected_together():
    settings, issues = validate({
        "zone": 5, "ubuntuVersion": "20.04", "systemDiskType": "GPSSD", "systemDiskSize": 5000,
        "bandwidth": 0, "vpcCidr": "8.8.0.0/16", "subnetCidr": "10.1.0.1/24", "instanceTyp": "x",
    })
    assert settings is None
    paths = {issue.path for issue in issues}
    assert paths >= {"nodes[3].vm.region", "nodes[3].vm.zone", "nodes[3].vm.ubuntuVersion",
                     "nodes[3].vm.systemDiskType", "nodes[3].vm.systemDiskSize",
                     "nodes[3].vm.bandwidth", "nodes[3].vm.vpcCidr", "nodes[3].vm.subnetCidr",
                     "nodes[3].vm.instanceTyp"}
    for issue in issues:
        assert issue.message_en and issue.message_zh
        assert issue.message_en != issue.message_zh


def test_message_names_value_and_fix():
    _settings, issues = validate({"region": "cn-hangzhou", "ubuntuVersion": "20.04"})
    (issue,) = issues
    assert issue.value == "20.04"
    assert "22.04" in issue.message_en
    assert "24.04" in issue.message_en
    assert "22.04" in issue.message_zh
    assert issue.render("zh").startswith("nodes[3].vm.ubuntuVersion = '20.04': 必须是")


def test_subnet_must_be_inside_vpc():
    _settings, issues = validate({"region": "cn-hangzhou", "vpcCidr": "10.50.0.0/16",
                                  "subnetCidr": "10.60.0.0/24"})
    assert [issue.path for issue in issues] == ["nodes[3].vm.subnetCidr"]


def test_existing_network_needs_ids_and_ranges():
    _settings, issues = validate({"region": "cn-hangzhou", "subnetId": "vsw-123"})
    paths = sorted(issue.path for issue in issues)
    assert paths == ["nodes[3].vm.subnetCidr", "nodes[3].vm.vpcCidr", "nodes[3].vm.vpcId"]


def test_existing_network_accepted():
    settings, issues = validate({"region": "cn-hangzhou", "vpcId": "vpc-1", "subnetId": "vsw-1",
                                 "vpcCidr": "10.50.0.0/16", "subnetCidr": "10.50.0.0/20"})
    assert issues == []
    assert (settings.vpc_id, settings.subnet_id) == ("vpc-1", "vsw-1")


def test_eip_type_only_on_huawei():
    settings, issues = validate({"region": "cn-north-4", "eipType": "5_sbgp"}, "huaweicloud")
    assert issues == []
    assert settings.extra["eip_type"] == "5_sbgp"
    _settings, issues = validate({"region": "cn-hangzhou", "eipType": "5_sbgp"}, "alicloud")
    assert [issue.path for issue in issues] == ["nodes[3].vm.eipType"]


def test_not_a_mapping():
    settings, issues = validate(["cn-hangzhou"])
    assert settings is None
    assert [issue.path for issue in issues] == ["nodes[3].vm"]


def test_cloud_without_vms():
    settings, issues = validate({"region": "cn-hangzhou"}, "ctyun")
    assert settings is None
    assert "alicloud" in issues[0].message_en


EXISTING_NETWORK = {"region": "ap-guangzhou", "vpcId": "vpc-1", "subnetId": "subnet-1",
                    "vpcCidr": "172.17.0.0/16", "subnetCidr": "172.17.0.0/20"}


def test_tencent_subnet_needs_its_zone():
    settings, issues = validate(EXISTING_NETWORK, "tencentcloud")
    assert settings is None
    (issue,) = issues
    assert issue.path == "nodes[3].vm.zone"
    assert "subnetId" in issue.message_en
    assert "subnetId" in issue.message_zh
    assert "ap-guangzhou-3" in issue.message_en


def test_tencent_subnet_with_zone_passes():
    settings, issues = validate({**EXISTING_NETWORK, "zone": "ap-guangzhou-3"}, "tencentcloud")
    assert issues == []
    assert settings.zone == "ap-guangzhou-3"
    assert settings.subnet_id == "subnet-1"


@pytest.mark.parametrize("cloud", ["alicloud", "huaweicloud"])
def test_other_clouds_take_subnet_without_zone(cloud):
    """Alibaba Cloud places the VM in the vswitch's zone; a Huawei Cloud subnet spans zones."""
    settings, issues = validate(EXISTING_NETWORK, cloud)
    assert issues == []
    assert settings.zone is None
