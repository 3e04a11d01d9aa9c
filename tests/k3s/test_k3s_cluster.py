"""Pulumi wiring of K3sCluster under mocks: resources, dependencies, secrets.

A recording monitor keeps every registration with its parent and its
dependencies (the mock ``new_resource`` hook does not see dependencies). Each
fixture sets the mocks and builds the cluster inside ``pulumi.runtime.test``;
the tests then read the recorded data only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks

from components.hosts import Host
from components.k3s import K3sCluster
from components.k3s.commands import render_drain_command, render_uninstall_command
from k3s_testdata import china_k3s_settings, dev_cluster, ha_nodes

SECRET_SIG = "4dabf18193072939515e22adb298388d"
GENERATED_TOKEN = "GeneratedTokenFromMockRandomPassword0123456789abc"
CONFIGURED_TOKEN = "ConfiguredToken0123456789"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nTESTKEY\n-----END OPENSSH PRIVATE KEY-----\n"


class ClusterMocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = GENERATED_TOKEN
        if args.typ == "command:remote:Command":
            state.update(stdout="", stderr="")
        return f"{args.name}-id", state

    def call(self, args):
        raise NotImplementedError(args.token)


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    dependencies: list[str]
    inputs: dict


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.registrations.append(Registration(
                request.type, request.name, response.urn, request.parent,
                list(request.dependencies), inputs))
        return response


class LogRecorder(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@dataclass
class Built:
    monitor: RecordingMonitor
    logs: list[str]
    values: dict = field(default_factory=dict)

    def get(self, name, type_="command:remote:Command") -> Registration:
        found = [r for r in self.monitor.registrations if r.name == name and r.type == type_]
        assert len(found) == 1, f"{type_} {name}: {len(found)} registrations"
        return found[0]

    def urn(self, name) -> str:
        return self.get(name).urn


def _hosts(cluster) -> dict[str, Host]:
    hosts: dict[str, Host] = {}
    for node in cluster.nodes:
        public = str(node.public_ip) if node.public_ip else None
        jump = hosts.get(node.ssh.jump_host) if node.ssh.jump_host else None
        hosts[node.name] = Host(
            node=node,
            public_ip=pulumi.Output.from_input(public),
            private_ip=pulumi.Output.from_input(str(node.private_ip.ip)),
            private_prefix=pulumi.Output.from_input(node.private_ip.network.prefixlen),
            ssh_host=pulumi.Output.from_input(public or str(node.private_ip.ip)),
            ssh_user=node.ssh.user,
            ssh_port=node.ssh.port,
            ssh_private_key=pulumi.Output.secret(PRIVATE_KEY),
            ssh_jump=jump,
        )
    return hosts


def build(cluster, token=None) -> Built:
    mocks = ClusterMocks()
    monitor = RecordingMonitor(mocks)
    logger = logging.getLogger(f"k3s-cluster-test-{id(monitor)}")
    recorder = LogRecorder()
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    pulumi.runtime.set_mocks(mocks, project="k3s-multicloud", stack="dev", preview=False,
                             monitor=monitor, logger=logger)
    built = Built(monitor, recorder.messages)

    @pulumi.runtime.test
    def run():
        k3s = K3sCluster("k3s", cluster, _hosts(cluster), token=token)
        built.values["attributes"] = k3s
        resources = [*k3s.prepared.values(), *k3s.installed.values(), *k3s.registered.values()]
        return pulumi.Output.all(k3s.token, k3s.api_server_url, *[r.urn for r in resources]).apply(
            lambda values: built.values.update(token=values[0], api_server_url=values[1]))

    run()
    return built


def _unwrap(value):
    if isinstance(value, dict) and SECRET_SIG in value:
        return value["value"]
    return value


def _is_secret(value) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def _strings(value):
    """Yield every string inside a nested input value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@pytest.fixture(scope="module")
def dev():
    return build(dev_cluster())


@pytest.fixture(scope="module")
def ha():
    return build(dev_cluster(ha_nodes()), token=CONFIGURED_TOKEN)


def test_component_type_and_children(dev):
    component = dev.get("k3s", "k3smc:k3s:Cluster")
    commands = [r for r in dev.monitor.registrations if r.type == "command:remote:Command"]

    assert len(commands) == 18
    assert all(r.parent == component.urn for r in commands)
    assert dev.get("k3s-token", "random:index/randomPassword:RandomPassword").parent == component.urn


