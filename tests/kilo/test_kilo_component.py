"""Mock-based tests of the Kilo component: resources, order, dependencies, providers.

Mocks are set in a fixture for each test, because set_mocks is process-global
and other test files set their own.
"""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime.mocks import MockMonitor

from components.hosts import Host
from components.kilo import Kilo, render_kilo_objects
from kilo_testdata import dev_cluster

KILO_TYPES = {
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:apps/v1:DaemonSet",
}
NODE_PATCH = "kubernetes:core/v1:NodePatch"


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args):
        raise NotImplementedError(f"unexpected invoke {args.token}")


class RecordingMonitor(MockMonitor):
    """Mock monitor that also records each registration's parent, provider and dependencies."""

    def __init__(self, mocks):
        super().__init__(mocks)
        self.registrations = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.registrations.append(
            {
                "type": request.type,
                "name": request.name,
                "urn": response.urn,
                "parent": request.parent,
                "provider": request.provider,
                "dependencies": set(request.dependencies),
                "inputs": pulumi.runtime.rpc.deserialize_properties(request.object),
            }
        )
        return response

    def by_name(self, name):
        (found,) = [r for r in self.registrations if r["name"] == name]
        return found


@pytest.fixture
def monitor():
    monitor = RecordingMonitor(EchoMocks())
    pulumi.runtime.set_mocks(
        monitor.mocks, project="k3s-multicloud", stack="test", preview=False, monitor=monitor
    )
    return monitor


def _host(node):
    return Host(
        node=node,
        public_ip=pulumi.Output.from_input(str(node.public_ip) if node.public_ip else None),
        private_ip=pulumi.Output.from_input(str(node.private_ip.ip)),
        private_prefix=pulumi.Output.from_input(node.private_ip.network.prefixlen),
        ssh_host=pulumi.Output.from_input(str(node.public_ip or node.private_ip.ip)),
        ssh_user="root",
        ssh_port=22,
        ssh_private_key=pulumi.Output.secret("test-key"),
    )


def _build(cluster):
    provider = k8s.Provider(
        "k8s", kubeconfig="{}", enable_server_side_apply=True, delete_unreachable=False
    )
    registered = {
        n.name: pulumi.CustomResource("test:index:NodeRegistered", f"registered-{n.name}", {})
        for n in cluster.nodes
    }
    hosts = {n.name: _host(n) for n in cluster.nodes}
    kilo = Kilo("kilo", cluster, hosts, registered, provider)
    return kilo, registered, provider


def _all_urns(kilo, registered, provider):
    resources = [kilo, provider, *registered.values(), *kilo.objects.values(), *kilo.node_patches.values()]
    return pulumi.Output.all(*(r.urn for r in resources))


def _kilo_children(monitor):
    return [r for r in monitor.registrations if r["type"] in KILO_TYPES | {NODE_PATCH}]


