"""Run the policies on what the program itself renders.

The policies read resource properties, so they must understand exactly the
arguments, command texts and manifests the program produces: the program's
defaults must pass, and each unsafe variant the config allows must fail.
"""

import ipaddress
import re
from pathlib import Path

import pulumi
import pytest
import yaml

from components.clouds.common import PUBLIC_IP_TAG
from components.config.model import FirewallSettings
from components.firewall import CIDR_ARGUMENT, NodeAddress, resolve_rules, rules_for_cloud, translate
from components.kubeconfig import read_command
from k3smc_policy.firewall import (
    ALICLOUD_RULE,
    HUAWEICLOUD_RULE,
    TENCENTCLOUD_RULE,
    no_public_admin_ports,
)
from k3smc_policy.public_ip import VM_TYPES, vm_public_ip_matches_config
from k3smc_policy.secret_outputs import kubeconfig_and_token_secret
from k3smc_policy.versions import REMOTE_COMMAND, container_images_pinned, k3s_version_pinned
from policy_fakes import REPO_ROOT, resource_args, violations
from tests.clouds import configs
from tests.clouds.helpers import build as build_vm_hosts
from tests.clouds.mocks import CloudMocks

RULE_TYPES = {
    "alicloud": ALICLOUD_RULE,
    "tencentcloud": TENCENTCLOUD_RULE,
    "huaweicloud": HUAWEICLOUD_RULE,
}
NODE_ADDRESSES = {"ty1": "203.0.113.10/32", "ali1": "203.0.113.20/32"}
K3S_GOLDEN = REPO_ROOT / "tests" / "k3s" / "golden"
KILO_GOLDEN = REPO_ROOT / "tests" / "kilo" / "golden"


def wire_name(python_name: str) -> str:
    head, *rest = python_name.split("_")
    return head + "".join(part.title() for part in rest)


def rendered_rules(cloud: str, settings: FirewallSettings) -> list[dict]:
    rules = rules_for_cloud(cloud, resolve_rules(
        vpc_cidr=ipaddress.ip_network("172.21.128.0/20"),
        has_server=True,
        nodes=[NodeAddress("ty1", True, True), NodeAddress("ali1", False, True)],
        admin_cidrs=[ipaddress.ip_network("198.51.100.0/24")],
        settings=settings,
        wireguard_port=51820,
    ))
    rendered = []
    for rule in rules:
        args = dict(translate(cloud, rule))
        args[CIDR_ARGUMENT[cloud]] = rule.cidr or NODE_ADDRESSES[rule.node]
        args["security_group_id"] = "sg-1"
        rendered.append({wire_name(key): value for key, value in args.items()})
    return rendered


@pytest.mark.parametrize("cloud", sorted(RULE_TYPES))
def test_default_firewall_passes(cloud):
    for props in rendered_rules(cloud, FirewallSettings()):
        args = resource_args(RULE_TYPES[cloud], props, "rule")
        assert violations(no_public_admin_ports, args) == [], props


@pytest.mark.parametrize("cloud", sorted(RULE_TYPES))
def test_open_to_world_ssh_fails(cloud):
    settings = FirewallSettings(open_to_world=("ssh",))

    reported = [message
                for props in rendered_rules(cloud, settings)
                for message in violations(no_public_admin_ports,
                                          resource_args(RULE_TYPES[cloud], props, "rule"))]

    assert len(reported) == 1
    assert "22 (SSH)" in reported[0]


def k3s_install_goldens() -> list[Path]:
    return sorted(K3S_GOLDEN.glob("install-*.sh"))


@pytest.mark.parametrize("golden", k3s_install_goldens(), ids=lambda path: path.stem)
def test_rendered_k3s_install_passes(golden):
    props = {"connection": {"host": "203.0.113.10"}, "create": golden.read_text()}

    assert violations(k3s_version_pinned, resource_args(REMOTE_COMMAND, props)) == []


