"""Types shared by the cloud modules."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pulumi

from components.clouds.plan import VmGroup
from components.config.model import VmSettings

# Tag on every VM: "true" when the node's config requests a public IP. A policy
# pack cannot read the stack config, so the pack's vm-public-ip-matches-config
# policy compares this tag with the VM's public IP arguments.
PUBLIC_IP_TAG = "k3smc-public-ip"

# Options of a VM whose image comes from the Ubuntu image lookup. Without them
# a newer image in the lookup rebuilds the VM on a routine `pulumi up` and
# wipes a server's etcd: Huawei Cloud replaces the instance, Tencent Cloud
# reinstalls it and Alibaba Cloud replaces the system disk. So only new VMs get
# a newer image. All three SDKs name the property image_id. A changed
# vm.imageId is still applied, because the user chose that image.
LOOKED_UP_IMAGE_OPTIONS = pulumi.ResourceOptions(ignore_changes=["image_id"])


@dataclass(frozen=True)
class RegionContext:
    """Inputs a cloud module needs to build one cloud and region."""

    group: VmGroup
    # The region's ComponentResource; every resource of the region is its child.
    parent: pulumi.ComponentResource
    # Provider keyword arguments with secret credentials.
    credentials: dict[str, pulumi.Output[str]]
    # OpenSSH public key for the key pair, without a trailing newline.
    public_key: pulumi.Output[str]
    # "<project>-<stack>", the prefix of names the cloud shows.
    cloud_name_prefix: str

    def cloud_name(self, suffix: str) -> str:
        """Return a name for the cloud console, unique per stack and region."""
        return f"{self.cloud_name_prefix}-{suffix}"

    def short_id(self, length: int = 10) -> str:
        """Return a stable hash of stack, cloud and region for names with tight limits."""
        text = f"{self.cloud_name_prefix}/{self.group.key}"
        return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass
class RegionResources:
    """Resources a cloud module returns for one cloud and region."""

    provider: pulumi.ProviderResource
    security_group_id: pulumi.Output[str]
    # The VM and its public IP, by node name.
    instances: dict[str, pulumi.CustomResource] = field(default_factory=dict)
    public_ips: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    # Resources created with the network (VPC, subnet, security group, key pair).
    network: list[pulumi.Resource] = field(default_factory=list)


def vm_tags(vm: VmSettings) -> dict[str, str]:
    """Return the tags of a VM.

    The config requests a public IP through ``vm.bandwidth``, because outgoing
    public bandwidth above 0 is what gives a VM its public IP.
    """
    return {PUBLIC_IP_TAG: "true" if vm.bandwidth is not None and vm.bandwidth > 0 else "false"}


def sanitize_name(text: str) -> str:
    """Keep letters, digits, '-', '_' and '.' so a name fits every cloud's console."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", text)
