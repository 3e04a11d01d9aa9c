"""Pulumi mock data for the three clouds, shared with the whole-program tests.

``cloud_state`` adds the outputs a cloud computes (public IPs, key IDs) to the
echoed inputs, and ``CLOUD_INVOKES`` answers the zone and image lookups. Other
mock classes can call both and fall back to them for cloud tokens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

# The seed cluster's public IPs, so downstream assertions (force-endpoint,
# tls-san, kubeconfig) see the same addresses as with existing hosts.
SEED_PUBLIC_IPS = {"ali1": "203.0.113.20", "hw1": "203.0.113.30", "tx1": "198.51.100.50"}

ALICLOUD_IMAGE = "ubuntu_22_04_x64_20G_alibase_20240926.vhd"
TENCENT_IMAGE = "img-487zeit5"
HUAWEI_IMAGE = "0b2e0e26-2c4d-4bd8-9b44-2b7fd1ef0b91"
GENERATED_PUBLIC_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCmockgenerated k3smc\n"
DERIVED_PUBLIC_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCmockderived k3smc\n"
GENERATED_PRIVATE_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nmock-generated\n"
                         "-----END OPENSSH PRIVATE KEY-----\n")

CLOUD_INVOKES: dict[str, dict[str, Any]] = {
    "alicloud:index/getZones:getZones": {"ids": ["cn-hangzhou-i"], "zones": [{"id": "cn-hangzhou-i"}]},
    "alicloud:ecs/getImages:getImages": {
        "ids": [ALICLOUD_IMAGE],
        "images": [{"id": ALICLOUD_IMAGE, "name": ALICLOUD_IMAGE, "osNameEn": "Ubuntu 22.04 64 bit"}],
    },
    "tencentcloud:Availability/getZonesByProduct:getZonesByProduct": {
        "zones": [{"name": "ap-guangzhou-3", "id": "100003", "state": "AVAILABLE"}],
    },
    "tencentcloud:Images/getInstance:getInstance": {
        "images": [{"imageId": TENCENT_IMAGE, "imageName": "Ubuntu Server 22.04 LTS 64bit",
                    "osName": "Ubuntu Server 22.04 LTS 64bit"}],
    },
    "huaweicloud:index/getAvailabilityZones:getAvailabilityZones": {"names": ["cn-north-4a"]},
    "huaweicloud:Ims/getImage:getImage": {"id": HUAWEI_IMAGE, "name": "Ubuntu 22.04 server 64bit"},
    # The public half of a configured sshPrivateKey, derived locally.
    "tls:index/getPublicKey:getPublicKey": {"publicKeyOpenssh": DERIVED_PUBLIC_KEY,
                                           "algorithm": "RSA"},
}

INSTANCE_TYPES = ("alicloud:ecs/instance:Instance", "tencentcloud:Instance/instance:Instance",
                  "huaweicloud:Ecs/instance:Instance")


def mock_public_ip(name: str) -> str:
    """The seed address for seed node names, else a stable address from 198.18.0.0/15."""
    if name in SEED_PUBLIC_IPS:
        return SEED_PUBLIC_IPS[name]
    digest = hashlib.sha256(name.encode()).digest()
    return f"198.{18 + digest[0] % 2}.{digest[1]}.{digest[2] % 254 + 1}"


def unwrap_secret(value: Any) -> Any:
    """Return the plain value of a secret envelope as mocks receive it."""
    if isinstance(value, Mapping) and "4dabf18193072939515e22adb298388d" in value:
        return value["value"]
    return value


def cloud_state(typ: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """Echo the inputs plus the computed outputs of a cloud or tls resource; None for others."""
    if not typ.startswith(("alicloud:", "tencentcloud:", "huaweicloud:", "tls:",
                           "pulumi:providers:alicloud", "pulumi:providers:tencentcloud",
                           "pulumi:providers:huaweicloud")):
        return None
    state = dict(inputs)
    if typ == "alicloud:ecs/instance:Instance":
        state.update(publicIp=mock_public_ip(name), privateIp=inputs.get("privateIp"))
    elif typ == "tencentcloud:Instance/instance:Instance":
        state.update(publicIp=mock_public_ip(name), privateIp=inputs.get("privateIp"))
    elif typ == "huaweicloud:Ecs/instance:Instance":
        fixed = inputs["networks"][0]["fixedIpV4"]
        state.update(publicIp=mock_public_ip(name), accessIpV4=fixed)
    elif typ == "tls:index/privateKey:PrivateKey":
        state.update(publicKeyOpenssh=GENERATED_PUBLIC_KEY, privateKeyOpenssh=GENERATED_PRIVATE_KEY,
                     privateKeyPem=GENERATED_PRIVATE_KEY)
    return state


def cloud_invoke(token: str) -> dict[str, Any] | None:
    return CLOUD_INVOKES.get(token)


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool


@dataclass
class CloudMocks(pulumi.runtime.Mocks):
    """Mocks that record every registration and fail on an unknown invoke."""

    resources: list[Registered] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider,
                                         args.custom))
        state = cloud_state(args.typ, args.name, args.inputs)
        return f"{args.name}-id", dict(args.inputs) if state is None else state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.invokes.append((args.token, dict(args.args), args.provider))
        result = cloud_invoke(args.token)
        if result is None:
            raise NotImplementedError(f"no mock for invoke {args.token}")
        return result

    def of_type(self, typ: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.typ == typ]

    def named(self, name: str, typ: str | None = None) -> Registered:
        matches = [resource for resource in self.resources
                   if resource.name == name and (typ is None or resource.typ == typ)]
        assert len(matches) == 1, f"{len(matches)} resources named {name}"
        return matches[0]
