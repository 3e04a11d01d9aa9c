"""Tencent Cloud resources of the seed node tx1 under mocks."""

from __future__ import annotations

import dataclasses

import pulumi

from tests.clouds import configs
from tests.clouds.helpers import build, is_secret, resolve
from tests.clouds.mocks import SEED_PUBLIC_IPS, TENCENT_IMAGE, unwrap_secret

PREFIX = "tencentcloud-ap-guangzhou"
RULE = "tencentcloud:Security/groupRule:GroupRule"


def tx_only(**changes):
    nodes = [node for node in configs.seed_nodes() if node.cloud not in ("alicloud", "huaweicloud")]
    return configs.cluster([dataclasses.replace(node, **changes) if node.name == "tx1" else node
                            for node in nodes])


def test_network_and_instance(mocks):
    build(tx_only())

    vpc = mocks.named(f"{PREFIX}-vpc")
    assert vpc.typ == "tencentcloud:Vpc/instance:Instance"
    assert vpc.inputs["cidrBlock"] == "172.17.0.0/16"
    subnet = mocks.named(f"{PREFIX}-subnet")
    assert subnet.inputs["cidrBlock"] == "172.17.0.0/20"
    assert subnet.inputs["availabilityZone"] == "ap-guangzhou-3"

    key = mocks.named(f"{PREFIX}-key")
    assert key.typ == "tencentcloud:Key/pair:Pair"
    assert len(key.inputs["keyName"]) <= 25
    assert key.inputs["keyName"].replace("_", "").isalnum()

    instance = mocks.named("tx1")
    assert instance.typ == "tencentcloud:Instance/instance:Instance"
    assert instance.inputs["hostname"] == "tx1"
    assert instance.inputs["privateIp"] == "172.17.0.3"
    assert instance.inputs["imageId"] == TENCENT_IMAGE
    assert instance.inputs["availabilityZone"] == "ap-guangzhou-3"
    assert instance.inputs["orderlySecurityGroups"] == [f"{PREFIX}-sg-id"]
    assert instance.inputs["keyIds"] == [f"{PREFIX}-key-id"]
    assert instance.inputs["allocatePublicIp"] is True
    assert int(instance.inputs["internetMaxBandwidthOut"]) == 10
    assert instance.inputs["systemDiskType"] == "CLOUD_PREMIUM"


def test_instance_tags_public_ip_request(mocks):
    build(tx_only())

    instance = mocks.named("tx1")
    # Every VM gets a public IP from its bandwidth, and the tag states it for
    # the policy pack.
    assert instance.inputs["tags"] == {"k3smc-public-ip": "true"}
    assert instance.inputs["allocatePublicIp"]


def test_rules_are_single_group_rules(mocks):
    build(tx_only())
    assert not mocks.of_type("tencentcloud:Security/groupRuleSet:GroupRuleSet")
    rules = {rule.name: rule.inputs for rule in mocks.of_type(RULE)}

    ssh = rules[f"{PREFIX}-ssh-198.51.100.0-24"]
    assert (ssh["ipProtocol"], ssh["portRange"], ssh["cidrIp"], ssh["policy"]) == (
        "TCP", "22", configs.ADMIN_CIDR, "ACCEPT")
    kubelet = rules[f"{PREFIX}-kubelet-node-bd1"]
    assert (kubelet["ipProtocol"], kubelet["portRange"], kubelet["cidrIp"]) == (
        "TCP", "10250", "198.51.100.40/32")
    wireguard = rules[f"{PREFIX}-wireguard-0.0.0.0-0"]
    assert (wireguard["ipProtocol"], wireguard["portRange"]) == ("UDP", "51820")
    ipip = rules[f"{PREFIX}-ipip-172.17.0.0-16"]
    assert ipip["ipProtocol"] == "ALL"
    assert "portRange" not in ipip
    # The outbound rule is explicit on every cloud, so no cloud default decides it.
    assert rules[f"{PREFIX}-egress-0.0.0.0-0"]["type"] == "egress"
    for inputs in rules.values():
        assert len(inputs["description"]) <= 100


def test_server_gets_api_and_etcd_rules(mocks):
    # tx1 is the only server, because all servers must share one location.
    nodes = [dataclasses.replace(node, role="agent") if node.name == "ty1" else node
             for node in tx_only(role="server").nodes]
    build(configs.cluster(nodes))
    rules = {rule.name: rule.inputs for rule in mocks.of_type(RULE)}

    # GroupRule takes a port list, so the API and kubelet share one rule per source.
    api_from_ty1 = rules[f"{PREFIX}-kube-api+kubelet-node-ty1"]
    assert (api_from_ty1["portRange"], api_from_ty1["cidrIp"]) == ("6443,10250", "203.0.113.10/32")
    assert f"{PREFIX}-kube-api-node-ty1" not in rules
    assert f"{PREFIX}-kubelet-node-ty1" not in rules
    admin = rules[f"{PREFIX}-ssh+kube-api-198.51.100.0-24"]
    assert (admin["portRange"], admin["cidrIp"]) == ("22,6443", configs.ADMIN_CIDR)
    assert len(admin["description"]) <= 100
    # A port range stays in a rule of its own.
    # etcd admits the one server's private /32, never a public IP or the whole VPC.
    (etcd_name,) = [name for name in rules if "-etcd-" in name]
    etcd = rules[etcd_name]
    assert (etcd["portRange"], etcd["cidrIp"]) == ("2379-2380", "172.17.0.3/32")
    assert f"{PREFIX}-kube-api+kubelet-node-bd1" in rules


def test_host_logs_in_as_ubuntu(mocks):
    host = build(tx_only()).hosts["tx1"]
    assert host.ssh_user == "ubuntu"
    assert resolve(host.public_ip) == SEED_PUBLIC_IPS["tx1"]
    assert resolve(host.private_ip) == "172.17.0.3"
    assert resolve(host.private_prefix) == 20


def test_credentials_are_secret(mocks, monkeypatch):
    pulumi.runtime.set_all_config({"tencentcloud:secretKey": "tencent-config-secret"},
                                  ["tencentcloud:secretKey"])
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKID-env-id")
    build(tx_only())

    provider = mocks.named(PREFIX, "pulumi:providers:tencentcloud")
    assert provider.inputs["region"] == "ap-guangzhou"
    assert isinstance(provider.inputs["secretId"], dict)
    assert unwrap_secret(provider.inputs["secretId"]) == "AKID-env-id"
    assert unwrap_secret(provider.inputs["secretKey"]) == "tencent-config-secret"
