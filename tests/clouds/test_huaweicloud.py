"""Huawei Cloud resources of the seed node hw1 under mocks."""

from __future__ import annotations

import dataclasses

import pulumi

from tests.clouds import configs
from tests.clouds.helpers import build, resolve
from tests.clouds.mocks import HUAWEI_IMAGE, SEED_PUBLIC_IPS, unwrap_secret

PREFIX = "huaweicloud-cn-north-4"
RULE = "huaweicloud:Vpc/secgroupRule:SecgroupRule"


def hw_only():
    return configs.cluster([node for node in configs.seed_nodes()
                            if node.cloud not in ("alicloud", "tencentcloud")])


def test_network_and_instance(mocks):
    build(hw_only())

    vpc = mocks.named(f"{PREFIX}-vpc")
    assert vpc.typ == "huaweicloud:Vpc/vpc:Vpc"
    assert vpc.inputs["cidr"] == "192.168.0.0/16"
    subnet = mocks.named(f"{PREFIX}-subnet")
    assert subnet.inputs["cidr"] == "192.168.7.0/24"
    assert subnet.inputs["gatewayIp"] == "192.168.7.1"
    assert subnet.inputs["availabilityZone"] == "cn-north-4a"
    group = mocks.named(f"{PREFIX}-sg")
    assert group.inputs["deleteDefaultRules"] is True

    instance = mocks.named("hw1")
    assert instance.typ == "huaweicloud:Ecs/instance:Instance"
    assert instance.inputs["hostname"] == "hw1"
    assert instance.inputs["imageId"] == HUAWEI_IMAGE
    assert instance.inputs["flavorId"] == "s6.large.2"
    assert instance.inputs["networks"] == [{"uuid": f"{PREFIX}-subnet-id", "fixedIpV4": "192.168.7.226"}]
    assert instance.inputs["eipType"] == "5_bgp"
    assert instance.inputs["bandwidth"]["shareType"] == "PER"
    assert int(instance.inputs["bandwidth"]["size"]) == 10
    assert instance.inputs["securityGroupIds"] == [f"{PREFIX}-sg-id"]
    assert instance.inputs["keyPair"] == "k3s-multicloud-test-cn-north-4"


def test_instance_tags_public_ip_request(mocks):
    build(hw_only())

    instance = mocks.named("hw1")
    # Every VM gets a public IP from its bandwidth, and the tag states it for
    # the policy pack.
    assert instance.inputs["tags"] == {"k3smc-public-ip": "true"}
    assert instance.inputs["eipType"]


def test_rules_port_protocol_source(mocks):
    build(hw_only())
    rules = {rule.name: rule.inputs for rule in mocks.of_type(RULE)}

    ssh = rules[f"{PREFIX}-ssh-198.51.100.0-24"]
    assert (ssh["protocol"], ssh["ports"], ssh["remoteIpPrefix"], ssh["action"]) == (
        "tcp", "22", configs.ADMIN_CIDR, "allow")
    kubelet = rules[f"{PREFIX}-kubelet-node-hw1"]
    assert (kubelet["ports"], kubelet["remoteIpPrefix"]) == ("10250", f"{SEED_PUBLIC_IPS['hw1']}/32")
    wireguard = rules[f"{PREFIX}-wireguard-0.0.0.0-0"]
    assert (wireguard["protocol"], wireguard["ports"]) == ("udp", "51820")
    ipip = rules[f"{PREFIX}-ipip-192.168.0.0-16"]
    assert "protocol" not in ipip
    assert "ports" not in ipip
    assert rules[f"{PREFIX}-egress-0.0.0.0-0"]["direction"] == "egress"
    for inputs in rules.values():
        assert inputs["ethertype"] == "IPv4"


def test_server_group_combines_single_ports(mocks):
    # hw1 is the only server, because all servers must share one location.
    nodes = [dataclasses.replace(node, role="server") if node.name == "hw1" else
             dataclasses.replace(node, role="agent") if node.name == "ty1" else node
             for node in configs.seed_nodes() if node.cloud not in ("alicloud", "tencentcloud")]
    build(configs.cluster(nodes))
    rules = {rule.name: rule.inputs for rule in mocks.of_type(RULE)}

    api_from_ty1 = rules[f"{PREFIX}-kube-api+kubelet-node-ty1"]
    assert (api_from_ty1["ports"], api_from_ty1["remoteIpPrefix"]) == ("6443,10250", "203.0.113.10/32")
    admin = rules[f"{PREFIX}-ssh+kube-api-198.51.100.0-24"]
    assert (admin["ports"], admin["remoteIpPrefix"]) == ("22,6443", configs.ADMIN_CIDR)
    # etcd admits the one server's private /32, never a public IP or the whole VPC.
    (etcd_name,) = [name for name in rules if "-etcd-" in name]
    etcd = rules[etcd_name]
    assert (etcd["ports"], etcd["remoteIpPrefix"]) == ("2379-2380", "192.168.7.226/32")
    assert not [name for name in rules if name.endswith(("-kubelet-node-ty1", "-kube-api-node-ty1"))]


def test_host_shape(mocks):
    host = build(hw_only()).hosts["hw1"]
    assert host.ssh_user == "root"
    assert resolve(host.public_ip) == SEED_PUBLIC_IPS["hw1"]
    assert resolve(host.private_ip) == "192.168.7.226"
    assert resolve(host.private_prefix) == 24


def test_credentials_are_secret(mocks):
    pulumi.runtime.set_all_config({"huaweicloud:accessKey": "HW-config-access",
                                   "huaweicloud:secretKey": "hw-config-secret"},
                                  ["huaweicloud:accessKey", "huaweicloud:secretKey"])
    build(hw_only())

    provider = mocks.named(PREFIX, "pulumi:providers:huaweicloud")
    assert provider.inputs["region"] == "cn-north-4"
    assert isinstance(provider.inputs["accessKey"], dict)
    assert unwrap_secret(provider.inputs["accessKey"]) == "HW-config-access"
    assert unwrap_secret(provider.inputs["secretKey"]) == "hw-config-secret"
