"""Check that every VM's cloud can import the SSH key type (no cloud SDK import).

Alibaba Cloud's ImportKeyPair takes rsa, dsa and ecdsa keys, Tencent Cloud
takes OpenSSH RSA keys only, and Huawei Cloud also takes ed25519. A key the
cloud rejects only fails when the key pair is created, so the type is read
from the plain config text before any resource is registered. When that text
is not at hand, the clouds wiring checks the derived public key before the
key pair gets it.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable, Mapping

from components.errors import IssueCollector

# Key types each cloud's key pair import accepts.
IMPORTABLE_KEY_TYPES: Mapping[str, tuple[str, ...]] = {
    "alicloud": ("rsa", "dsa", "ecdsa"),
    "tencentcloud": ("rsa",),
    "huaweicloud": ("rsa", "ecdsa", "ed25519"),
}
CLOUD_NAMES = {"alicloud": "Alibaba Cloud", "tencentcloud": "Tencent Cloud",
               "huaweicloud": "Huawei Cloud"}
CLOUD_NAMES_ZH = {"alicloud": "阿里云", "tencentcloud": "腾讯云", "huaweicloud": "华为云"}

# OpenSSH algorithm names, by the short type used above.
_OPENSSH_TYPES = {"ssh-rsa": "rsa", "ssh-dss": "dsa", "ssh-ed25519": "ed25519",
                  "ecdsa-sha2-nistp256": "ecdsa", "ecdsa-sha2-nistp384": "ecdsa",
                  "ecdsa-sha2-nistp521": "ecdsa"}
# PEM headers that name the algorithm.
_PEM_TYPES = {"RSA": "rsa", "DSA": "dsa", "EC": "ecdsa"}
# DER-encoded algorithm OIDs of a PKCS#8 "BEGIN PRIVATE KEY" body.
_PKCS8_OIDS = {
    bytes.fromhex("06092a864886f70d010101"): "rsa",      # 1.2.840.113549.1.1.1 rsaEncryption
    bytes.fromhex("06072a8648ce3d0201"): "ecdsa",        # 1.2.840.10045.2.1 ecPublicKey
    bytes.fromhex("06032b6570"): "ed25519",              # 1.3.101.112 Ed25519
    bytes.fromhex("06072a8648ce380401"): "dsa",          # 1.2.840.10040.4.1 dsa
}
_OPENSSH_MAGIC = b"openssh-key-v1\0"


def public_key_type(text: str) -> str | None:
    """Return the type (rsa, dsa, ecdsa, ed25519) of an OpenSSH public key line.

    Another algorithm name (for example a security key type) is returned as
    written, and None means the text is no public key line.
    """
    words = text.split()
    if not words:
        return None
    return _OPENSSH_TYPES.get(words[0], words[0])


def private_key_type(text: str) -> str | None:
    """Return the type of a PEM or OpenSSH private key, or None when it cannot be read.

    An OpenSSH key ("openssh-key-v1") stores the public key unencrypted in its
    base64 body, and that key starts with the algorithm name. A PEM key names
    the algorithm in its header, except PKCS#8, whose body carries an OID.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("-----BEGIN ") or not lines[0].endswith("-----"):
        return None
    label = lines[0][len("-----BEGIN "):-len("-----")]
    body_lines = [line for line in lines[1:] if not line.startswith("-----") and ":" not in line]
    try:
        body = base64.b64decode("".join(body_lines), validate=True)
    except (binascii.Error, ValueError):
        body = b""
    if label == "OPENSSH PRIVATE KEY":
        return _openssh_key_type(body)
    algorithm = label.removesuffix(" PRIVATE KEY")
    if algorithm in _PEM_TYPES:
        return _PEM_TYPES[algorithm]
    if label == "PRIVATE KEY":
        # The AlgorithmIdentifier comes right after the version, near the start.
        for oid, key_type in _PKCS8_OIDS.items():
            if oid in body[:32]:
                return key_type
    return None


