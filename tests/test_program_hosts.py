"""Tests of the Host objects the program builds for existing hosts."""

from __future__ import annotations

import pytest

from components.config.load import load_cluster_config
from components.existing import existing_hosts
from program_mocks import (
    ProgramMocks,
    RecordingMonitor,
    TEST_SSH_PRIVATE_KEY,
    is_secret,
    resolve,
    seed_raw_config,
    set_program_mocks,
)


@pytest.fixture(autouse=True)
def mocks():
    set_program_mocks(RecordingMonitor(ProgramMocks()), "dev")


def seed_hosts(raw=None):
    cluster = load_cluster_config(raw or seed_raw_config(), "k3s-multicloud", "dev", locale="en")
    return existing_hosts(cluster, TEST_SSH_PRIVATE_KEY)


def test_hosts_in_node_order():
    assert list(seed_hosts()) == ["ty1", "hw1", "tx1", "ali1", "bd1", "bd2"]


def test_plain_key_becomes_secret():
    key = seed_hosts()["ty1"].ssh_private_key

    assert is_secret(key)
    assert resolve(key) == TEST_SSH_PRIVATE_KEY


def test_host_addresses():
    bd1 = seed_hosts()["bd1"]

    assert resolve(bd1.public_ip) == "198.51.100.40"
    assert resolve(bd1.private_ip) == "192.168.64.4"
    assert resolve(bd1.private_prefix) == 20
    assert resolve(bd1.ssh_host) == "198.51.100.40"
    assert (bd1.ssh_user, bd1.ssh_port) == ("root", 22)


def test_private_host_dials_through_jump():
    hosts = seed_hosts()

    assert resolve(hosts["bd2"].public_ip) is None
    assert resolve(hosts["bd2"].ssh_host) == "192.168.64.5"
    assert hosts["bd2"].ssh_jump is hosts["bd1"]
    assert hosts["bd1"].ssh_jump is None


def test_ssh_host_overrides_public_ip():
    raw = seed_raw_config()
    raw["nodes"][1]["ssh"] = {"host": "hw1.example.com", "port": 2222, "user": "ubuntu"}

    hw1 = seed_hosts(raw)["hw1"]

    assert resolve(hw1.ssh_host) == "hw1.example.com"
    assert (hw1.ssh_user, hw1.ssh_port) == ("ubuntu", 2222)
