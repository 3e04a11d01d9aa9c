"""Pulumi mock data for the three clouds, shared with the whole-program tests.

``cloud_state`` adds the outputs a cloud computes (public IPs, key IDs) to the
echoed inputs, and ``CLOUD_INVOKES`` returns the zone and image lookups. Other
mock classes can call both and fall back to them for cloud tokens.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

# The seed cluster's public IPs, so downstream assertions (force-endpoint,
# tls-san, kubeconfig) see the same addresses as with existing hosts.
SEED_PUBLIC_IPS = {"ali1": "203.0.113.20", "hw1": "203.0.113.30", "tx1": "198.51.100.50"}

ALICLOUD_IMAGE = "ubuntu_22_04_x64_20G_alibase_20240926.vhd"
TENCENT_IMAGE = "img-487zeit5"
HUAWEI_IMAGE = "0b2e0e26-2c4d-4bd8-9b44-2b7fd1ef0b91"
GENERATED_PUBLIC_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCmockgenerated k3smc\n"
# What the getPublicKey mock returns for a private key that is no OpenSSH key
# file, as the whole-program tests' stand-in key is.
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
    # Unordered, as the API returns them; the program takes the newest.
    "tencentcloud:Images/getInstance:getInstance": {
        "images": [{"imageId": "img-older2023", "imageName": "Ubuntu Server 22.04 LTS 64bit",
                    "osName": "Ubuntu Server 22.04 LTS 64bit",
                    "createdTime": "2023-03-01T08:00:00Z"},
                   {"imageId": TENCENT_IMAGE, "imageName": "Ubuntu Server 22.04 LTS 64bit",
                    "osName": "Ubuntu Server 22.04 LTS 64bit",
                    "createdTime": "2024-09-26T08:00:00Z"},
                   {"imageId": "img-older2024", "imageName": "Ubuntu Server 22.04 LTS 64bit",
                    "osName": "Ubuntu Server 22.04 LTS 64bit",
                    "createdTime": "2024-02-10T08:00:00Z"}],
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


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def openssh_test_key(algorithm: str, seed: str = "k3smc-test") -> tuple[str, str]:
    """Return (private key text, public key line) of a structurally valid test key.

    The private key has the "openssh-key-v1" layout of an unencrypted OpenSSH
    key file with ``algorithm`` (ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256)
    in its public key, but its numbers are filler, so it signs nothing.
    """
    filler = hashlib.sha256(f"{seed}/{algorithm}".encode()).digest()
    public_blob = _ssh_string(algorithm.encode()) + _ssh_string(filler)
    private_section = (struct.pack(">II", 0x6B33736D, 0x6B33736D) + public_blob
                       + _ssh_string(filler + filler) + _ssh_string(seed.encode()))
    private_section += bytes(range(1, 1 + (-len(private_section)) % 8))
    body = (b"openssh-key-v1\0" + _ssh_string(b"none") + _ssh_string(b"none") + _ssh_string(b"")
            + struct.pack(">I", 1) + _ssh_string(public_blob) + _ssh_string(private_section))
    encoded = base64.b64encode(body).decode()
    lines = [encoded[i:i + 70] for i in range(0, len(encoded), 70)]
    private_key = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                   + "\n-----END OPENSSH PRIVATE KEY-----\n")
    return private_key, f"{algorithm} {base64.b64encode(public_blob).decode()}"


def derive_public_key(private_key: str) -> str:
    """Return the public key line stored in an OpenSSH private key, as pulumi-tls derives it.

    Any other text gets DERIVED_PUBLIC_KEY, because the whole-program tests
    use a stand-in that is no key file.
    """
    lines = private_key.strip().splitlines()
    if not lines or lines[0] != "-----BEGIN OPENSSH PRIVATE KEY-----":
        return DERIVED_PUBLIC_KEY
    try:
        body = base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError:
        return DERIVED_PUBLIC_KEY
    if not body.startswith(b"openssh-key-v1\0"):
        return DERIVED_PUBLIC_KEY
    offset = len(b"openssh-key-v1\0")
    for _ in range(3):  # cipher, KDF, KDF options
        (length,) = struct.unpack_from(">I", body, offset)
        offset += 4 + length
    offset += 4  # key count
    (length,) = struct.unpack_from(">I", body, offset)
    public_blob = body[offset + 4:offset + 4 + length]
    (name_length,) = struct.unpack_from(">I", public_blob, 0)
    algorithm = public_blob[4:4 + name_length].decode()
    return f"{algorithm} {base64.b64encode(public_blob).decode()}\n"


def cloud_invoke(token: str, args: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Return the mock result of a cloud or tls invoke; None for other tokens.

    With ``args``, the getPublicKey result comes from the private key passed in.
    """
    if token == "tls:index/getPublicKey:getPublicKey" and args is not None:
        private_key = unwrap_secret(args.get("privateKeyOpenssh") or args.get("privateKeyPem") or "")
        public_key = derive_public_key(private_key)
        algorithm = {"ssh-rsa": "RSA", "ssh-ed25519": "ED25519"}.get(public_key.split()[0], "ECDSA")
        return {"publicKeyOpenssh": public_key, "algorithm": algorithm}
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
    # The ignore_changes option of every registration, by resource name; the
    # mock API does not pass options to new_resource, so RecordingMonitor fills it.
    ignore_changes: dict[str, list[str]] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider,
                                         args.custom))
        state = cloud_state(args.typ, args.name, args.inputs)
        return f"{args.name}-id", dict(args.inputs) if state is None else state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.invokes.append((args.token, dict(args.args), args.provider))
        result = cloud_invoke(args.token, args.args)
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


class RecordingMonitor(MockMonitor):
    """A mock monitor that also records resource options for the tests."""

    def __init__(self, mocks: CloudMocks) -> None:
        super().__init__(mocks)
        self.recorder = mocks

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method name
        self.recorder.ignore_changes[request.name] = list(request.ignoreChanges)
        return super().RegisterResource(request)
