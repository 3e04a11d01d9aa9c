import pytest
from pulumi_policy.proxy import UnknownValueError

from k3smc_policy.firewall import (
    ALICLOUD_RULE,
    HUAWEICLOUD_RULE,
    TENCENTCLOUD_RULE,
    TENCENTCLOUD_RULE_SET,
    no_public_admin_ports,
)
from policy_fakes import UNKNOWN, resource_args, violations

ALI_BASE = {"type": "ingress", "ipProtocol": "tcp", "policy": "accept", "securityGroupId": "sg-1"}
TC_BASE = {"type": "ingress", "ipProtocol": "TCP", "policy": "ACCEPT", "securityGroupId": "sg-1"}
HW_BASE = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
           "securityGroupId": "sg-1"}

FAILING = [
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "portRange": "22/22", "cidrIp": "0.0.0.0/0"},
                 "22 (SSH)", id="alicloud-ssh"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "portRange": "6000/7000", "ipv6CidrIp": "::/0"},
                 "6443 (Kubernetes API)", id="alicloud-ipv6-range"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "ipProtocol": "all", "portRange": "-1/-1",
                                 "cidrIp": "0.0.0.0/0"}, "10250 (kubelet)", id="alicloud-all"),
    pytest.param(TENCENTCLOUD_RULE, {**TC_BASE, "portRange": "2379-2380", "cidrIp": "0.0.0.0/0"},
                 "2380 (etcd peer)", id="tencent-etcd"),
    pytest.param(TENCENTCLOUD_RULE, {**TC_BASE, "portRange": "80,10250", "cidrIp": "0.0.0.0/0"},
                 "10250 (kubelet)", id="tencent-list"),
    pytest.param(TENCENTCLOUD_RULE, {**TC_BASE, "ipProtocol": "ALL", "portRange": "ALL",
                                     "cidrIp": "::/0"}, "22 (SSH)", id="tencent-all"),
    pytest.param(TENCENTCLOUD_RULE_SET,
                 {"securityGroupId": "sg-1", "ingresses": [
                     {"action": "ACCEPT", "protocol": "UDP", "port": "51820",
                      "cidrBlock": "0.0.0.0/0"},
                     {"action": "ACCEPT", "protocol": "TCP", "port": "6443",
                      "cidrBlock": "0.0.0.0/0"}]},
                 "ingresses[1].cidrBlock", id="tencent-rule-set"),
    pytest.param(TENCENTCLOUD_RULE_SET,
                 {"securityGroupId": "sg-1", "ingresses": [{"action": "ACCEPT",
                                                            "cidrBlock": "0.0.0.0/0"}]},
                 "22 (SSH)", id="tencent-rule-set-no-protocol"),
    pytest.param(HUAWEICLOUD_RULE, {**HW_BASE, "ports": "22", "remoteIpPrefix": "0.0.0.0/0"},
                 "22 (SSH)", id="huawei-ports"),
    pytest.param(HUAWEICLOUD_RULE, {**HW_BASE, "portRangeMin": 6443.0, "portRangeMax": 6443.0},
                 "remoteIpPrefix = 0.0.0.0/0", id="huawei-empty-remote"),
    pytest.param(HUAWEICLOUD_RULE, {**HW_BASE, "ethertype": "IPv6", "protocol": None},
                 "remoteIpPrefix = ::/0", id="huawei-no-protocol-ipv6"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "portRange": "22/22", "cidrIp": "0.0.0.0/1"},
                 "22 (SSH)", id="alicloud-half-internet"),
]

