"""The whole program under Pulumi mocks, with the real K3s and Kilo modules.

Every test runs twice: on Pulumi.dev.yaml and on the seed cluster with all
nodes as existing hosts. The cloud mocks give VMs the seed's public IPs, so
the expected values are the same.

The dev_run fixture (conftest.py) builds the program once per module; every
test reads what the mock monitor recorded. The function fixture below sets
the mocks again before each test, because set_mocks is process-global and
other test modules set their own.
"""

from __future__ import annotations

import pulumi
import pytest
import yaml

from program_mocks import (
    COMMAND,
    GOLDEN,
    K8S_PROVIDER,
    NODE_PATCH,
    RANDOM_PASSWORD,
    SECRET_SIGNATURE,
    TEST_RANDOM_TOKEN,
    TEST_SSH_PRIVATE_KEY,
    is_secret,
    kubeconfig_secret_markers,
    plain_strings,
    resolve,
    set_program_mocks,
)

SERVER_URL = "https://203.0.113.10:6443"
DEV_NODES = [
    {"name": "ty1", "cloud": "ctyun", "location": "ctyun", "role": "server",
     "publicIp": "203.0.113.10", "privateIp": "192.168.1.226/24"},
    {"name": "hw1", "cloud": "huaweicloud", "location": "huaweicloud", "role": "agent",
     "publicIp": "203.0.113.30", "privateIp": "192.168.7.226/24"},
    {"name": "tx1", "cloud": "tencentcloud", "location": "tencentcloud", "role": "agent",
     "publicIp": "198.51.100.50", "privateIp": "172.17.0.3/20"},
    {"name": "ali1", "cloud": "alicloud", "location": "aliyun", "role": "agent",
     "publicIp": "203.0.113.20", "privateIp": "172.21.143.136/20"},
    {"name": "bd1", "cloud": "baidu", "location": "baidu", "role": "agent",
     "publicIp": "198.51.100.40", "privateIp": "192.168.64.4/20"},
    {"name": "bd2", "cloud": "baidu", "location": "baidu", "role": "agent",
     "publicIp": None, "privateIp": "192.168.64.5/20"},
]


@pytest.fixture(autouse=True)
def dev_mocks(dev_run):
    set_program_mocks(dev_run.monitor, "dev", dev_run.logger)
    pulumi.runtime.set_all_config(dev_run.config, dev_run.secret_keys)


def unwrap(value):
    """Return the plain value of a wire-format secret, or the value itself."""
    if isinstance(value, dict) and SECRET_SIGNATURE in value:
        return value["value"]
    return value


def connection(dev_run, name):
    return unwrap(dev_run.monitor.named(COMMAND, name).wire["connection"])


def test_resource_names_are_unique(dev_run):
    pairs = [(r.type, r.name) for r in dev_run.monitor.registrations]
    duplicates = sorted({pair for pair in pairs if pairs.count(pair) > 1})
    assert duplicates == []


def test_dev_stack_registers_every_step(dev_run):
    commands = {r.name for r in dev_run.monitor.of_type(COMMAND)}
    for node in DEV_NODES:
        assert f"prepare-{node['name']}" in commands
        assert f"install-{node['name']}" in commands
        assert f"register-{node['name']}" in commands
    assert "read-kubeconfig" in commands
    assert len(dev_run.monitor.of_type(RANDOM_PASSWORD)) == 1
    assert len(dev_run.monitor.of_type(K8S_PROVIDER)) == 1


def node_config(dev_run, name):
    stdin = unwrap(dev_run.monitor.named(COMMAND, f"install-{name}").wire["stdin"])
    return yaml.safe_load(stdin)


def test_first_server_initialises_etcd(dev_run):
    config = node_config(dev_run, "ty1")

    assert config["cluster-init"] is True
    assert config["flannel-backend"] == "none"
    assert config["node-ip"] == "192.168.1.226"
    assert config["node-external-ip"] == "203.0.113.10"
    assert "203.0.113.10" in config["tls-san"]
    assert config["token"] == TEST_RANDOM_TOKEN


@pytest.mark.parametrize("name", ["hw1", "tx1", "ali1", "bd1", "bd2"])
def test_agents_join_first_server(dev_run, name):
    install = dev_run.monitor.named(COMMAND, f"install-{name}")
    config = node_config(dev_run, name)

    assert f"K3S_URL={SERVER_URL}" in install.inputs["create"]
    assert "INSTALL_K3S_EXEC=agent" in install.inputs["create"]
    assert config["token"] == TEST_RANDOM_TOKEN
    assert "cluster-init" not in config


def test_agents_install_after_first_server(dev_run):
    first = dev_run.monitor.named(COMMAND, "register-ty1").urn
    for node in DEV_NODES[1:]:
        install = dev_run.monitor.named(COMMAND, f"install-{node['name']}")
        assert first in install.dependencies, node["name"]


def test_bd2_is_reached_through_bd1(dev_run):
    bd2 = connection(dev_run, "prepare-bd2")
    assert bd2["host"] == "192.168.64.5"
    assert bd2["proxy"]["host"] == "198.51.100.40"
    assert connection(dev_run, "prepare-bd1").get("proxy") is None


def test_ssh_key_reaches_connections_as_secret(dev_run):
    wire = dev_run.monitor.named(COMMAND, "prepare-ty1").wire["connection"]
    assert wire[SECRET_SIGNATURE]
    assert wire["value"]["privateKey"] == TEST_SSH_PRIVATE_KEY


