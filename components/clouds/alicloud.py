"""Alibaba Cloud VMs: VPC, vswitch, security group, key pair and ECS instances."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_alicloud as alicloud

from components.clouds.common import LOOKED_UP_IMAGE_OPTIONS, RegionContext, RegionResources, vm_tags

# Public Ubuntu images are named like ubuntu_22_04_x64_20G_alibase_20240101.vhd.
IMAGE_NAME_REGEX = {"22.04": r"^ubuntu_22_04_x64", "24.04": r"^ubuntu_24_04_x64"}


def build_region(ctx: RegionContext) -> RegionResources:
    """Create the provider, network, security group, key pair and one ECS instance per node."""
    group = ctx.group
    provider = alicloud.Provider(group.key, region=group.region, **ctx.credentials,
                                 opts=pulumi.ResourceOptions(parent=ctx.parent))
    opts = pulumi.ResourceOptions(parent=ctx.parent, provider=provider)
    invoke = pulumi.InvokeOutputOptions(parent=ctx.parent, provider=provider)
    first_vm = group.nodes[0].vm
    assert first_vm is not None

    network: list[pulumi.Resource] = []
    if group.vpc_id is not None:
        # The instance gets no zone: Alibaba Cloud places it in the vswitch's zone.
        vpc_id: pulumi.Input[str] = group.vpc_id
        vswitch_id: pulumi.Input[str] = group.subnet_id  # type: ignore[assignment]
    else:
        zone: pulumi.Input[str]
        if group.zone is not None:
            zone = group.zone
        else:
            zones = alicloud.get_zones_output(available_resource_creation="VSwitch",
                                              available_instance_type=first_vm.instance_type,
                                              available_disk_category=first_vm.system_disk_type,
                                              opts=invoke)
            zone = zones.ids[0]
        vpc = alicloud.vpc.Network(f"{group.key}-vpc", vpc_name=ctx.cloud_name(group.region),
                                   cidr_block=str(group.vpc_cidr), opts=opts)
        vswitch = alicloud.vpc.Switch(f"{group.key}-vswitch", vpc_id=vpc.id,
                                      cidr_block=str(group.subnet_cidr), zone_id=zone,
                                      vswitch_name=ctx.cloud_name(group.region), opts=opts)
        vpc_id, vswitch_id = vpc.id, vswitch.id
        network += [vpc, vswitch]

    security_group = alicloud.ecs.SecurityGroup(
        f"{group.key}-sg", vpc_id=vpc_id, security_group_name=ctx.cloud_name(group.region),
        description="k3s-multicloud nodes; rules are separate resources", opts=opts)
    key_pair = alicloud.ecs.EcsKeyPair(
        f"{group.key}-key", key_pair_name=ctx.cloud_name(group.region),
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
                images[vm.ubuntu_version] = alicloud.ecs.get_images_output(
                    name_regex=IMAGE_NAME_REGEX[vm.ubuntu_version], owners="system",
                    most_recent=True, architecture="x86_64", os_type="linux",
                    opts=invoke).ids[0]
            image_id = images[vm.ubuntu_version]

        instance = alicloud.ecs.Instance(
            node.name,
            instance_name=node.name,
            # The Kubernetes node name comes from the hostname and must equal
            # the name Kilo and the K3s config use.
            host_name=node.name,
            image_id=image_id,
            instance_type=vm.instance_type,
            vswitch_id=vswitch_id,
            security_groups=[security_group.id],
            key_name=key_pair.key_pair_name,
            private_ip=str(group.private_ips[node.name].ip),
            # A bandwidth above 0 gives the instance a public IP.
            internet_max_bandwidth_out=vm.bandwidth,
            internet_charge_type="PayByTraffic",
            instance_charge_type="PostPaid",
            system_disk_category=vm.system_disk_type,
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
    return alicloud.ecs.SecurityGroupRule(name, security_group_id=security_group_id,
                                          cidr_ip=cidr, **args, opts=opts)
