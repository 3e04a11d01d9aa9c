"""Tencent Cloud VMs: VPC, subnet, security group, key pair and CVM instances."""

from __future__ import annotations

from typing import Any

import pulumi
import tencentcloud_iac_pulumi as tencentcloud

from components.clouds.common import LOOKED_UP_IMAGE_OPTIONS, RegionContext, RegionResources, vm_tags

# Public images are named like "Ubuntu Server 22.04 LTS 64bit".
IMAGE_NAME_REGEX = {"22.04": r"^Ubuntu Server 22\.04 LTS 64", "24.04": r"^Ubuntu Server 24\.04 LTS 64"}


def build_region(ctx: RegionContext) -> RegionResources:
    """Create the provider, network, security group, key pair and one CVM per node."""
    group = ctx.group
    provider = tencentcloud.Provider(group.key, region=group.region, **ctx.credentials,
                                     opts=pulumi.ResourceOptions(parent=ctx.parent))
    opts = pulumi.ResourceOptions(parent=ctx.parent, provider=provider)
    invoke = pulumi.InvokeOutputOptions(parent=ctx.parent, provider=provider)

    zone: pulumi.Input[str]
    if group.zone is not None:
        zone = group.zone
    else:
        # NOTE: the first zone that sells CVMs; it may not offer the instance
        # type, in which case set vm.zone.
        zones = tencentcloud.availability.get_zones_by_product_output(
            product="cvm", include_unavailable=False, opts=invoke)
        zone = zones.zones[0].name

    network: list[pulumi.Resource] = []
    if group.vpc_id is not None:
        vpc_id: pulumi.Input[str] = group.vpc_id
        subnet_id: pulumi.Input[str] = group.subnet_id  # type: ignore[assignment]
    else:
        vpc = tencentcloud.vpc.Instance(f"{group.key}-vpc", name=ctx.cloud_name(group.region),
                                        cidr_block=str(group.vpc_cidr), opts=opts)
        subnet = tencentcloud.subnet.Instance(f"{group.key}-subnet", vpc_id=vpc.id,
                                              cidr_block=str(group.subnet_cidr),
                                              availability_zone=zone,
                                              name=ctx.cloud_name(group.region), opts=opts)
        vpc_id, subnet_id = vpc.id, subnet.id
        network += [vpc, subnet]

    security_group = tencentcloud.security.Group(
        f"{group.key}-sg", name=ctx.cloud_name(group.region),
        description="k3s-multicloud nodes; rules are separate resources", opts=opts)
    # Key names allow at most 25 letters, digits and underscores.
    key_pair = tencentcloud.key.Pair(f"{group.key}-key", key_name=f"k3smc_{ctx.short_id()}",
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
                images[vm.ubuntu_version] = tencentcloud.images.get_instance_output(
                    image_types=["PUBLIC_IMAGE"],
                    image_name_regex=IMAGE_NAME_REGEX[vm.ubuntu_version],
                    opts=invoke).images.apply(
                        lambda found, version=vm.ubuntu_version: newest_image_id(found, version))
            image_id = images[vm.ubuntu_version]

        instance = tencentcloud.instance.Instance(
            node.name,
            instance_name=node.name,
            # The Kubernetes node name comes from the hostname.
            hostname=node.name,
            image_id=image_id,
            instance_type=vm.instance_type,
            availability_zone=zone,
            vpc_id=vpc_id,
            subnet_id=subnet_id,
            orderly_security_groups=[security_group.id],
            key_ids=[key_pair.id],
            private_ip=str(group.private_ips[node.name].ip),
            allocate_public_ip=True,
            internet_max_bandwidth_out=vm.bandwidth,
            internet_charge_type="TRAFFIC_POSTPAID_BY_HOUR",
            instance_charge_type="POSTPAID_BY_HOUR",
            system_disk_type=vm.system_disk_type,
            system_disk_size=vm.system_disk_size,
            tags=vm_tags(vm),
            opts=instance_opts,
        )
        resources.instances[node.name] = instance
        resources.public_ips[node.name] = instance.public_ip
    return resources


def newest_image_id(images, ubuntu_version: str) -> str:
    """Return the ID of the newest image, so the choice does not depend on the API's order.

    ``created_time`` is an ISO 8601 timestamp, which sorts as text; the name
    and the ID break ties.
    """
    if not images:
        raise ValueError(f"Tencent Cloud lists no public image named like "
                         f"{IMAGE_NAME_REGEX[ubuntu_version]} in this region; set vm.imageId")
    newest = max(images, key=lambda image: (image.created_time or "", image.image_name or "",
                                            image.image_id))
    return newest.image_id


def create_rule(name: str, args: dict[str, Any], cidr: pulumi.Input[str],
                security_group_id: pulumi.Input[str],
                opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    # One GroupRule per rule: a GroupRuleSet would rewrite every rule of the
    # group whenever one source changes.
    return tencentcloud.security.GroupRule(name, security_group_id=security_group_id,
                                           cidr_ip=cidr, **args, opts=opts)
