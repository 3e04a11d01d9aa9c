"""create_vm_hosts across all clouds: keys, dependencies, names and the rule table."""

from __future__ import annotations

import dataclasses
import ipaddress
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components.config.model import FirewallSettings
from components.errors import ConfigErrors
from tests.clouds import configs
from tests.clouds.helpers import TEST_DERIVED_PUBLIC_KEY, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, build, is_secret, resolve
from tests.clouds.mocks import GENERATED_PRIVATE_KEY, GENERATED_PUBLIC_KEY, mock_public_ip
from tests.clouds.rule_coverage import world_open_ports

REPO = Path(__file__).resolve().parents[2]
RULE_TYPES = {
    "alicloud:ecs/securityGroupRule:SecurityGroupRule": "alicloud",
    "tencentcloud:Security/groupRule:GroupRule": "tencentcloud",
    "huaweicloud:Vpc/secgroupRule:SecgroupRule": "huaweicloud",
}
KEY_TYPES = ("alicloud:ecs/ecsKeyPair:EcsKeyPair", "tencentcloud:Key/pair:Pair",
             "huaweicloud:Ecs/keypair:Keypair")


def vm_servers():
    """The seed cluster with ali1 as the only server, so the Alibaba Cloud group gets every rule.

    All servers must share one location, so only one VM group can hold them.
    """
    return configs.cluster([dataclasses.replace(node, role="server") if node.name == "ali1" else
                            dataclasses.replace(node, role="agent") if node.name == "ty1" else node
                            for node in configs.seed_nodes()])


def rule_inputs(mocks):
    return [(RULE_TYPES[r.typ], r.name, r.inputs) for r in mocks.resources if r.typ in RULE_TYPES]


def test_no_restricted_port_open_to_world(mocks):
    build(vm_servers())
    rules = rule_inputs(mocks)
    assert {cloud for cloud, _name, _inputs in rules} == set(RULE_TYPES.values())
    assert [name for _cloud, name, _inputs in rules if "-etcd-" in name]
    open_ports = [(name, world_open_ports(cloud, inputs)) for cloud, name, inputs in rules]
    assert [entry for entry in open_ports if entry[1]] == []


def test_open_to_world_needs_the_switch(mocks):
    cluster = dataclasses.replace(vm_servers(), firewall=FirewallSettings(open_to_world=("kube-api",)))
    build(cluster)
    opened = {(name, tuple(world_open_ports(cloud, inputs)))
              for cloud, name, inputs in rule_inputs(mocks) if world_open_ports(cloud, inputs)}
    assert opened == {("alicloud-cn-hangzhou-kube-api-0.0.0.0-0", (6443,))}


def test_resource_names_unique(mocks):
    build(vm_servers())
    pairs = [(r.typ, r.name) for r in mocks.resources]
    assert len(pairs) == len(set(pairs))


def test_adding_node_only_adds_resources(mocks):
    base = configs.cluster()
    build(base)
    before = {(r.typ, r.name): r.inputs for r in mocks.resources}
    mocks.resources.clear()

    extra = dataclasses.replace(base.nodes[3], name="ali2", private_ip=None)
    build(dataclasses.replace(base, nodes=base.nodes + (extra,)))
    after = {(r.typ, r.name): r.inputs for r in mocks.resources}

    assert set(before) <= set(after)
    changed = [key for key, inputs in before.items() if after[key] != inputs]
    assert changed == []
    added = sorted(name for _typ, name in set(after) - set(before))
    assert added == ["ali2", "alicloud-cn-hangzhou-kubelet-node-ali2",
                     "huaweicloud-cn-north-4-kubelet-node-ali2",
                     "tencentcloud-ap-guangzhou-kubelet-node-ali2"]


def test_host_waits_for_rules_naming_it(mocks):
    result = build(vm_servers())
    names = {resource._name for resource in result.hosts["tx1"].depends_on}
    assert {"tx1", "alicloud-cn-hangzhou-kube-api-node-tx1", "huaweicloud-cn-north-4-kubelet-node-tx1",
            "tencentcloud-ap-guangzhou-ssh-198.51.100.0-24"} <= names
    # Rules that name other nodes belong to those nodes.
    assert "tencentcloud-ap-guangzhou-kube-api+kubelet-node-ali1" not in names


def test_existing_host_gets_rule_dependencies(mocks):
    from components.hosts import Host

    result = build(vm_servers())
    bd1 = configs.seed_nodes()[4]
    host = Host(node=bd1, public_ip=resolve("198.51.100.40"), private_ip="192.168.64.4",
                private_prefix=20, ssh_host="198.51.100.40", ssh_user="root", ssh_port=22,
                ssh_private_key=TEST_PRIVATE_KEY)
    updated = result.with_firewall_dependencies({"bd1": host})["bd1"]
    names = {resource._name for resource in updated.depends_on}
    assert "alicloud-cn-hangzhou-kube-api-node-bd1" in names
    assert "huaweicloud-cn-north-4-kubelet-node-bd1" in names
    assert len(updated.depends_on) == len(result.rules_by_node["bd1"])


