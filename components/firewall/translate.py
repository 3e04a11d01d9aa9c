"""Translate resolved rules into the arguments of each cloud's rule resource.

The functions return keyword arguments for the SDK classes
(``alicloud.ecs.SecurityGroupRule``, ``tencentcloud.security.GroupRule``,
``huaweicloud.vpc.SecgroupRule``) without the security group ID and without
the source CIDR, whose argument name ``CIDR_ARGUMENT`` gives per cloud.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from components.firewall.resolve import ResolvedRule, combine_single_ports

CIDR_ARGUMENT = {
    "alicloud": "cidr_ip",
    "tencentcloud": "cidr_ip",
    "huaweicloud": "remote_ip_prefix",
}

# Clouds whose rule resource takes a comma-separated port list: Tencent Cloud
# GroupRule ``port_range`` ("80,90") and Huawei Cloud SecgroupRule ``ports``
# ("22,3389,80"). Alibaba Cloud's ``port_range`` takes one "from/to" range.
PORT_LIST_CLOUDS = frozenset({"tencentcloud", "huaweicloud"})

# Tencent Cloud limits rule descriptions to 100 characters.
_TENCENT_DESCRIPTION_LIMIT = 100


def alicloud_rule_args(rule: ResolvedRule) -> dict[str, Any]:
    """Arguments for alicloud.ecs.SecurityGroupRule (pulumi-alicloud 4.0.0)."""
    if rule.protocol in ("tcp", "udp"):
        assert rule.ports is not None
        if len(rule.ports) != 1:
            raise ValueError(f"an Alibaba Cloud rule takes one port range, not {rule.ports}; "
                             "pass the rules through rules_for_cloud, which keeps them separate")
        low, high = rule.ports[0]
        protocol = rule.protocol
        port_range = f"{low}/{high}"
    else:
        # IPIP has no protocol of its own in Alibaba security groups, and
        # "-1/-1" is the only port range the API accepts for "all".
        protocol = "all"
        port_range = "-1/-1"
    return {
        "type": rule.direction,
        "ip_protocol": protocol,
        "port_range": port_range,
        "policy": "accept",
        "priority": 1,
        # Security groups in a VPC only accept "intranet"; it covers public
        # traffic too.
        "nic_type": "intranet",
        "description": rule.description,
    }


def tencentcloud_rule_args(rule: ResolvedRule) -> dict[str, Any]:
    """Arguments for tencentcloud.security.GroupRule (tencentcloud-iac-pulumi 0.2.3)."""
    args: dict[str, Any] = {
        "type": rule.direction,
        "policy": "ACCEPT",
        "description": rule.description[:_TENCENT_DESCRIPTION_LIMIT],
    }
    if rule.protocol in ("tcp", "udp"):
        args["ip_protocol"] = rule.protocol.upper()
        args["port_range"] = _port_list(rule)
    else:
        # "ALL" without a port range is every protocol and port.
        args["ip_protocol"] = "ALL"
    return args


def huaweicloud_rule_args(rule: ResolvedRule) -> dict[str, Any]:
    """Arguments for huaweicloud.vpc.SecgroupRule (pulumi-huaweicloud 0.0.12)."""
    args: dict[str, Any] = {
        "direction": rule.direction,
        "ethertype": "IPv4",
        "action": "allow",
        "priority": 1,
        "description": rule.description,
    }
    if rule.protocol in ("tcp", "udp"):
        args["protocol"] = rule.protocol
        args["ports"] = _port_list(rule)
    # Leaving protocol and ports unset means every protocol and port.
    return args


def _port_list(rule: ResolvedRule) -> str:
    """Return "6443", "2379-2380" or "6443,10250": the Tencent and Huawei port syntax."""
    assert rule.ports is not None
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in rule.ports)


TRANSLATORS: dict[str, Callable[[ResolvedRule], dict[str, Any]]] = {
    "alicloud": alicloud_rule_args,
    "tencentcloud": tencentcloud_rule_args,
    "huaweicloud": huaweicloud_rule_args,
}


def translate(cloud: str, rule: ResolvedRule) -> dict[str, Any]:
    """Return the rule resource arguments for ``cloud`` without group ID and CIDR."""
    return TRANSLATORS[cloud](rule)


def rules_for_cloud(cloud: str, rules: Sequence[ResolvedRule]) -> list[ResolvedRule]:
    """Return the rule resources ``cloud`` needs for ``rules``.

    On clouds with port lists the single-port rules of one source share a
    resource, which cuts the rule resources of a security group with a server
    from about two per node to one. Every rule admits the same traffic either way.
    """
    if cloud in PORT_LIST_CLOUDS:
        return combine_single_ports(rules)
    return list(rules)
