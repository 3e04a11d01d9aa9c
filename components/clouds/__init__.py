"""VMs on Alibaba Cloud, Tencent Cloud and Huawei Cloud as cluster Hosts.

``validate_vm`` and the planning functions import no cloud SDK.
``create_vm_hosts`` imports the SDK of each cloud only when a node uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.clouds.plan import VmGroup, check_vm_cluster, plan_vm_groups, planned_private_ips
from components.clouds.settings import validate_vm

if TYPE_CHECKING:
    from components.clouds.wiring import CloudHosts

__all__ = ["CloudHosts", "VmGroup", "check_vm_cluster", "create_vm_hosts", "plan_vm_groups",
           "planned_private_ips", "validate_vm"]


def create_vm_hosts(cluster, ssh_public_key, ssh_private_key, opts=None) -> "CloudHosts":
    """Create the VMs of ``cluster``; see ``components.clouds.wiring.create_vm_hosts``."""
    from components.clouds.wiring import create_vm_hosts as create

    return create(cluster, ssh_public_key, ssh_private_key, opts)


def __getattr__(name: str) -> Any:
    if name == "CloudHosts":
        from components.clouds.wiring import CloudHosts

        return CloudHosts
    raise AttributeError(name)