def _openssh_key_type(body: bytes) -> str | None:
    if not body.startswith(_OPENSSH_MAGIC):
        return None
    offset = len(_OPENSSH_MAGIC)
    try:
        # cipher name, KDF name and KDF options come first, then the key count.
        for _ in range(3):
            _, offset = _read_string(body, offset)
        (count,) = struct.unpack_from(">I", body, offset)
        offset += 4
        if count < 1:
            return None
        public_blob, _ = _read_string(body, offset)
        name, _ = _read_string(public_blob, 0)
    except (struct.error, ValueError):
        return None
    algorithm = name.decode("ascii", errors="replace")
    return _OPENSSH_TYPES.get(algorithm, algorithm)


def _read_string(data: bytes, offset: int) -> tuple[bytes, int]:
    """Read one SSH wire-format string (uint32 length, then the bytes)."""
    (length,) = struct.unpack_from(">I", data, offset)
    start = offset + 4
    if start + length > len(data):
        raise ValueError("truncated")
    return data[start:start + length], start + length


def check_ssh_key_types(vm_nodes: Iterable[tuple[str, str]], private_key: str | None,
                        public_key: str | None, collector: IssueCollector,
                        public_key_path: str = "sshPublicKey") -> None:
    """Report a key type that the cloud of a VM node cannot import.

    ``vm_nodes`` lists (node name, cloud) for every node with a vm block. The
    key pairs get ``public_key`` when it is set, else the public half of
    ``private_key``, else a generated RSA key, which every cloud imports. A
    private key whose type cannot be read is left to the loader's format check.
    ``public_key_path`` names the config key that ``public_key`` came from;
    it is sshPrivateKey when the public key was derived from the private key.
    """
    nodes_by_cloud: dict[str, list[str]] = {}
    for name, cloud in vm_nodes:
        nodes_by_cloud.setdefault(cloud, []).append(name)
    if not nodes_by_cloud:
        return
    derived = public_key_path == "sshPrivateKey"
    if public_key and not derived:
        path, key_type = public_key_path, public_key_type(public_key)
        value = " ".join(public_key.split()[:1]) + " ..."
    elif public_key:
        path, key_type = public_key_path, public_key_type(public_key)
        value = f"<secret> ({key_type} key)"
    elif private_key:
        derived = True
        path, key_type = "sshPrivateKey", private_key_type(private_key)
        value = f"<secret> ({key_type} key)"
    else:
        return
    if key_type is None:
        return

    rejecting = [cloud for cloud in nodes_by_cloud
                 if cloud in IMPORTABLE_KEY_TYPES and key_type not in IMPORTABLE_KEY_TYPES[cloud]]
    if not rejecting:
        return
    where_en = ", ".join(f"{CLOUD_NAMES[cloud]} ({', '.join(nodes_by_cloud[cloud])}, "
                         f"accepts {'/'.join(IMPORTABLE_KEY_TYPES[cloud])})" for cloud in rejecting)
    where_zh = "、".join(f"{CLOUD_NAMES_ZH[cloud]}（{'、'.join(nodes_by_cloud[cloud])}，"
                        f"只接受 {'/'.join(IMPORTABLE_KEY_TYPES[cloud])}）" for cloud in rejecting)
    # Without sshPublicKey the key pairs get the public half of sshPrivateKey.
    source_en = "" if not derived else " (without sshPublicKey the key pairs get its public half)"
    source_zh = "" if not derived else "（未设置 sshPublicKey 时，密钥对使用它的公钥）"
    collector.add(
        path, value,
        f"is a key of type {key_type}{source_en}, and the key pair import of {where_en} rejects "
        "that type; "
        "create an RSA key with `ssh-keygen -t rsa -b 4096 -f id_k3smc` and set sshPrivateKey "
        "(`pulumi config set --secret sshPrivateKey < id_k3smc`) and sshPublicKey (the content of "
        "id_k3smc.pub), or, for a stack of VMs only, leave both unset so the program generates an "
        "RSA key",
        f"是 {key_type} 密钥{source_zh}，{where_zh} 的密钥对导入不接受该类型；请用 "
        "`ssh-keygen -t rsa -b 4096 -f id_k3smc` 生成 RSA 密钥，并设置 sshPrivateKey"
        "（`pulumi config set --secret sshPrivateKey < id_k3smc`）和 sshPublicKey（id_k3smc.pub 的内容）；"
        "若栈中只有云主机，也可以两者都不设置，由程序生成 RSA 密钥")