def test_resource_names_stable(dev):
    names = sorted(r.name for r in dev.monitor.registrations if r.type == "command:remote:Command")
    expected = sorted(f"{step}-{node}" for step in ("prepare", "install", "register")
                      for node in ("ty1", "hw1", "tx1", "ali1", "bd1", "bd2"))

    assert names == expected


def test_registrations_unique(dev):
    pairs = [(r.type, r.name) for r in dev.monitor.registrations]

    assert len(pairs) == len(set(pairs))


def test_attributes_per_node(dev):
    attributes = dev.values["attributes"]

    assert set(attributes.prepared) == {"ty1", "hw1", "tx1", "ali1", "bd1", "bd2"}
    assert set(attributes.installed) == set(attributes.prepared) == set(attributes.registered)
    assert attributes.first_server_installed is attributes.installed["ty1"]


def test_random_token_settings(dev):
    password = dev.get("k3s-token", "random:index/randomPassword:RandomPassword")

    assert int(password.inputs["length"]) == 48
    assert password.inputs["special"] is False


def test_token_output_secret(dev):
    attributes = dev.values["attributes"]

    assert dev.values["token"] == GENERATED_TOKEN
    assert pulumi.runtime.sync_await._sync_await(attributes.token.is_secret())


def test_api_server_url(dev):
    assert dev.values["api_server_url"] == "https://203.0.113.10:6443"


def test_token_only_in_secret_stdin(dev):
    for registration in dev.monitor.registrations:
        for key, value in registration.inputs.items():
            if registration.type == "command:remote:Command" and key == "stdin" \
                    and registration.name.startswith("install-"):
                assert _is_secret(value), f"{registration.name} stdin is not secret"
                assert f"token: {GENERATED_TOKEN}" in _unwrap(value)
                continue
            assert all(GENERATED_TOKEN not in text for text in _strings(value)), \
                f"token found in {registration.name}.{key}"


def test_token_not_logged(dev):
    assert dev.logs
    assert all(GENERATED_TOKEN not in message for message in dev.logs)


def test_logs_read_as_runbook(dev):
    assert "Join agent ali1 to https://203.0.113.10:6443" in dev.logs
    assert any(message.startswith("Install K3s v1.35.6+k3s1 on first server ty1") for message in dev.logs)


def _token_urn(built):
    return built.get("k3s-token", "random:index/randomPassword:RandomPassword").urn


def _header(command: str) -> str:
    """Return the env prefix of a rendered command, without the script."""
    return command.split("bash -c")[0]


def test_agents_depend_only_on_servers(dev):
    # The token is an input of every install step (inside config.yaml).
    server_resources = {dev.urn("install-ty1"), dev.urn("register-ty1"), _token_urn(dev)}
    for agent in ("hw1", "tx1", "ali1", "bd1", "bd2"):
        dependencies = set(dev.get(f"install-{agent}").dependencies)

        assert dev.urn(f"prepare-{agent}") in dependencies
        assert dependencies - {dev.urn(f"prepare-{agent}")} <= server_resources
        assert dev.urn("register-ty1") in dependencies


def test_first_server_waits_for_prepare(dev):
    assert set(dev.get("install-ty1").dependencies) == {dev.urn("prepare-ty1"), _token_urn(dev)}


def test_register_depends_on_installs(dev):
    dependencies = set(dev.get("register-bd2").dependencies)

    assert dependencies == {dev.urn("install-bd2"), dev.urn("install-ty1")}


def test_register_runs_on_first_server(dev):
    connection = _unwrap(dev.get("register-bd2").inputs["connection"])

    assert connection["host"] == "203.0.113.10"
    assert "NODE_NAME=bd2" in dev.get("register-bd2").inputs["create"]


def test_register_delete_drains_node(dev):
    assert dev.get("register-bd2").inputs["delete"] == render_drain_command("bd2", sudo=False)


def test_first_server_register_has_no_delete(dev):
    assert "delete" not in dev.get("register-ty1").inputs


def test_install_delete_uninstalls(dev):
    assert dev.get("install-hw1").inputs["delete"] == render_uninstall_command(sudo=False)


def test_install_update_equals_create(dev):
    install = dev.get("install-ali1")

    assert install.inputs["update"] == install.inputs["create"]