def test_configured_key_pair_used(mocks):
    result = build(configs.cluster())
    assert result.generated_private_key is None
    assert not mocks.of_type("tls:index/privateKey:PrivateKey")
    for typ in KEY_TYPES:
        (key,) = mocks.of_type(typ)
        assert key.inputs["publicKey"] == TEST_PUBLIC_KEY.strip()
    assert resolve(result.hosts["hw1"].ssh_private_key) == TEST_PRIVATE_KEY
    assert is_secret(result.hosts["hw1"].ssh_private_key)


def test_generated_key_is_secret(mocks):
    result = build(configs.cluster(), public_key=None, private_key=None)
    (key,) = mocks.of_type("tls:index/privateKey:PrivateKey")
    assert key.inputs["algorithm"] == "RSA"
    assert int(key.inputs["rsaBits"]) == 4096
    for typ in KEY_TYPES:
        (pair,) = mocks.of_type(typ)
        assert pair.inputs["publicKey"] == GENERATED_PUBLIC_KEY.strip()
    assert is_secret(result.generated_private_key)
    assert resolve(result.generated_private_key) == GENERATED_PRIVATE_KEY
    assert is_secret(result.hosts["ali1"].ssh_private_key)


def test_public_key_derived_from_private_key(mocks):
    result = build(configs.cluster(), public_key=None)
    assert not mocks.of_type("tls:index/privateKey:PrivateKey")
    (call,) = [args for token, args, _provider in mocks.invokes
               if token == "tls:index/getPublicKey:getPublicKey"]
    assert call == {"privateKeyOpenssh": TEST_PRIVATE_KEY}
    for typ in KEY_TYPES:
        (pair,) = mocks.of_type(typ)
        assert pair.inputs["publicKey"] == TEST_DERIVED_PUBLIC_KEY
    assert result.generated_private_key is None
    assert is_secret(result.hosts["tx1"].ssh_private_key)


def test_public_key_without_private_key_rejected(mocks):
    with pytest.raises(ConfigErrors) as raised:
        build(configs.cluster(), private_key=None)
    assert [issue.path for issue in raised.value.issues] == ["sshPrivateKey"]
    assert mocks.resources == []


def test_config_errors_before_any_resource(mocks):
    cluster = configs.cluster(admin_cidrs=("0.0.0.0/0",))
    with pytest.raises(ConfigErrors) as raised:
        build(cluster)
    assert [issue.path for issue in raised.value.issues] == ["adminCidrs[0]"]
    assert mocks.resources == []


def test_no_vm_nodes_creates_nothing(mocks):
    cluster = configs.cluster([node for node in configs.seed_nodes() if node.vm is None])
    result = build(cluster)
    assert result.hosts == {}
    assert mocks.resources == []


def test_derived_private_ip_reaches_instance(mocks):
    base = configs.cluster()
    nodes = tuple(dataclasses.replace(node, private_ip=None) if node.name == "ali1" else node
                  for node in base.nodes)
    result = build(dataclasses.replace(base, nodes=nodes))
    instance = mocks.named("ali1")
    address = ipaddress.IPv4Address(instance.inputs["privateIp"])
    assert address in ipaddress.IPv4Network("10.10.0.0/20")
    assert resolve(result.hosts["ali1"].private_ip) == str(address)
    assert resolve(result.hosts["ali1"].private_prefix) == 20
    assert resolve(result.hosts["ali1"].public_ip) == mock_public_ip("ali1")


@pytest.mark.parametrize("cloud,absent", [
    ("alicloud", ("tencentcloud_iac_pulumi", "pulumi_huaweicloud")),
    ("tencentcloud", ("pulumi_alicloud", "pulumi_huaweicloud")),
    ("huaweicloud", ("pulumi_alicloud", "tencentcloud_iac_pulumi")),
])
def test_only_used_sdk_imported(cloud, absent):
    script = textwrap.dedent(f"""
        import sys, warnings
        warnings.simplefilter("ignore")
        import pulumi
        from tests.clouds import configs
        from tests.clouds.helpers import build
        from tests.clouds.mocks import CloudMocks
        pulumi.runtime.set_mocks(CloudMocks(), project="k3s-multicloud", stack="test")
        cluster = configs.cluster([n for n in configs.seed_nodes() if n.vm is None or n.cloud == {cloud!r}])
        build(cluster)
        print(",".join(sorted(m for m in sys.modules if "." not in m)))
    """)
    completed = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                               text=True, check=True)
    loaded = set(completed.stdout.strip().split(","))
    assert {"pulumi_alicloud": "alicloud", "tencentcloud_iac_pulumi": "tencentcloud",
            "pulumi_huaweicloud": "huaweicloud"}.keys() - set(absent) <= loaded
    assert not loaded & set(absent)
