"""Huawei Cloud VMs: VPC, subnet, security group, key pair and ECS instances with EIPs."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_huaweicloud as huaweicloud

from components.clouds.common import LOOKED_UP_IMAGE_OPTIONS, RegionContext, RegionResources, vm_tags

# Public images are named like "Ubuntu 22.04 server 64bit".
IMAGE_NAME_REGEX = {"22.04": r"^Ubuntu 22\.04 server 64bit$", "24.04": r"^Ubuntu 24\.04 server 64bit$"}


def build_region(ctx: RegionContext) -> RegionResources:
    """Create the provider, network, security group, key pair and one ECS per node."""
    group = ctx.group
    provider = huaweicloud.Provider(group.key, region=group.region, **ctx.credentials,
                                    opts=pulumi.ResourceOptions(parent=ctx.parent))
    opts = pulumi.ResourceOptions(parent=ctx.parent, provider=provider)
    # pulumi-huaweicloud's *_output functions run the plain invoke inside an
    # apply, so they take plain InvokeOptions.
    invoke = pulumi.InvokeOptions(parent=ctx.parent, provider=provider)

    zone: pulumi.Input[str]
    if group.zone is not None:
        zone = group.zone
    else:
        zones = huaweicloud.get_availability_zones_output(region=group.region, state="available",
                                                          opts=invoke)
        zone = zones.names[0]

    network: list[pulumi.Resource] = []
    if group.vpc_id is not None:
        subnet_id: pulumi.Input[str] = group.subnet_id  # type: ignore[assignment]
    else:
        vpc = huaweicloud.vpc.Vpc(f"{group.key}-vpc", name=ctx.cloud_name(group.region),
                                  cidr=str(group.vpc_cidr), opts=opts)
        subnet = huaweicloud.vpc.Subnet(
            f"{group.key}-subnet", vpc_id=vpc.id, cidr=str(group.subnet_cidr),
            gateway_ip=str(group.subnet_cidr.network_address + 1), availability_zone=zone,
            name=ctx.cloud_name(group.region), opts=opts)
        subnet_id = subnet.id
        network += [vpc, subnet]

    # The default rules would accept everything from the group itself and add
    # an egress rule that duplicates ours, so the table is the only source.
    security_group = huaweicloud.vpc.Secgroup(
        f"{group.key}-sg", name=ctx.cloud_name(group.region), delete_default_rules=True,
        description="k3s-multicloud nodes; rules are separate resources", opts=opts)
    key_pair = huaweicloud.ecs.Keypair(f"{group.key}-key", name=ctx.cloud_name(group.region),
                                       public_key=ctx.public_key, opts=opts)
    network += [security_group, key_pair]

    resources = RegionResources(provider=provider, security_group_id=security_group.id,
                                network=network)
    images: dict[str, pulumi.Output[str]] = {}
    for node in group.nodes:
        vm = node.vm
        assert vm is not None
        image_id: pulumi.Input[str]
        instance_opts = opts
        if vm.image_id is not None:
            image_id = vm.image_id
        else:
            instance_opts = pulumi.ResourceOptions.merge(opts, LOOKED_UP_IMAGE_OPTIONS)
            if vm.ubuntu_version not in images:
                images[vm.ubuntu_version] = huaweicloud.ims.get_image_output(
                    name_regex=IMAGE_NAME_REGEX[vm.ubuntu_version], visibility="public",
                    most_recent=True, architecture="x86", opts=invoke).id
            image_id = images[vm.ubuntu_version]

        instance = huaweicloud.ecs.Instance(
            node.name,
            name=node.name,
            # The Kubernetes node name comes from the hostname.
            hostname=node.name,
            image_id=image_id,
            flavor_id=vm.instance_type,
            availability_zone=zone,
            security_group_ids=[security_group.id],
            key_pair=key_pair.name,
            networks=[huaweicloud.ecs.InstanceNetworkArgs(
                uuid=subnet_id, fixed_ip_v4=str(group.private_ips[node.name].ip))],
            # eip_type with bandwidth creates an EIP that is released with the VM.
            eip_type=vm.extra.get("eip_type", "5_bgp"),
            bandwidth=huaweicloud.ecs.InstanceBandwidthArgs(
                share_type="PER", size=vm.bandwidth, charge_mode="traffic"),
            charging_mode="postPaid",
            system_disk_type=vm.system_disk_type,
            system_disk_size=vm.system_disk_size,
            tags=vm_tags(vm),
            opts=instance_opts,
        )
        resources.instances[node.name] = instance
        resources.public_ips[node.name] = instance.public_ip
    return resources


def create_rule(name: str, args: dict[str, Any], cidr: pulumi.Input[str],
                security_group_id: pulumi.Input[str],
                opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    return huaweicloud.vpc.SecgroupRule(name, security_group_id=security_group_id,
                                        remote_ip_prefix=cidr, **args, opts=opts)
