"""SSH key types that a VM's cloud cannot import are config errors before any resource."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pulumi
import pytest

from components.clouds.keys import check_ssh_key_types, private_key_type, public_key_type
from components.errors import ConfigErrors, IssueCollector
from tests.built_tools import built_tools_dir
from tests.clouds import configs
from tests.clouds.helpers import build
from tests.clouds.mocks import openssh_test_key

REPO_ROOT = Path(__file__).resolve().parents[2]
ED25519_PRIVATE, ED25519_PUBLIC = openssh_test_key("ssh-ed25519")
ECDSA_PRIVATE, ECDSA_PUBLIC = openssh_test_key("ecdsa-sha2-nistp256")
RSA_PRIVATE, RSA_PUBLIC = openssh_test_key("ssh-rsa")


def pem(label: str) -> str:
    return f"-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n"


@pytest.mark.parametrize(("text", "expected"), [
    (ED25519_PRIVATE, "ed25519"),
    (ECDSA_PRIVATE, "ecdsa"),
    (RSA_PRIVATE, "rsa"),
    (pem("RSA PRIVATE KEY"), "rsa"),
    (pem("EC PRIVATE KEY"), "ecdsa"),
    # PKCS#8 bodies: version 0, then the AlgorithmIdentifier OID.
    ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n", "ed25519"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n", "rsa"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-base64\n-----END OPENSSH PRIVATE KEY-----\n", None),
    ("hunter2", None),
])
def test_private_key_type(text, expected):
    assert private_key_type(text) == expected


def test_public_key_type():
    assert public_key_type(ED25519_PUBLIC) == "ed25519"
    assert public_key_type(ECDSA_PUBLIC) == "ecdsa"
    assert public_key_type(RSA_PUBLIC + " user@host") == "rsa"


def issues(vm_nodes, private_key=None, public_key=None):
    collector = IssueCollector()
    check_ssh_key_types(vm_nodes, private_key, public_key, collector)
    return collector.issues


SEED_VMS = (("hw1", "huaweicloud"), ("tx1", "tencentcloud"), ("ali1", "alicloud"))


def test_ed25519_public_key_rejected_for_alibaba_and_tencent():
    (issue,) = issues(SEED_VMS, RSA_PRIVATE, ED25519_PUBLIC)
    assert issue.path == "sshPublicKey"
    assert issue.value == "ssh-ed25519 ..."
    assert "Alibaba Cloud (ali1" in issue.message_en
    assert "Tencent Cloud (tx1" in issue.message_en
    assert "Huawei" not in issue.message_en
    assert "ssh-keygen -t rsa -b 4096" in issue.message_en
    assert "ssh-keygen -t rsa -b 4096" in issue.message_zh
    assert "leave both unset" in issue.message_en


def test_derived_key_type_comes_from_private_key():
    (issue,) = issues(SEED_VMS, ED25519_PRIVATE, None)
    assert issue.path == "sshPrivateKey"
    assert issue.value == "<secret> (ed25519 key)"
    assert ED25519_PRIVATE.splitlines()[1] not in issue.message_en + issue.message_zh


@pytest.mark.parametrize(("vm_nodes", "private_key", "public_key", "rejected"), [
    ((("hw1", "huaweicloud"),), None, ED25519_PUBLIC, False),
    ((("hw1", "huaweicloud"),), ED25519_PRIVATE, None, False),
    ((("ali1", "alicloud"),), ECDSA_PRIVATE, None, False),
    ((("tx1", "tencentcloud"),), ECDSA_PRIVATE, None, True),
    ((("tx1", "tencentcloud"),), None, ECDSA_PUBLIC, True),
    (SEED_VMS, RSA_PRIVATE, None, False),
    (SEED_VMS, None, None, False),  # a generated RSA key
    ((), ED25519_PRIVATE, None, False),  # existing hosts only
])
def test_cloud_key_type_matrix(vm_nodes, private_key, public_key, rejected):
    assert bool(issues(vm_nodes, private_key, public_key)) == rejected


def test_create_vm_hosts_rejects_ed25519_before_registering(mocks):
    with pytest.raises(ConfigErrors) as raised:
        build(configs.cluster(), public_key=ED25519_PUBLIC, private_key=ED25519_PRIVATE)
    assert [issue.path for issue in raised.value.issues] == ["sshPublicKey"]
    assert mocks.resources == []


def test_secret_private_key_read_from_config(mocks):
    """The program passes a secret Output; the type comes from the decrypted config."""
    pulumi.runtime.set_all_config({"k3s-multicloud:sshPrivateKey": ED25519_PRIVATE},
                                  ["k3s-multicloud:sshPrivateKey"])
    with pytest.raises(ConfigErrors) as raised:
        build(configs.cluster(), public_key=None,
              private_key=pulumi.Output.secret(ED25519_PRIVATE))
    assert [issue.path for issue in raised.value.issues] == ["sshPrivateKey"]
    assert mocks.resources == []


def test_derived_public_key_checked_without_config(mocks):
    """Without the config text, the key derived by pulumi-tls is checked before the import."""
    with pytest.raises(ConfigErrors) as raised:
        build(configs.cluster(), public_key=None,
              private_key=pulumi.Output.secret(ED25519_PRIVATE))
    assert [issue.path for issue in raised.value.issues] == ["sshPrivateKey"]
    assert not [resource for resource in mocks.resources
                if resource.typ == "alicloud:ecs/ecsKeyPair:EcsKeyPair"
                and resource.inputs.get("publicKey")]


def test_huawei_only_stack_takes_ed25519(mocks):
    nodes = tuple(node for node in configs.seed_nodes() if node.cloud != "alicloud"
                  and node.cloud != "tencentcloud")
    result = build(configs.cluster(nodes), public_key=None, private_key=ED25519_PRIVATE)
    (pair,) = mocks.of_type("huaweicloud:Ecs/keypair:Keypair")
    assert pair.inputs["publicKey"] == ED25519_PUBLIC
    assert set(result.hosts) == {"hw1"}


@pytest.fixture(scope="module")
def pulumi_cli() -> Path:
    return built_tools_dir("pulumi") / "pulumi"


def test_dev_stack_key_is_rsa(tmp_path, pulumi_cli):
    """The dev stack's VMs include Alibaba and Tencent, so its throwaway key must be RSA."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO_ROOT / name, project / name)
    environment = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": "k3s-multicloud-dev",
                   "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
                   "PULUMI_HOME": str(tmp_path / "home"), "PULUMI_SKIP_UPDATE_CHECK": "true"}
    (tmp_path / "state").mkdir()

    def cli(*args: str) -> str:
        return subprocess.run([str(pulumi_cli), *args, "--non-interactive"], cwd=project,
                              env=environment, capture_output=True, text=True, check=True).stdout

    cli("stack", "init", "dev")
    key = cli("config", "get", "sshPrivateKey")
    assert private_key_type(key) == "rsa"
    assert issues(SEED_VMS, key, None) == []
