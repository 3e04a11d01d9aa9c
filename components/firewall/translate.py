"""Translate resolved rules into the arguments of each cloud's rule resource.

The functions return keyword arguments for the SDK classes
(``alicloud.ecs.SecurityGroupRule``, ``tencentcloud.security.GroupRule``,
``huaweicloud.vpc.SecgroupRule``) without the security group ID and without
the source CIDR, whose argument name ``CIDR_ARGUMENT`` gives per cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.firewall.resolve import ResolvedRule

CIDR_ARGUMENT = {
    "alicloud": "cidr_ip",
    "tencentcloud": "cidr_ip",
    "huaweicloud": "remote_ip_prefix",
}

# Tencent Cloud limits rule descriptions to 100 characters.
_TENCENT_DESCRIPTION_LIMIT = 100


def alicloud_rule_args(rule: ResolvedRule) -> dict[str, Any]:
    """Arguments for alicloud.ecs.SecurityGroupRule (pulumi-alicloud 4.0.0)."""
    if rule.protocol in ("tcp", "udp"):
        protocol = rule.protocol
        port_range = f"{rule.ports[0]}/{rule.ports[1]}"  # type: ignore[index]
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
        low, high = rule.ports  # type: ignore[misc]
        args["ip_protocol"] = rule.protocol.upper()
        args["port_range"] = str(low) if low == high else f"{low}-{high}"
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
        low, high = rule.ports  # type: ignore[misc]
        args["protocol"] = rule.protocol
        args["ports"] = str(low) if low == high else f"{low}-{high}"
    # Leaving protocol and ports unset means every protocol and port.
    return args


TRANSLATORS: dict[str, Callable[[ResolvedRule], dict[str, Any]]] = {
    "alicloud": alicloud_rule_args,
    "tencentcloud": tencentcloud_rule_args,
    "huaweicloud": huaweicloud_rule_args,
}


def translate(cloud: str, rule: ResolvedRule) -> dict[str, Any]:
    """Return the rule resource arguments for ``cloud`` without group ID and CIDR."""
    return TRANSLATORS[cloud](rule)
