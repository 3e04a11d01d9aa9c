"""The whole program with cloud VMs: Pulumi.dev.yaml and a variant with a VM server.

The public IPs come from the cloud mocks (tests/clouds/mocks.py), which give
the seed nodes their seed addresses.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pulumi
import pytest
import yaml

from components.program import build, export
from program_mocks import (
    COMMAND,
    NODE_PATCH,
    REPO_ROOT,
    SECRET_SIGNATURE,
    ProgramMocks,
    RecordingMonitor,
    is_secret,
    resolve,
    run_program,
    set_program_mocks,
    stack_config,
)
from tests.clouds.mocks import SEED_PUBLIC_IPS

INSTANCES = {
    "alicloud:ecs/instance:Instance": "ali1",
    "tencentcloud:Instance/instance:Instance": "tx1",
    "huaweicloud:Ecs/instance:Instance": "hw1",
}


def unwrap(value: Any) -> Any:
    if isinstance(value, dict) and SECRET_SIGNATURE in value:
        return value["value"]
    return value


def run(config: dict[str, str], secret_keys: list[str]):
    monitor = RecordingMonitor(ProgramMocks())
    set_program_mocks(monitor, "dev")
    pulumi.runtime.set_all_config(config, secret_keys)
    exports: dict[str, Any] = {}

    def build_and_export():
        program = build()
        with mock.patch.object(pulumi, "export", side_effect=exports.__setitem__):
            export(program)
        return program

    program = run_program(build_and_export)
    return monitor, program, exports


@pytest.fixture(scope="module")
def dev():
    config, secret_keys = stack_config(REPO_ROOT / "Pulumi.dev.yaml")
    yield run(config, secret_keys)
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture(scope="module")
def vm_server():
    """Pulumi.dev.yaml with ali1 as the only server and ty1 as an agent."""
    config, secret_keys = stack_config(REPO_ROOT / "Pulumi.dev.yaml")
    nodes = json.loads(config["k3s-multicloud:nodes"])
    for node in nodes:
        node["role"] = "server" if node["name"] == "ali1" else "agent"
    config["k3s-multicloud:nodes"] = json.dumps(nodes)
    yield run(config, secret_keys)
    pulumi.runtime.set_all_config({}, [])


def annotations(monitor: RecordingMonitor) -> dict[str, dict[str, str]]:
    result = {}
    for patch in monitor.of_type(NODE_PATCH):
        metadata = patch.inputs["metadata"]
        result[metadata["name"]] = metadata["annotations"]
    return result


def install_config(monitor: RecordingMonitor, name: str) -> dict[str, Any]:
    return yaml.safe_load(unwrap(monitor.named(COMMAND, f"install-{name}").wire["stdin"]))


def test_dev_stack_creates_three_vms(dev):
    monitor, _program, _exports = dev
    for typ, name in INSTANCES.items():
        (instance,) = monitor.of_type(typ)
        assert instance.name == name
    instance_names = {r.name for r in monitor.registrations if r.type in INSTANCES}
    assert not instance_names & {"ty1", "bd1", "bd2"}


def test_dev_stack_names_unique(dev):
    monitor, _program, _exports = dev
    pairs = [(r.type, r.name) for r in monitor.registrations]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("name", ["ali1", "hw1", "tx1"])
def test_vm_public_ip_is_force_endpoint(dev, name):
    monitor, _program, _exports = dev
    annotation = annotations(monitor)[name]
    assert annotation["kilo.squat.ai/force-endpoint"] == f"{SEED_PUBLIC_IPS[name]}:51820"


@pytest.mark.parametrize("name,user", [("ali1", "root"), ("hw1", "root"), ("tx1", "ubuntu")])
def test_vm_ssh_connection(dev, name, user):
    monitor, _program, _exports = dev
    prepare = monitor.named(COMMAND, f"prepare-{name}")
    connection = unwrap(prepare.wire["connection"])
    assert connection["host"] == SEED_PUBLIC_IPS[name]
    assert connection["user"] == user
    instance = next(r for r in monitor.registrations if r.type in INSTANCES and r.name == name)
    assert instance.urn in prepare.dependencies


def test_vm_agent_uses_planned_private_ip(dev):
    monitor, _program, _exports = dev
    config = install_config(monitor, "ali1")
    assert config["node-ip"] == "172.21.143.136"
    assert config["node-external-ip"] == SEED_PUBLIC_IPS["ali1"]


def test_nodes_output_has_vm_addresses(dev):
    _monitor, _program, exports = dev
    nodes = {node["name"]: node for node in resolve(exports["nodes"])}
    assert nodes["hw1"]["publicIp"] == SEED_PUBLIC_IPS["hw1"]
    assert nodes["hw1"]["privateIp"] == "192.168.7.226/24"


def test_vm_server_ip_in_tls_san_and_kubeconfig(vm_server):
    monitor, program, _exports = vm_server
    address = SEED_PUBLIC_IPS["ali1"]

    config = install_config(monitor, "ali1")
    assert config["cluster-init"] is True
    assert address in config["tls-san"]
    assert resolve(program.api_server_url) == f"https://{address}:6443"
    assert is_secret(program.kubeconfig)
    kubeconfig = yaml.safe_load(resolve(program.kubeconfig))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://{address}:6443"
    read = monitor.named(COMMAND, "read-kubeconfig")
    assert unwrap(read.wire["connection"])["host"] == address


def test_vm_server_security_group_admits_nodes(vm_server):
    monitor, _program, _exports = vm_server
    rules = {r.name: r.inputs for r in monitor.of_type("alicloud:ecs/securityGroupRule:SecurityGroupRule")}
    assert rules["alicloud-cn-hangzhou-kube-api-node-ty1"]["cidrIp"] == "203.0.113.10/32"
    assert rules["alicloud-cn-hangzhou-kube-api-node-tx1"]["cidrIp"] == f"{SEED_PUBLIC_IPS['tx1']}/32"
    assert rules["alicloud-cn-hangzhou-kube-api-192.0.2.0-24"]["portRange"] == "6443/6443"
    assert "alicloud-cn-hangzhou-kube-api-0.0.0.0-0" not in rules


def test_existing_agent_waits_for_rule_naming_it(vm_server):
    monitor, _program, _exports = vm_server
    rule = monitor.named("alicloud:ecs/securityGroupRule:SecurityGroupRule",
                         "alicloud-cn-hangzhou-kube-api-node-ty1")
    assert rule.urn in monitor.named(COMMAND, "prepare-ty1").dependencies


def test_cloud_credentials_never_plain(vm_server):
    monitor, _program, _exports = vm_server
    for provider in monitor.registrations:
        if provider.type.startswith("pulumi:providers:") and provider.type != "pulumi:providers:kubernetes":
            for key in ("accessKey", "secretKey", "secretId", "securityToken"):
                value = provider.wire.get(key)
                assert value is None or isinstance(value, dict), (provider.name, key)
