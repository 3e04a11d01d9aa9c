"""Pulumi wiring: apply the rendered Kilo objects and annotate every node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.model import ClusterConfig, NodeConfig
from components.hosts import Host
from components.kilo.annotations import node_annotations
from components.kilo.render import kilo_image, render_kilo_objects

# A fixed server-side apply field manager for the node annotations, so the
# Node's managedFields name their owner, and an annotation dropped from the
# config is removed from the Node on the next update.
# NOTE: deleting a NodePatch releases every field this manager owns on that
# Node. Renaming a NodePatch resource without an alias creates the new patch
# and then deletes the old one, which removes the annotations again.
FIELD_MANAGER = "k3s-multicloud-kilo"

_RESOURCE_CLASSES: dict[tuple[str, str], type[pulumi.CustomResource]] = {
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): k8s.apiextensions.v1.CustomResourceDefinition,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
}

# Top-level object fields and the keyword arguments of the typed resources.
_FIELD_ARGUMENTS = {
    "metadata": "metadata",
    "spec": "spec",
    "data": "data",
    "rules": "rules",
    "roleRef": "role_ref",
    "subjects": "subjects",
}


def resource_name(component: str, obj: Mapping[str, Any]) -> str:
    """Return the stable Pulumi name of a rendered object, e.g. kilo-configmap-kilo-scripts."""
    return f"{component}-{obj['kind'].lower()}-{obj['metadata']['name']}"


def _typed_resource(
    name: str, obj: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """Create the typed pulumi-kubernetes resource for one rendered object.

    Typed resources, rather than one YAML group, let a preview show each
    Kilo object with its own diff.
    """
    resource_class = _RESOURCE_CLASSES[(obj["apiVersion"], obj["kind"])]
    kwargs = {}
    for field, value in obj.items():
        if field in ("apiVersion", "kind"):
            continue
        kwargs[_FIELD_ARGUMENTS[field]] = value
    return resource_class(name, opts=opts, **kwargs)


def _kilo_annotations(node: NodeConfig, host: Host, port: int) -> pulumi.Output[dict[str, str]]:
    # VM addresses are known only after the cloud creates the VM.
    def build(values: list[Any]) -> dict[str, str]:
        public_ip, private_ip, private_prefix = values
        return node_annotations(node, public_ip, private_ip, private_prefix, port)

    return pulumi.Output.all(host.public_ip, host.private_ip, host.private_prefix).apply(build)


def _patch_annotations(annotations: dict[str, str]) -> dict[str, str]:
    return {
        **annotations,
        "pulumi.com/patchForce": "true",
        "pulumi.com/patchFieldManager": FIELD_MANAGER,
    }


class Kilo(pulumi.ComponentResource):
    """Kilo (KiloSettings.version, 0.7.0 by default) on the cluster, plus the Kilo annotations of every node.

    Attributes:
        crd: the Peer CustomResourceDefinition, created before everything else.
        objects: every Kilo object by resource name, the CRD included.
        daemon_set: the kg DaemonSet.
        node_annotations: the Kilo annotations of each node, by node name.
        node_patches: one NodePatch per node name.
    """

    def __init__(
        self,
        name: str,
        cluster: ClusterConfig,
        hosts: Mapping[str, Host],
        registered: Mapping[str, pulumi.Resource],
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        _check_every_node_present(cluster, hosts, registered)
        objects = render_kilo_objects(cluster.kilo, cluster)

        super().__init__("k3smc:kilo:Kilo", name, None, opts)

        crd_object, *other_objects = objects
        *support_objects, daemon_set_object = other_objects
        self.objects: dict[str, pulumi.CustomResource] = {}

        # kg exits at startup when the Peer CRD is missing, so it goes first.
        crd_name = resource_name(name, crd_object)
        self.crd = _typed_resource(
            crd_name, crd_object, pulumi.ResourceOptions(parent=self, provider=provider)
        )
        self.objects[crd_name] = self.crd

        for obj in support_objects:
            object_name = resource_name(name, obj)
            self.objects[object_name] = _typed_resource(
                object_name,
                obj,
                pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.crd]),
            )

        # Each node is annotated as soon as its Node object exists.
        self.node_annotations: dict[str, pulumi.Output[dict[str, str]]] = {}
        self.node_patches: dict[str, k8s.core.v1.NodePatch] = {}
        for node in cluster.nodes:
            annotations = _kilo_annotations(node, hosts[node.name], cluster.kilo.port)
            self.node_annotations[node.name] = annotations
            self.node_patches[node.name] = k8s.core.v1.NodePatch(
                f"{name}-annotate-{node.name}",
                metadata={"name": node.name, "annotations": annotations.apply(_patch_annotations)},
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[registered[node.name]]
                ),
            )

        # On the first deployment kg starts only after every node has its
        # location and endpoint. Otherwise a node would briefly join the mesh
        # in the empty location with its private IP as endpoint, and leaders
        # and WireGuard IPs would change once the annotations arrived. A node
        # added later can still run kg shortly before its own NodePatch.
        if cluster.kilo.skip_await:
            daemon_set_object = _with_annotation(daemon_set_object, "pulumi.com/skipAwait", "true")
        daemon_set_name = resource_name(name, daemon_set_object)
        self.daemon_set = _typed_resource(
            daemon_set_name,
            daemon_set_object,
            pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[*self.objects.values(), *self.node_patches.values()],
            ),
        )
        self.objects[daemon_set_name] = self.daemon_set

        self.register_outputs(
            {
                "image": kilo_image(cluster.kilo),
                "nodeAnnotations": self.node_annotations,
            }
        )


def _with_annotation(obj: Mapping[str, Any], key: str, value: str) -> dict[str, Any]:
    metadata = dict(obj["metadata"])
    metadata["annotations"] = {**metadata.get("annotations", {}), key: value}
    return {**obj, "metadata": metadata}


def _check_every_node_present(
    cluster: ClusterConfig,
    hosts: Mapping[str, Host],
    registered: Mapping[str, pulumi.Resource],
) -> None:
    """Raise ValueError, before any resource exists, if a node lacks its host or join step."""
    missing_hosts = [n.name for n in cluster.nodes if n.name not in hosts]
    missing_registered = [n.name for n in cluster.nodes if n.name not in registered]
    problems = []
    if missing_hosts:
        problems.append(f"no Host for nodes {', '.join(missing_hosts)}")
    if missing_registered:
        problems.append(f"no registration resource for nodes {', '.join(missing_registered)}")
    if problems:
        raise ValueError(
            "Kilo: " + "; ".join(problems) + ". Pass a Host and a registration resource for every node."
        )
