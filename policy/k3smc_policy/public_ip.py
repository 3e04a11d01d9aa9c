"""Policies: a VM gets a public IP only where the stack config requests one.

The stack config is not visible to a policy pack, so the program states the
expectation on each VM it creates: the tag ``k3smc-public-ip`` with the value
"true" or "false", set from the node's config. The policies compare that tag
with what the VM's arguments actually request:

- Alibaba Cloud: internet_max_bandwidth_out > 0 (or the deprecated
  allocate_public_ip);
- Tencent Cloud: allocate_public_ip;
- Huawei Cloud: eip_type (a new EIP) or eip_id (an existing one).

A second, stack-level policy covers EIPs attached by a separate association
resource, which the VM's own arguments do not show. A VM without the tag is a
violation too, because the check could not be made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.i18n import pick
from k3smc_policy import values

PUBLIC_IP_TAG = "k3smc-public-ip"

ALICLOUD_INSTANCE = "alicloud:ecs/instance:Instance"
TENCENTCLOUD_INSTANCE = "tencentcloud:Instance/instance:Instance"
HUAWEICLOUD_INSTANCE = "huaweicloud:Ecs/instance:Instance"
VM_TYPES = (ALICLOUD_INSTANCE, TENCENTCLOUD_INSTANCE, HUAWEICLOUD_INSTANCE)

EIP_ASSOCIATION_TYPES = (
    "alicloud:ecs/eipAssociation:EipAssociation",
    "tencentcloud:Eip/association:Association",
    "huaweicloud:Ecs/eipAssociate:EipAssociate",
    "huaweicloud:Vpc/eipAssociate:EipAssociate",
)

_TRUE_WORDS = {"true", "1", "yes"}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return values.text(value).lower() in _TRUE_WORDS


def requests_public_ip(resource_type: str, props: Mapping[str, Any]) -> bool:
    """Tell whether a VM's arguments give it a public IP."""
    if resource_type == ALICLOUD_INSTANCE:
        bandwidth = values.number(props.get("internetMaxBandwidthOut")) or 0
        return bandwidth > 0 or _flag(props.get("allocatePublicIp"))
    if resource_type == TENCENTCLOUD_INSTANCE:
        return _flag(props.get("allocatePublicIp"))
    if resource_type == HUAWEICLOUD_INSTANCE:
        return bool(values.text(props.get("eipType")) or values.text(props.get("eipId")))
    raise ValueError(f"not a VM type: {resource_type}")


def expected_public_ip(props: Mapping[str, Any]) -> bool | None:
    """Read the tag the program sets; None when it is missing or not true/false."""
    tag = values.text(values.as_mapping(props.get("tags")).get(PUBLIC_IP_TAG)).lower()
    if tag == "true":
        return True
    if tag == "false":
        return False
    return None


def _missing_tag_message(name: str) -> str:
    return pick(
        f"{name} has no {PUBLIC_IP_TAG} tag of \"true\" or \"false\", so the policy cannot "
        f"compare its public IP with the config. The program must tag every VM it creates.",
        f"{name} 没有值为 \"true\" 或 \"false\" 的 {PUBLIC_IP_TAG} 标签，策略无法把公网 IP 与配置对比。"
        f"程序必须给它创建的每台虚拟机打上该标签。",
    )


def validate_vm_public_ip(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report VMs whose public IP arguments differ from their config tag."""
    if args.resource_type not in VM_TYPES:
        return

    expected = expected_public_ip(args.props)
    if expected is None:
        report_violation(_missing_tag_message(args.name))
        return

    actual = requests_public_ip(args.resource_type, args.props)
    if actual and not expected:
        report_violation(pick(
            f"{args.name} requests a public IP, but its node config asks for none. Remove the "
            f"public bandwidth or EIP arguments, or set the node's config to want one.",
            f"{args.name} 申请了公网 IP，但节点配置要求不分配。请删除公网带宽或 EIP 参数，"
            f"或修改节点配置。",
        ))
    elif expected and not actual:
        report_violation(pick(
            f"{args.name} requests no public IP, but its node config asks for one. Other "
            f"locations reach it over WireGuard only through a public address.",
            f"{args.name} 没有申请公网 IP，但节点配置要求分配。其他位置只能通过公网地址经 WireGuard "
            f"访问它。",
        ))


def validate_eip_associations(args: StackValidationArgs,
                              report_violation: ReportViolation) -> None:
    """Report EIP associations that attach a public IP to a VM configured without one."""
    for resource in args.resources:
        if resource.resource_type not in EIP_ASSOCIATION_TYPES:
            continue
        for vm in resource.dependencies:
            if vm.resource_type not in VM_TYPES:
                continue
            if expected_public_ip(vm.props) is False:
                report_violation(pick(
                    f"{resource.name} attaches an EIP to {vm.name}, whose node config asks for "
                    f"no public IP.",
                    f"{resource.name} 给 {vm.name} 绑定了 EIP，但该节点配置要求不分配公网 IP。",
                ), resource.urn)


vm_public_ip_matches_config = ResourceValidationPolicy(
    name="vm-public-ip-matches-config",
    description=pick(
        f"Every VM must request a public IP exactly when its node config asks for one "
        f"(the {PUBLIC_IP_TAG} tag).",
        f"每台虚拟机仅在节点配置要求时（{PUBLIC_IP_TAG} 标签）才申请公网 IP。",
    ),
    validate=validate_vm_public_ip,
)

eip_only_on_public_vms = StackValidationPolicy(
    name="eip-only-on-public-vms",
    description=pick(
        f"EIPs may only be attached to VMs whose node config asks for a public IP "
        f"(the {PUBLIC_IP_TAG} tag).",
        f"EIP 只能绑定到节点配置要求公网 IP 的虚拟机（{PUBLIC_IP_TAG} 标签）。",
    ),
    validate=validate_eip_associations,
)