PASSING = [
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "portRange": "22/22", "cidrIp": "198.51.100.0/24"},
                 id="alicloud-admin-cidr"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "ipProtocol": "udp", "portRange": "51820/51820",
                                 "cidrIp": "0.0.0.0/0"}, id="alicloud-wireguard"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "portRange": "443/443", "cidrIp": "0.0.0.0/0"},
                 id="alicloud-other-port"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "portRange": "22/22", "cidrIp": "10.0.0.0/8"},
                 id="alicloud-slash-8"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "type": "egress", "portRange": "-1/-1",
                                 "cidrIp": "0.0.0.0/0"}, id="alicloud-egress"),
    pytest.param(ALICLOUD_RULE, {**ALI_BASE, "policy": "drop", "portRange": "22/22",
                                 "cidrIp": "0.0.0.0/0"}, id="alicloud-drop"),
    pytest.param(TENCENTCLOUD_RULE, {**TC_BASE, "portRange": "6443", "cidrIp": "10.0.0.0/8"},
                 id="tencent-private"),
    pytest.param(TENCENTCLOUD_RULE, {**TC_BASE, "policy": "DROP", "portRange": "ALL",
                                     "cidrIp": "0.0.0.0/0"}, id="tencent-drop"),
    pytest.param(TENCENTCLOUD_RULE_SET,
                 {"securityGroupId": "sg-1", "ingresses": [
                     {"action": "ACCEPT", "protocol": "TCP", "port": "22",
                      "cidrBlock": "203.0.113.7/32"},
                     {"action": "DROP", "protocol": "ALL", "port": "all",
                      "cidrBlock": "0.0.0.0/0"}]}, id="tencent-rule-set"),
    pytest.param(HUAWEICLOUD_RULE, {**HW_BASE, "ports": "22,6443",
                                    "remoteIpPrefix": "192.0.2.0/24"}, id="huawei-admin"),
    pytest.param(HUAWEICLOUD_RULE, {**HW_BASE, "remoteGroupId": "sg-peer"},
                 id="huawei-remote-group"),
    pytest.param(HUAWEICLOUD_RULE, {**HW_BASE, "action": "deny", "ports": "22",
                                    "remoteIpPrefix": "0.0.0.0/0"}, id="huawei-deny"),
    pytest.param("alicloud:ecs/securityGroup:SecurityGroup", {"vpcId": "vpc-1"},
                 id="other-type"),
]


@pytest.mark.parametrize("resource_type, props, expected", FAILING)
def test_admin_port_open_to_world_fails(resource_type, props, expected):
    reported = violations(no_public_admin_ports, resource_args(resource_type, props, "sg-rule"))

    assert len(reported) == 1
    assert expected in reported[0]
    assert reported[0].startswith("sg-rule")


@pytest.mark.parametrize("resource_type, props", PASSING)
def test_restricted_rule_passes(resource_type, props):
    assert violations(no_public_admin_ports, resource_args(resource_type, props)) == []


def test_message_lists_every_exposed_port():
    props = {**ALI_BASE, "ipProtocol": "all", "portRange": "-1/-1", "cidrIp": "0.0.0.0/0"}

    [message] = violations(no_public_admin_ports, resource_args(ALICLOUD_RULE, props))

    for port in ("22", "2379", "2380", "6443", "10250"):
        assert port in message


def test_message_in_chinese(monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "zh")
    props = {**TC_BASE, "portRange": "22", "cidrIp": "0.0.0.0/0"}

    [message] = violations(no_public_admin_ports, resource_args(TENCENTCLOUD_RULE, props))

    assert "开放给了所有地址" in message


def test_unknown_source_defers_to_update():
    # During a preview the CIDR may come from another resource's output. The
    # framework turns this error into an advisory note and checks again
    # before the update creates the rule.
    props = {**ALI_BASE, "portRange": "22/22", "cidrIp": UNKNOWN}

    with pytest.raises(UnknownValueError):
        violations(no_public_admin_ports, resource_args(ALICLOUD_RULE, props))


def test_allowed_port_passes():
    props = {**ALI_BASE, "portRange": "22/22", "cidrIp": "0.0.0.0/0"}
    args = resource_args(ALICLOUD_RULE, props, config={"allowedPorts": [22]})

    assert violations(no_public_admin_ports, args) == []


def test_allowed_port_keeps_others_checked():
    props = {**ALI_BASE, "portRange": "1/65535", "cidrIp": "0.0.0.0/0"}
    args = resource_args(ALICLOUD_RULE, props, config={"allowedPorts": [22, 6443]})

    [message] = violations(no_public_admin_ports, args)

    assert "10250 (kubelet)" in message
    assert "22 (SSH)" not in message
    assert "6443" not in message