@pulumi.runtime.test
def test_crd_registered_first(monitor):
    built = _build(dev_cluster())

    def check(_):
        objects = [r for r in monitor.registrations if r["type"] in KILO_TYPES]
        assert len(objects) == 7
        assert objects[0]["type"] == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
        assert objects[0]["name"] == "kilo-customresourcedefinition-peers.kilo.squat.ai"

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_objects_depend_on_crd(monitor):
    built = _build(dev_cluster())

    def check(_):
        crd_urn = monitor.by_name("kilo-customresourcedefinition-peers.kilo.squat.ai")["urn"]
        others = [
            r
            for r in monitor.registrations
            if r["type"] in KILO_TYPES and r["type"].endswith("CustomResourceDefinition") is False
        ]
        assert len(others) == 6
        for registration in others:
            assert crd_urn in registration["dependencies"], registration["name"]

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_daemon_set_waits_for_objects_and_patches(monitor):
    built = _build(dev_cluster())

    def check(_):
        daemon_set = monitor.by_name("kilo-daemonset-kilo")
        expected = {r["urn"] for r in _kilo_children(monitor) if r["name"] != "kilo-daemonset-kilo"}
        assert len(expected) == 12
        assert expected <= daemon_set["dependencies"]

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_stable_resource_names(monitor):
    built = _build(dev_cluster())

    def check(_):
        assert sorted(r["name"] for r in _kilo_children(monitor)) == sorted(
            [
                "kilo-customresourcedefinition-peers.kilo.squat.ai",
                "kilo-configmap-kilo",
                "kilo-serviceaccount-kilo",
                "kilo-clusterrole-kilo",
                "kilo-clusterrolebinding-kilo",
                "kilo-configmap-kilo-scripts",
                "kilo-daemonset-kilo",
                "kilo-annotate-ty1",
                "kilo-annotate-hw1",
                "kilo-annotate-tx1",
                "kilo-annotate-ali1",
                "kilo-annotate-bd1",
                "kilo-annotate-bd2",
            ]
        )
        pairs = [(r["type"], r["name"]) for r in monitor.registrations]
        assert len(pairs) == len(set(pairs))

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_children_use_provider_and_parent(monitor):
    built = _build(dev_cluster())

    def check(_):
        (component,) = [r for r in monitor.registrations if r["type"] == "k3smc:kilo:Kilo"]
        provider = monitor.by_name("k8s")
        provider_ref = f"{provider['urn']}::k8s-id"
        children = _kilo_children(monitor)
        assert len(children) == 13
        for child in children:
            assert child["provider"] == provider_ref, child["name"]
            assert child["parent"] == component["urn"], child["name"]

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_objects_sent_as_rendered(monitor):
    cluster = dev_cluster()
    built = _build(cluster)

    def check(_):
        for obj in render_kilo_objects(cluster.kilo, cluster):
            name = f"kilo-{obj['kind'].lower()}-{obj['metadata']['name']}"
            assert monitor.by_name(name)["inputs"] == obj, name

    return _all_urns(*built).apply(check)


EXPECTED_ANNOTATIONS = {
    "ty1": {"location": "ctyun", "endpoint": "203.0.113.10:51820", "internal": "192.168.1.226/24"},
    "hw1": {"location": "huaweicloud", "endpoint": "203.0.113.30:51820", "internal": "192.168.7.226/24"},
    "tx1": {"location": "tencentcloud", "endpoint": "198.51.100.50:51820", "internal": "172.17.0.3/20"},
    "ali1": {"location": "aliyun", "endpoint": "203.0.113.20:51820", "internal": "172.21.143.136/20"},
    "bd1": {"location": "baidu", "endpoint": "198.51.100.40:51820", "internal": "192.168.64.4/20"},
    "bd2": {"location": "baidu", "endpoint": None, "internal": "192.168.64.5/20"},
}


@pulumi.runtime.test
def test_six_node_patches_with_annotations(monitor):
    built = _build(dev_cluster())

    def check(_):
        patches = [r for r in monitor.registrations if r["type"] == NODE_PATCH]
        assert len(patches) == 6
        for node, values in EXPECTED_ANNOTATIONS.items():
            metadata = monitor.by_name(f"kilo-annotate-{node}")["inputs"]["metadata"]
            expected = {
                "kilo.squat.ai/location": values["location"],
                "kilo.squat.ai/force-internal-ip": values["internal"],
                "kilo.squat.ai/persistent-keepalive": "20",
                "pulumi.com/patchForce": "true",
                "pulumi.com/patchFieldManager": "k3s-multicloud-kilo",
            }
            if values["endpoint"]:
                expected["kilo.squat.ai/force-endpoint"] = values["endpoint"]
            assert metadata == {"name": node, "annotations": expected}, node

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_node_patch_waits_for_its_node(monitor):
    built = _build(dev_cluster())

    def check(_):
        registered_urns = {n: monitor.by_name(f"registered-{n}")["urn"] for n in EXPECTED_ANNOTATIONS}
        for node in EXPECTED_ANNOTATIONS:
            dependencies = monitor.by_name(f"kilo-annotate-{node}")["dependencies"]
            assert registered_urns[node] in dependencies, node
            others = set(registered_urns.values()) - {registered_urns[node]}
            assert not others & dependencies, node

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_leader_annotation_reaches_patch(monitor):
    cluster = dev_cluster()
    nodes = tuple(replace(n, kilo_leader=True) if n.name == "bd1" else n for n in cluster.nodes)
    built = _build(replace(cluster, nodes=nodes))

    def check(_):
        bd1 = monitor.by_name("kilo-annotate-bd1")["inputs"]["metadata"]["annotations"]
        bd2 = monitor.by_name("kilo-annotate-bd2")["inputs"]["metadata"]["annotations"]
        assert bd1["kilo.squat.ai/leader"] == "true"
        assert "kilo.squat.ai/leader" not in bd2

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_no_skip_await_by_default(monitor):
    built = _build(dev_cluster())

    def check(_):
        metadata = monitor.by_name("kilo-daemonset-kilo")["inputs"]["metadata"]
        assert "pulumi.com/skipAwait" not in metadata.get("annotations", {})

    return _all_urns(*built).apply(check)


