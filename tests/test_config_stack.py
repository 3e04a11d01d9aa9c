"""Tests of read_stack_config: reading the stack config the way Pulumi passes it."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.config.load import raw_stack_config, read_stack_config
from components.errors import ConfigErrors
from program_mocks import (
    REPO_ROOT,
    TEST_CONFIG_TOKEN,
    TEST_SSH_PRIVATE_KEY,
    ProgramMocks,
    RecordingMonitor,
    is_secret,
    resolve,
    set_program_mocks,
    stack_config,
)


@pytest.fixture(autouse=True)
def mocks():
    set_program_mocks(RecordingMonitor(ProgramMocks()), "dev")
    yield
    pulumi.runtime.set_all_config({}, [])


def use_config(config, secret_keys=()):
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))


def dev_config():
    return stack_config(REPO_ROOT / "Pulumi.dev.yaml")


def test_dev_stack_reads_nodes_and_secrets():
    config, secret_keys = dev_config()
    use_config(config, secret_keys)

    cluster, secrets = read_stack_config()

    assert cluster.stack == "dev"
    assert [node.name for node in cluster.nodes] == ["ty1", "hw1", "tx1", "ali1", "bd1", "bd2"]
    assert is_secret(secrets.ssh_private_key)
    assert resolve(secrets.ssh_private_key) == TEST_SSH_PRIVATE_KEY
    assert secrets.k3s_token is None
    assert secrets.ssh_public_key is None


def test_dev_stack_marks_ssh_key_secret():
    _, secret_keys = dev_config()
    assert secret_keys == ["k3s-multicloud:sshPrivateKey"]


def test_project_defaults_apply(tmp_path):
    stack_file = tmp_path / "Pulumi.bare.yaml"
    stack_file.write_text("config:\n  k3s-multicloud:sshPublicKey: ssh-ed25519 AAAA test\n")

    config, _ = stack_config(stack_file)

    assert config["k3s-multicloud:sshPublicKey"] == "ssh-ed25519 AAAA test"
    assert config["k3s-multicloud:adminCidrs"] == "[]"


def test_configured_token_is_secret():
    config, secret_keys = dev_config()
    k3s = json.loads(config["k3s-multicloud:k3s"])
    k3s["token"] = TEST_CONFIG_TOKEN
    config["k3s-multicloud:k3s"] = json.dumps(k3s)
    use_config(config, [*secret_keys, "k3s-multicloud:k3s"])

    _, secrets = read_stack_config()

    assert is_secret(secrets.k3s_token)
    assert resolve(secrets.k3s_token) == TEST_CONFIG_TOKEN


def test_misspelled_top_level_key_is_an_error():
    config, secret_keys = dev_config()
    config["k3s-multicloud:adminCidr"] = json.dumps(["198.51.100.0/24"])
    use_config(config, secret_keys)

    with pytest.raises(ConfigErrors) as raised:
        read_stack_config()

    assert [issue.path for issue in raised.value.issues] == ["adminCidr"]
    assert "did you mean 'adminCidrs'?" in raised.value.issues[0].message_en


def test_other_namespaces_are_ignored():
    config, secret_keys = dev_config()
    config["alicloud:region"] = "cn-hangzhou"
    config["pulumi:disable-default-providers"] = '["*"]'
    use_config(config, secret_keys)

    assert sorted(raw_stack_config("k3s-multicloud")) == [
        "adminCidrs", "k3s", "kilo", "nodes", "sshPrivateKey", "sshPublicKey"]


def test_config_from_environment(monkeypatch):
    # The language host may pass the config as JSON in PULUMI_CONFIG.
    config, _ = dev_config()
    use_config({})
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))

    raw = raw_stack_config("k3s-multicloud")

    assert raw["sshPrivateKey"] == TEST_SSH_PRIVATE_KEY
    assert raw["nodes"][5]["name"] == "bd2"


def test_string_keys_are_not_json_decoded():
    config, secret_keys = dev_config()
    config["k3s-multicloud:sshPublicKey"] = "123"
    use_config(config, secret_keys)

    assert raw_stack_config("k3s-multicloud")["sshPublicKey"] == "123"
