"""Alibaba Cloud resources of the seed node ali1 under mocks."""

from __future__ import annotations

import pulumi

from tests.clouds import configs
from tests.clouds.helpers import build, is_secret, resolve
from tests.clouds.mocks import ALICLOUD_IMAGE, SEED_PUBLIC_IPS, unwrap_secret

PREFIX = "alicloud-cn-hangzhou"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def ali_only():
    return configs.cluster([node for node in configs.seed_nodes() if node.cloud != "huaweicloud"
                            and node.cloud != "tencentcloud"])


def test_network_and_instance(mocks):
    build(ali_only())

    vpc = mocks.named(f"{PREFIX}-vpc")
    assert vpc.typ == "alicloud:vpc/network:Network"
    # ali1's privateIp 172.21.143.136/20 sets the vswitch; the VPC is its /16.
    assert vpc.inputs["cidrBlock"] == "172.21.0.0/16"
    vswitch = mocks.named(f"{PREFIX}-vswitch")
    assert vswitch.inputs["cidrBlock"] == "172.21.128.0/20"
    assert vswitch.inputs["zoneId"] == "cn-hangzhou-i"
    assert vswitch.inputs["vpcId"] == f"{PREFIX}-vpc-id"

    instance = mocks.named("ali1")
    assert instance.typ == "alicloud:ecs/instance:Instance"
    assert instance.inputs["hostName"] == "ali1"
    assert instance.inputs["privateIp"] == "172.21.143.136"
    assert instance.inputs["imageId"] == ALICLOUD_IMAGE
    assert instance.inputs["instanceType"] == "ecs.c7.large"
    assert instance.inputs["vswitchId"] == f"{PREFIX}-vswitch-id"
    assert instance.inputs["securityGroups"] == [f"{PREFIX}-sg-id"]
    assert instance.inputs["keyName"] == "k3s-multicloud-test-cn-hangzhou"
    assert int(instance.inputs["internetMaxBandwidthOut"]) == 10
    assert instance.inputs["systemDiskCategory"] == "cloud_essd"
    assert int(instance.inputs["systemDiskSize"]) == 40


def test_instance_tags_public_ip_request(mocks):
    build(ali_only())

    instance = mocks.named("ali1")
    # Every VM gets a public IP from its bandwidth, and the tag states it for
    # the policy pack.
    assert instance.inputs["tags"] == {"k3smc-public-ip": "true"}
    assert instance.inputs["internetMaxBandwidthOut"]


def test_explicit_provider_everywhere(mocks):
    build(ali_only())

    providers = mocks.of_type("pulumi:providers:alicloud")
    assert [provider.name for provider in providers] == [PREFIX]
    assert providers[0].inputs["region"] == "cn-hangzhou"
    for resource in mocks.resources:
        if resource.typ.startswith("alicloud:"):
            assert resource.provider is not None, resource.name
            assert f"::{PREFIX}::" in resource.provider, resource.name
    for token, _args, provider in mocks.invokes:
        assert provider is not None and f"::{PREFIX}::" in provider, token


def test_image_lookup_and_override(mocks):
    build(ali_only())
    token, args, _provider = next(call for call in mocks.invokes
                                  if call[0] == "alicloud:ecs/getImages:getImages")
    assert args["nameRegex"] == "^ubuntu_22_04_x64"
    assert args["owners"] == "system"
    assert args["mostRecent"] is True


def test_rules_port_protocol_source(mocks):
    build(ali_only())
    rules = {rule.name: rule.inputs for rule in mocks.of_type(RULE)}

    ssh = rules[f"{PREFIX}-ssh-198.51.100.0-24"]
    assert (ssh["ipProtocol"], ssh["portRange"], ssh["cidrIp"]) == ("tcp", "22/22", configs.ADMIN_CIDR)
    kubelet = rules[f"{PREFIX}-kubelet-node-ty1"]
    assert (kubelet["ipProtocol"], kubelet["portRange"], kubelet["cidrIp"]) == (
        "tcp", "10250/10250", "203.0.113.10/32")
    own = rules[f"{PREFIX}-kubelet-node-ali1"]
    assert own["cidrIp"] == f"{SEED_PUBLIC_IPS['ali1']}/32"
    wireguard = rules[f"{PREFIX}-wireguard-0.0.0.0-0"]
    assert (wireguard["ipProtocol"], wireguard["portRange"]) == ("udp", "51820/51820")
    ipip = rules[f"{PREFIX}-ipip-172.21.0.0-16"]
    assert (ipip["ipProtocol"], ipip["portRange"], ipip["cidrIp"]) == ("all", "-1/-1", "172.21.0.0/16")
    egress = rules[f"{PREFIX}-egress-0.0.0.0-0"]
    assert egress["type"] == "egress"
    for inputs in rules.values():
        assert inputs["nicType"] == "intranet"
        assert inputs["securityGroupId"] == f"{PREFIX}-sg-id"
    # ty1 is the only server and is not on Alibaba, so no API or etcd rule.
    assert not [name for name in rules if "-kube-api-" in name or "-etcd-" in name]
    # bd2 has no public IP, so no rule can name it.
    assert not [name for name in rules if name.endswith("node-bd2")]


def test_host_shape(mocks):
    result = build(ali_only())
    host = result.hosts["ali1"]

    assert resolve(host.public_ip) == SEED_PUBLIC_IPS["ali1"]
    assert resolve(host.ssh_host) == SEED_PUBLIC_IPS["ali1"]
    assert resolve(host.private_ip) == "172.21.143.136"
    assert resolve(host.private_prefix) == 20
    assert host.ssh_user == "root"
    assert is_secret(host.ssh_private_key)
    depends = {resource._name for resource in host.depends_on}
    assert "ali1" in depends
    assert f"{PREFIX}-ssh-198.51.100.0-24" in depends
    assert f"{PREFIX}-kubelet-node-ali1" in depends
    assert result.generated_private_key is None


def test_credentials_from_config_are_secret(mocks):
    pulumi.runtime.set_all_config(
        {"alicloud:accessKey": "LTAI-test-access", "alicloud:secretKey": "test-secret-value"},
        ["alicloud:accessKey", "alicloud:secretKey"])
    build(ali_only())

    provider = mocks.named(PREFIX, "pulumi:providers:alicloud")
    for key, value in (("accessKey", "LTAI-test-access"), ("secretKey", "test-secret-value")):
        wire = provider.inputs[key]
        assert isinstance(wire, dict), f"{key} reached the provider in plain text"
        assert unwrap_secret(wire) == value


def test_credentials_from_environment_are_secret(mocks, monkeypatch):
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "LTAI-env-access")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "env-secret-value")
    build(ali_only())

    provider = mocks.named(PREFIX, "pulumi:providers:alicloud")
    assert unwrap_secret(provider.inputs["accessKey"]) == "LTAI-env-access"
    assert isinstance(provider.inputs["secretKey"], dict)
    assert unwrap_secret(provider.inputs["secretKey"]) == "env-secret-value"
