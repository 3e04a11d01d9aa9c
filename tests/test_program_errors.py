"""How the program ends on a bad stack config: one clean message, no resources."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.program import main
from program_mocks import REPO_ROOT, ProgramMocks, RecordingMonitor, set_program_mocks, stack_config


@pytest.fixture
def monitor():
    monitor = RecordingMonitor(ProgramMocks())
    set_program_mocks(monitor, "dev")
    yield monitor
    pulumi.runtime.set_all_config({}, [])


def bad_dev_config():
    config, secret_keys = stack_config(REPO_ROOT / "Pulumi.dev.yaml")
    nodes = json.loads(config["k3s-multicloud:nodes"])
    nodes[1]["role"] = "server"
    nodes[5]["privateIp"] = "192.168.64.5"
    config["k3s-multicloud:nodes"] = json.dumps(nodes)
    return config, secret_keys


def test_config_errors_become_run_error(monitor, monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "en")
    pulumi.runtime.set_all_config(*bad_dev_config())

    with pytest.raises(pulumi.RunError) as raised:
        main()

    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid stack config: 3 problem(s)"
    assert any(line.startswith("  - nodes[5].privateIp = '192.168.64.5': has no prefix length") for line in lines)
    assert any(line.startswith("  - nodes = ['ty1', 'hw1']: has 2 servers") for line in lines)
    assert any(line.startswith("  - nodes[1].location = 'huaweicloud': differs from location 'ctyun'")
               for line in lines)
    assert raised.value.__cause__ is None


def test_config_errors_register_nothing(monitor, monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "en")
    pulumi.runtime.set_all_config(*bad_dev_config())

    with pytest.raises(pulumi.RunError):
        main()

    assert monitor.registrations == []


def test_run_error_in_chinese(monitor, monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "zh")
    pulumi.runtime.set_all_config(*bad_dev_config())

    with pytest.raises(pulumi.RunError) as raised:
        main()

    assert str(raised.value).splitlines()[0] == "栈配置无效：共 3 个问题"


def natted_locations_config():
    """Two locations whose leaders both lack a public endpoint, so they can never handshake."""
    config, secret_keys = stack_config(REPO_ROOT / "Pulumi.dev.yaml")
    nodes = json.loads(config["k3s-multicloud:nodes"])
    for node in nodes:
        if node["location"] == "baidu":
            node.pop("publicIp", None)
            node["ssh"] = {"host": "bd-gateway.example.com"}
    nodes.append({
        "name": "home1",
        "role": "agent",
        "location": "home",
        "privateIp": "192.168.100.10/24",
        "persistentKeepalive": 25,
        "ssh": {"host": "home-gateway.example.com"},
    })
    config["k3s-multicloud:nodes"] = json.dumps(nodes)
    return config, secret_keys


def test_mesh_errors_register_nothing(monitor, monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "en")
    pulumi.runtime.set_all_config(*natted_locations_config())

    with pytest.raises(pulumi.RunError) as raised:
        main()

    message = str(raised.value)
    assert message.splitlines()[0].startswith("invalid Kilo mesh:")
    assert "bd1" in message
    assert "home1" in message
    assert monitor.registrations == []


def every_kind_of_problem_config():
    """A bad field, a VM without adminCidrs and NAT-only leaders, all in one config."""
    config, secret_keys = natted_locations_config()
    nodes = json.loads(config["k3s-multicloud:nodes"])
    nodes[1]["persistentKeepalive"] = "20s"
    ali1 = nodes[3]
    for key in ("publicIp", "privateIp"):
        ali1.pop(key, None)
    ali1["cloud"] = "alicloud"
    ali1["vm"] = {"region": "cn-hangzhou"}
    config["k3s-multicloud:nodes"] = json.dumps(nodes)
    config.pop("k3s-multicloud:adminCidrs", None)
    return config, secret_keys


def test_all_problems_in_one_run_error(monitor, monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "en")
    pulumi.runtime.set_all_config(*every_kind_of_problem_config())

    with pytest.raises(pulumi.RunError) as raised:
        main()

    message = str(raised.value)
    assert message.splitlines()[0].startswith("invalid stack config:")
    assert "nodes[1].persistentKeepalive = '20s'" in message
    assert "adminCidrs = []: is required with VMs" in message
    assert "both lack a public endpoint" in message
    assert monitor.registrations == []