def test_agent_command_has_k3s_url(dev):
    create = dev.get("install-bd2").inputs["create"]

    assert "K3S_URL=https://203.0.113.10:6443" in create
    assert "INSTALL_K3S_EXEC=agent" in create


def test_bd2_connects_through_bd1(dev):
    connection = _unwrap(dev.get("install-bd2").inputs["connection"])

    assert connection["host"] == "192.168.64.5"
    assert connection["proxy"]["host"] == "198.51.100.40"
    assert connection["proxy"]["user"] == "root"
    assert _unwrap(connection["proxy"]["privateKey"]) == PRIVATE_KEY
    assert int(connection["proxy"]["dialErrorLimit"]) == 30
    assert int(connection["proxy"]["perDialTimeout"]) == 20


def test_connection_settings_explicit(dev):
    for name in ("prepare-ty1", "install-hw1", "register-ali1"):
        registration = dev.get(name)
        connection = _unwrap(registration.inputs["connection"])

        assert _is_secret(registration.inputs["connection"])
        assert int(connection["dialErrorLimit"]) == 30
        assert int(connection["perDialTimeout"]) == 20
        assert "proxy" not in connection


def test_prepare_without_mirrors_has_no_stdin(dev):
    prepare = dev.get("prepare-hw1")

    assert "stdin" not in prepare.inputs
    assert "REGISTRIES_CONFIGURED=false" in prepare.inputs["create"]
    assert "NODE_IP=192.168.7.226" in prepare.inputs["create"]


def test_configured_token_used(ha):
    install = ha.get("install-s2")

    assert ha.values["token"] == CONFIGURED_TOKEN
    assert _is_secret(install.inputs["stdin"])
    assert f"token: {CONFIGURED_TOKEN}" in _unwrap(install.inputs["stdin"])
    assert not [r for r in ha.monitor.registrations if r.type.startswith("random:")]


def test_configured_token_output_secret(ha):
    attributes = ha.values["attributes"]

    assert pulumi.runtime.sync_await._sync_await(attributes.token.is_secret())


def test_servers_join_one_at_a_time(ha):
    assert set(ha.get("install-s2").dependencies) == {ha.urn("prepare-s2"), ha.urn("register-s1")}
    assert set(ha.get("install-s3").dependencies) == {ha.urn("prepare-s3"), ha.urn("register-s2")}


def test_ha_agents_wait_for_all_servers(ha):
    dependencies = set(ha.get("install-a1").dependencies)

    assert dependencies == {ha.urn("prepare-a1"), ha.urn("register-s1"), ha.urn("register-s2"),
                            ha.urn("register-s3")}
    assert ha.urn("install-a2") not in dependencies


def test_agent_url_by_location(ha):
    assert "K3S_URL=https://192.168.1.10:6443" in ha.get("install-a1").inputs["create"]
    assert "K3S_URL=https://203.0.113.11:6443" in ha.get("install-a2").inputs["create"]


def test_joining_server_config(ha):
    config = _unwrap(ha.get("install-s3").inputs["stdin"])

    assert "server: https://192.168.1.10:6443" in config
    assert "cluster-init" not in config
    assert "K3S_URL" not in _header(ha.get("install-s3").inputs["create"])


def test_non_root_user_gets_sudo(ha):
    assert ha.get("install-a2").inputs["create"].startswith("sudo -n env")
    assert ha.get("install-a1").inputs["create"].startswith("env")


def test_mirrors_reach_prepare_and_install():
    cluster = replace(dev_cluster(), k3s=china_k3s_settings())

    built = build(cluster)

    prepare = built.get("prepare-ty1")
    assert "docker.io" in prepare.inputs["stdin"]
    assert "REGISTRIES_CONFIGURED=true" in prepare.inputs["create"]
    assert "REGISTRIES_SHA256=none" not in built.get("install-ty1").inputs["create"]
    assert "INSTALL_K3S_MIRROR=cn" in built.get("install-ty1").inputs["create"]


def test_missing_host_rejected():
    cluster = dev_cluster()
    mocks = ClusterMocks()
    pulumi.runtime.set_mocks(mocks, project="k3s-multicloud", stack="dev", preview=False)

    @pulumi.runtime.test
    def run():
        hosts = _hosts(cluster)
        del hosts["bd2"]
        with pytest.raises(ValueError, match="no Host for node"):
            K3sCluster("k3s", cluster, hosts)

    run()