def annotations_by_node(dev_run):
    patches = dev_run.monitor.of_type(NODE_PATCH)
    return {p.inputs["metadata"]["name"]: p.inputs["metadata"]["annotations"] for p in patches}


def test_six_nodes_annotated(dev_run):
    assert sorted(annotations_by_node(dev_run)) == sorted(node["name"] for node in DEV_NODES)


@pytest.mark.parametrize("node", DEV_NODES, ids=[node["name"] for node in DEV_NODES])
def test_node_annotation_values(dev_run, node):
    annotations = annotations_by_node(dev_run)[node["name"]]

    assert annotations["kilo.squat.ai/location"] == node["location"]
    assert annotations["kilo.squat.ai/persistent-keepalive"] == "20"
    assert annotations["kilo.squat.ai/force-internal-ip"] == node["privateIp"]
    if node["publicIp"] is None:
        assert "kilo.squat.ai/force-endpoint" not in annotations
    else:
        assert annotations["kilo.squat.ai/force-endpoint"] == f"{node['publicIp']}:51820"


def test_kilo_uses_cluster_provider(dev_run):
    provider = dev_run.monitor.named(K8S_PROVIDER, "k8s")
    kilo_resources = [r for r in dev_run.monitor.registrations
                      if r.type.startswith("kubernetes:") and r.type != K8S_PROVIDER]

    assert kilo_resources
    for resource in kilo_resources:
        assert resource.provider.startswith(provider.urn + "::"), resource.name


def test_kubeconfig_read_keeps_stdout_secret(dev_run):
    read = dev_run.monitor.named(COMMAND, "read-kubeconfig")

    assert read.inputs["create"] == "cat /etc/rancher/k3s/k3s.yaml"
    assert read.inputs["logging"] == "none"
    assert "stdout" in read.additional_secret_outputs
    assert unwrap(read.wire["connection"])["host"] == "203.0.113.10"
    assert dev_run.monitor.named(COMMAND, "install-ty1").urn in read.dependencies


def test_kubeconfig_output_is_secret_and_rewritten(dev_run):
    kubeconfig = dev_run.program.kubeconfig

    assert is_secret(kubeconfig)
    assert resolve(kubeconfig) == (GOLDEN / "kubeconfig-dev.yaml").read_text()
    assert resolve(dev_run.program.api_server_url) == SERVER_URL


def test_provider_gets_secret_kubeconfig(dev_run):
    provider = dev_run.monitor.named(K8S_PROVIDER, "k8s")

    assert provider.wire["kubeconfig"][SECRET_SIGNATURE]
    assert provider.wire["kubeconfig"]["value"] == (GOLDEN / "kubeconfig-dev.yaml").read_text()
    assert provider.inputs["enableServerSideApply"] == "true"
    assert provider.inputs["context"] == "k3s-multicloud-dev"
    assert provider.inputs["cluster"] == "k3s-multicloud-dev"
    assert provider.inputs["deleteUnreachable"] == "false"


def test_exports(dev_run):
    exports = dev_run.exports

    assert sorted(exports) == ["apiServerUrl", "kubeconfig", "meshConf", "meshGraph", "meshPlan", "nodes"]
    assert is_secret(exports["kubeconfig"])
    assert not is_secret(exports["nodes"])
    assert resolve(exports["apiServerUrl"]) == SERVER_URL
    assert resolve(exports["nodes"]) == DEV_NODES


def test_mesh_exports_show_seed_leaders(dev_run):
    graph = dev_run.exports["meshGraph"]
    conf = dev_run.exports["meshConf"]

    assert graph.startswith("digraph kilo {")
    assert '"bd1"->"bd2"[ dir=both ];' in graph
    assert "# kgctl showconf node bd1" in conf
    assert "# kgctl showconf node bd2" not in conf
    assert "10.4.0.2/32" in conf


def secret_markers():
    key_body = TEST_SSH_PRIVATE_KEY.splitlines()[1]
    return [key_body, TEST_RANDOM_TOKEN, *kubeconfig_secret_markers()]


def test_no_secret_in_plain_inputs(dev_run):
    leaks = []
    for registration in dev_run.monitor.registrations:
        for text in plain_strings(registration.wire):
            leaks += [(registration.name, marker[:12]) for marker in secret_markers() if marker in text]
    assert leaks == []


def test_no_secret_in_registered_outputs(dev_run):
    assert dev_run.monitor.registered_outputs
    leaks = []
    for outputs in dev_run.monitor.registered_outputs:
        for text in plain_strings(outputs):
            leaks += [marker[:12] for marker in secret_markers() if marker in text]
    assert leaks == []


def test_no_secret_in_logs(dev_run):
    assert dev_run.log
    text = "\n".join(dev_run.log)
    for marker in secret_markers():
        assert marker not in text


def test_log_reads_as_runbook(dev_run):
    text = "\n".join(dev_run.log)
    assert "Deploy K3s v1.35.6+k3s1 on 6 nodes" in text
    assert "Read the kubeconfig from server ty1" in text
    assert f"Join agent bd2 to {SERVER_URL}" in text


def test_secret_marker_check_finds_a_leak():
    # The leak checks above pass only if plain_strings skips secrets and
    # nothing else: a plain copy of the key must be found.
    wire = {"connection": {SECRET_SIGNATURE: "1b47061264138c4ac30d75fd1eb44270",
                           "value": {"privateKey": TEST_SSH_PRIVATE_KEY}},
            "create": f"echo '{TEST_SSH_PRIVATE_KEY}'"}
    found = [t for t in plain_strings(wire) if secret_markers()[0] in t]
    assert len(found) == 1