@pytest.mark.parametrize("golden", k3s_install_goldens(), ids=lambda path: path.stem)
def test_rendered_k3s_install_with_latest_fails(golden):
    text = re.sub(r"INSTALL_K3S_VERSION=\S+", "INSTALL_K3S_VERSION=latest", golden.read_text(),
                  count=1)
    props = {"connection": {"host": "203.0.113.10"}, "create": text}

    assert violations(k3s_version_pinned, resource_args(REMOTE_COMMAND, props))


def test_rendered_china_install_without_sha256_fails():
    golden = K3S_GOLDEN / "install-china-hw1.sh"
    text = re.sub(r"INSTALL_SCRIPT_SHA256=\S+ ", "", golden.read_text(), count=1)
    assert "INSTALL_SCRIPT_SHA256" not in text.split("bash -c")[0]
    props = {"connection": {"host": "203.0.113.30"}, "create": text}

    [message] = violations(k3s_version_pinned, resource_args(REMOTE_COMMAND, props))

    assert "carries no version" in message


def test_kubeconfig_read_as_registered_passes():
    # components.kubeconfig.read_kubeconfig registers the read with these
    # options: logging NONE and stdout as an additional secret output.
    props = {"connection": {"host": "203.0.113.10"}, "create": read_command(True),
             "logging": "none"}
    args = resource_args(REMOTE_COMMAND, props, additional_secret_outputs=["stdout"])

    assert violations(kubeconfig_and_token_secret, args) == []


def test_kubeconfig_read_without_secret_fails():
    props = {"connection": {"host": "203.0.113.10"}, "create": read_command(False)}

    assert len(violations(kubeconfig_and_token_secret, resource_args(REMOTE_COMMAND, props))) == 2


def kilo_daemon_sets() -> list[tuple[str, dict]]:
    found = []
    for golden in sorted(KILO_GOLDEN.glob("*.yaml")):
        for document in yaml.safe_load_all(golden.read_text()):
            if document and document.get("kind") == "DaemonSet":
                found.append((golden.stem, document))
    return found


def test_kilo_goldens_contain_daemon_set():
    assert kilo_daemon_sets()


@pytest.mark.parametrize("name, daemon_set", kilo_daemon_sets(),
                         ids=[name for name, _ in kilo_daemon_sets()])
def test_rendered_kilo_daemon_set_passes(name, daemon_set):
    args = resource_args("kubernetes:apps/v1:DaemonSet", daemon_set, "kilo")

    assert violations(container_images_pinned, args) == []


@pytest.mark.parametrize("name, daemon_set", kilo_daemon_sets(),
                         ids=[name for name, _ in kilo_daemon_sets()])
def test_rendered_kilo_daemon_set_latest_fails(name, daemon_set):
    text = yaml.safe_dump(daemon_set).replace(":0.7.0", ":latest")
    args = resource_args("kubernetes:apps/v1:DaemonSet", yaml.safe_load(text), "kilo")

    assert violations(container_images_pinned, args)


@pytest.fixture
def cloud_mocks():
    """Record the cloud resources that create_vm_hosts registers, for one test."""
    recorder = CloudMocks()
    pulumi.runtime.set_mocks(recorder, project="k3s-multicloud", stack="test", preview=False)
    pulumi.runtime.set_all_config({}, [])
    yield recorder
    pulumi.runtime.set_all_config({}, [])


def registered_vms(recorder: CloudMocks) -> list:
    build_vm_hosts(configs.cluster())
    vms = [resource for resource in recorder.resources if resource.typ in VM_TYPES]
    assert sorted(vm.typ for vm in vms) == sorted(VM_TYPES)
    return vms


def test_program_vms_pass_public_ip_policy(cloud_mocks):
    for vm in registered_vms(cloud_mocks):
        args = resource_args(vm.typ, vm.inputs, vm.name)
        assert violations(vm_public_ip_matches_config, args) == [], vm.name


def test_program_vm_with_wrong_tag_fails(cloud_mocks):
    for vm in registered_vms(cloud_mocks):
        props = {**vm.inputs, "tags": {PUBLIC_IP_TAG: "false"}}
        [message] = violations(vm_public_ip_matches_config, resource_args(vm.typ, props, vm.name))
        assert "requests a public IP" in message
