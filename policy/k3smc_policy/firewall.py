"""Policy: no security group rule opens the cluster's admin ports to the world.

SSH (22), the Kubernetes API (6443), the kubelet (10250) and etcd (2379-2380)
must only be reachable from the operators' networks (``adminCidrs``) and the
cluster's own addresses. A rule counts as opening a port when it is an
ingress rule that allows traffic, its protocol is TCP or "all", its source is
an any-address network (0.0.0.0/0, ::/0) and its port ranges cover the port.
A rule with protocol "all" and no port limit opens every port.

A team that opens a port to the world on purpose (the program's
``firewall.openToWorld``) lists it in this policy's ``allowedPorts`` config,
so the exception is written down twice and reviewed in both places.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components.i18n import pick
from k3smc_policy import values

ADMIN_PORTS: dict[int, str] = {
    22: "SSH",
    6443: "Kubernetes API",
    10250: "kubelet",
    2379: "etcd client",
    2380: "etcd peer",
}

ALICLOUD_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
TENCENTCLOUD_RULE = "tencentcloud:Security/groupRule:GroupRule"
TENCENTCLOUD_RULE_SET = "tencentcloud:Security/groupRuleSet:GroupRuleSet"
HUAWEICLOUD_RULE = "huaweicloud:Vpc/secgroupRule:SecgroupRule"

# Protocol spellings that include TCP. Huawei Cloud also accepts the IP
# protocol number, and every cloud treats an empty protocol as "all".
_TCP_PROTOCOLS = {"", "tcp", "all", "-1", "6"}


@dataclass(frozen=True)
class RuleView:
    """One allow rule reduced to what the check needs."""

    # Location of the rule inside the resource, for the message: "" for a
    # single-rule resource, "ingresses[2]" for an entry of a rule set.
    path: str
    # Property that contains the source network, named as the user wrote it.
    source_field: str
    source: str
    ports: tuple[tuple[int, int], ...]


def _allows_tcp(protocol: Any) -> bool:
    return values.text(protocol).lower() in _TCP_PROTOCOLS


def _alicloud_rules(props: Mapping[str, Any]) -> Iterator[RuleView]:
    if values.text(props.get("type")).lower() != "ingress":
        return
    if values.text(props.get("policy")).lower() not in ("", "accept"):
        return
    if not _allows_tcp(props.get("ipProtocol")):
        return
    ports = values.parse_ports(props.get("portRange"), range_separator="/")
    for field in ("cidrIp", "ipv6CidrIp"):
        yield RuleView("", field, values.text(props.get(field)), ports)


def _tencentcloud_rules(props: Mapping[str, Any]) -> Iterator[RuleView]:
    if values.text(props.get("type")).lower() != "ingress":
        return
    if values.text(props.get("policy")).lower() != "accept":
        return
    if not _allows_tcp(props.get("ipProtocol")):
        return
    ports = values.parse_ports(props.get("portRange"))
    yield RuleView("", "cidrIp", values.text(props.get("cidrIp")), ports)


def _tencentcloud_rule_set(props: Mapping[str, Any]) -> Iterator[RuleView]:
    for index, entry in enumerate(values.as_list(props.get("ingresses"))):
        entry = values.as_mapping(entry)
        if values.text(entry.get("action")).lower() != "accept":
            continue
        if not _allows_tcp(entry.get("protocol")):
            continue
        ports = values.parse_ports(entry.get("port"))
        for field in ("cidrBlock", "ipv6CidrBlock"):
            yield RuleView(f"ingresses[{index}]", field, values.text(entry.get(field)), ports)


def _huaweicloud_rules(props: Mapping[str, Any]) -> Iterator[RuleView]:
    if values.text(props.get("direction")).lower() != "ingress":
        return
    if values.text(props.get("action")).lower() not in ("", "allow"):
        return
    if not _allows_tcp(props.get("protocol")):
        return
    if values.text(props.get("ports")):
        ports = values.parse_ports(props.get("ports"))
    else:
        ports = values.ports_from_min_max(props.get("portRangeMin"), props.get("portRangeMax"))

    source = values.text(props.get("remoteIpPrefix"))
    other_source = values.text(props.get("remoteGroupId")) or values.text(
        props.get("remoteAddressGroupId"))
    if not source and not other_source:
        # Huawei Cloud reads an empty remote as "every address" of the
        # rule's ethertype.
        ethertype = values.text(props.get("ethertype")).lower()
        source = "::/0" if ethertype == "ipv6" else "0.0.0.0/0"
    yield RuleView("", "remoteIpPrefix", source, ports)


_READERS: dict[str, Callable[[Mapping[str, Any]], Iterator[RuleView]]] = {
    ALICLOUD_RULE: _alicloud_rules,
    TENCENTCLOUD_RULE: _tencentcloud_rules,
    TENCENTCLOUD_RULE_SET: _tencentcloud_rule_set,
    HUAWEICLOUD_RULE: _huaweicloud_rules,
}


def _describe(ports: list[int]) -> str:
    return ", ".join(f"{port} ({ADMIN_PORTS[port]})" for port in ports)


def validate_admin_ports(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report every allow rule that opens an admin port to any address."""
    reader = _READERS.get(args.resource_type)
    if reader is None:
        return
    allowed = {int(port) for port in args.get_config().get("allowedPorts", [])}
    checked = sorted(port for port in ADMIN_PORTS if port not in allowed)

    for rule in reader(args.props):
        if not values.is_any_address(rule.source):
            continue
        exposed = values.ports_in(rule.ports, checked)
        if not exposed:
            continue

        field = f"{rule.path}.{rule.source_field}" if rule.path else rule.source_field
        report_violation(pick(
            f"{args.name}: {field} = {rule.source} opens TCP {_describe(exposed)} to every "
            f"address. Limit the source to the operator networks in adminCidrs and the "
            f"cluster's own addresses.",
            f"{args.name}：{field} = {rule.source} 把 TCP {_describe(exposed)} 开放给了所有地址。"
            f"请把来源限制为 adminCidrs 中的运维网段和集群自身的地址。",
        ))


no_public_admin_ports = ResourceValidationPolicy(
    name="no-public-admin-ports",
    description=pick(
        "Security group rules must not open SSH (22), the Kubernetes API (6443), the kubelet "
        "(10250) or etcd (2379-2380) to 0.0.0.0/0 or ::/0.",
        "安全组规则不得向 0.0.0.0/0 或 ::/0 开放 SSH (22)、Kubernetes API (6443)、kubelet (10250) "
        "或 etcd (2379-2380)。",
    ),
    validate=validate_admin_ports,
    config_schema=PolicyConfigSchema(properties={
        "allowedPorts": {
            "type": "array",
            "items": {"type": "integer", "enum": sorted(ADMIN_PORTS)},
            "default": [],
            "description": "Admin ports the team opens to the world on purpose "
                           "(firewall.openToWorld).",
        },
    }),
)
