"""VMs in an existing VPC and subnet take the subnet's zone, never a looked-up one."""

from __future__ import annotations

import dataclasses
import ipaddress

from tests.clouds import configs
from tests.clouds.helpers import build


def in_existing_network(cloud: str, zone: str | None):
    nodes = []
    for node in configs.seed_nodes():
        if node.cloud == cloud:
            subnet = node.private_ip.network
            vm = dataclasses.replace(node.vm, vpc_id="vpc-existing", subnet_id="subnet-existing",
                                     vpc_cidr=ipaddress.IPv4Network(f"{subnet.network_address}/16",
                                                                    strict=False),
                                     subnet_cidr=subnet, zone=zone)
            node = dataclasses.replace(node, vm=vm)
        nodes.append(node)
    return configs.cluster(nodes)


def invoked(mocks, token: str) -> bool:
    return any(call_token == token for call_token, _args, _provider in mocks.invokes)


def test_tencent_instance_uses_the_subnet_zone(mocks):
    build(in_existing_network("tencentcloud", "ap-guangzhou-6"))
    instance = mocks.named("tx1", "tencentcloud:Instance/instance:Instance")
    assert instance.inputs["subnetId"] == "subnet-existing"
    assert instance.inputs["availabilityZone"] == "ap-guangzhou-6"
    assert not invoked(mocks, "tencentcloud:Availability/getZonesByProduct:getZonesByProduct")
    assert not mocks.of_type("tencentcloud:Subnet/instance:Instance")


def test_alibaba_existing_vswitch_skips_the_zone_lookup(mocks):
    build(in_existing_network("alicloud", None))
    instance = mocks.named("ali1", "alicloud:ecs/instance:Instance")
    assert instance.inputs["vswitchId"] == "subnet-existing"
    assert "availabilityZone" not in instance.inputs
    assert not invoked(mocks, "alicloud:index/getZones:getZones")