@pulumi.runtime.test
def test_skip_await_annotation_when_set(monitor):
    built = _build(dev_cluster(skip_await=True))

    def check(_):
        metadata = monitor.by_name("kilo-daemonset-kilo")["inputs"]["metadata"]
        assert metadata["annotations"] == {"pulumi.com/skipAwait": "true"}
        other_objects = [r for r in monitor.registrations if r["type"] in KILO_TYPES - {"kubernetes:apps/v1:DaemonSet"}]
        for registration in other_objects:
            assert "annotations" not in registration["inputs"]["metadata"], registration["name"]

    return _all_urns(*built).apply(check)


def test_missing_host_raises_before_registration(monitor):
    cluster = dev_cluster()
    provider = k8s.Provider("k8s", kubeconfig="{}")
    hosts = {n.name: _host(n) for n in cluster.nodes if n.name != "bd2"}
    registered = {n.name: provider for n in cluster.nodes if n.name != "tx1"}

    with pytest.raises(ValueError) as error:
        Kilo("kilo", cluster, hosts, registered, provider)

    assert "no Host for nodes bd2" in str(error.value)
    assert "no registration resource for nodes tx1" in str(error.value)
    assert not [r for r in monitor.registrations if r["type"] == "k3smc:kilo:Kilo"]


class UnknownVmMocks(EchoMocks):
    """Mocks for a preview in which VM addresses are not known yet."""

    def new_resource(self, args):
        if args.typ == "test:index:Vm":
            unknown = pulumi.runtime.rpc.UNKNOWN
            return f"{args.name}-id", {"publicIp": unknown, "privateIp": unknown}
        return super().new_resource(args)


@pulumi.runtime.test
def test_preview_with_unknown_vm_addresses():
    monitor = RecordingMonitor(UnknownVmMocks())
    pulumi.runtime.set_mocks(
        monitor.mocks, project="k3s-multicloud", stack="test", preview=True, monitor=monitor
    )
    cluster = dev_cluster()
    provider = k8s.Provider("k8s", kubeconfig="{}", enable_server_side_apply=True)
    registered = {
        n.name: pulumi.CustomResource("test:index:NodeRegistered", f"registered-{n.name}", {})
        for n in cluster.nodes
    }
    hosts = {n.name: _host(n) for n in cluster.nodes}
    vm = pulumi.CustomResource("test:index:Vm", "vm-ali1", {"publicIp": None, "privateIp": None})
    hosts["ali1"] = replace(hosts["ali1"], public_ip=vm.publicIp, private_ip=vm.privateIp)

    kilo = Kilo("kilo", cluster, hosts, registered, provider)

    def check(_):
        patches = [r for r in monitor.registrations if r["type"] == NODE_PATCH]
        assert len(patches) == 6
        ty1 = monitor.by_name("kilo-annotate-ty1")["inputs"]["metadata"]["annotations"]
        assert ty1["kilo.squat.ai/force-endpoint"] == "203.0.113.10:51820"
        ali1 = monitor.by_name("kilo-annotate-ali1")["inputs"]["metadata"]
        assert ali1["name"] == "ali1"
        assert isinstance(ali1["annotations"], pulumi.output.Unknown)

    return _all_urns(kilo, registered, provider).apply(check)
