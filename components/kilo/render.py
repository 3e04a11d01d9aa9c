"""Kubernetes objects that install Kilo on K3s, rendered as plain data.

The objects follow Kilo 0.7.0's manifests/kilo-k3s.yaml (names, labels, RBAC
rules, volumes, container args), with these changes:

- The image repository is configurable, so clusters can pull from a mirror.
- The generate-kubeconfig script (init.sh next to this file) writes a
  kubeconfig whose cluster entry has a name and is referenced by the context.
  Kilo 0.7.0 writes the name at the top level, so client-go finds no cluster
  and falls back to the in-cluster Service IP, which other clouds cannot
  reach before the mesh is up.
- The kg container mounts the K3s agent directory read-only, because that
  kubeconfig refers to the K3s server CA by path.
- kg gets --subnet, --port, --mesh-granularity and --service-cidr from the
  stack config, so the cluster matches what the offline planner computes.

Rendering reads only the config and files in this package: nothing is
downloaded at deploy time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from components.config.model import ClusterConfig, KiloSettings
from components.kilo.crd import render_peer_crd

NAMESPACE = "kube-system"
NAME = "kilo"
SCRIPTS_CONFIGMAP = "kilo-scripts"
INIT_SCRIPT_PATH = Path(__file__).with_name("init.sh")

# Paths inside the Kilo pod.
K3S_AGENT_DIR = "/var/lib/rancher/k3s/agent"
KUBECONFIG_DIR = "/etc/kubernetes"
KUBECONFIG_PATH = f"{KUBECONFIG_DIR}/kubeconfig"

# MTU of the pod bridge, as Kilo 0.7.0 sets it. kg's own --mtu defaults to
# "auto" (default-route MTU minus 80), which gives the same 1420 on a
# 1500-byte underlay.
POD_BRIDGE_MTU = 1420

_LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": NAME}

# Copies Kilo's CNI plugins to the host and installs the conflist. Like the
# upstream manifest it removes every other CNI config on the host, which is
# right for K3s started with --flannel-backend=none and wrong for any host
# that still needs another CNI.
_INSTALL_CNI_SCRIPT = """\
set -e -x;
cp /opt/cni/bin/* /host/opt/cni/bin/;
TMP_CONF="$CNI_CONF_NAME".tmp;
echo "$CNI_NETWORK_CONFIG" > $TMP_CONF;
rm -f /host/etc/cni/net.d/*;
mv $TMP_CONF /host/etc/cni/net.d/$CNI_CONF_NAME
"""


def kilo_image(kilo: KiloSettings) -> str:
    return f"{kilo.image_repository}:{kilo.version}"


def read_init_script() -> str:
    return INIT_SCRIPT_PATH.read_text(encoding="utf-8")


def render_kilo_objects(kilo: KiloSettings, cluster: ClusterConfig) -> list[dict[str, Any]]:
    """Render every object that installs Kilo, the Peer CRD first.

    The remaining objects follow the upstream manifest's order: ConfigMap
    kilo, ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap
    kilo-scripts and the DaemonSet.
    """
    return [
        render_peer_crd(),
        _cni_config_map(),
        _service_account(),
        _cluster_role(),
        _cluster_role_binding(),
        _scripts_config_map(),
        _daemon_set(kilo, cluster),
    ]


def kg_args(kilo: KiloSettings, cluster: ClusterConfig) -> list[str]:
    """Build the command-line arguments of the kg container."""
    return [
        f"--kubeconfig={KUBECONFIG_PATH}",
        "--hostname=$(NODE_NAME)",
        # kg allocates leader WireGuard IPs from --subnet and listens on
        # --port. The planner and the force-endpoint annotations use the same
        # values, so these are passed explicitly instead of relying on kg's
        # defaults.
        f"--subnet={kilo.subnet}",
        f"--port={kilo.port}",
        f"--mesh-granularity={kilo.granularity}",
        # KILO-NAT returns early for these CIDRs instead of masquerading.
        # kube-proxy usually rewrites service IPs before POSTROUTING, so this
        # only affects packets that still carry a service IP there. Passing
        # the K3s service CIDR keeps their source address and costs nothing.
        f"--service-cidr={cluster.k3s.service_cidr}",
    ]


def render_cni_config() -> str:
    """Render the CNI conflist that install-cni writes to the host."""
    conflist = {
        "cniVersion": "0.4.0",
        "name": NAME,
        "plugins": [
            {
                "name": "kubernetes",
                "type": "bridge",
                "bridge": "kube-bridge",
                "isDefaultGateway": True,
                "forceAddress": True,
                "mtu": POD_BRIDGE_MTU,
                "ipam": {"type": "host-local"},
            },
            {
                "type": "portmap",
                "snat": True,
                "capabilities": {"portMappings": True},
            },
        ],
    }
    return json.dumps(conflist, indent=2) + "\n"


def _cni_config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": NAME},
        },
        "data": {"cni-conf.json": render_cni_config()},
    }


def _service_account() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
    }


def _cluster_role() -> dict[str, Any]:
    # kg patches its own Node annotations, watches Peers, and reads the Peer
    # CRD once at startup to check that it exists.
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": NAME},
        "rules": [
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "patch", "watch"]},
            {"apiGroups": ["kilo.squat.ai"], "resources": ["peers"], "verbs": ["list", "watch"]},
            {
                "apiGroups": ["apiextensions.k8s.io"],
                "resources": ["customresourcedefinitions"],
                "verbs": ["get"],
            },
        ],
    }


def _cluster_role_binding() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": NAME},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
    }


def _scripts_config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": SCRIPTS_CONFIGMAP, "namespace": NAMESPACE},
        "data": {"init.sh": read_init_script()},
    }


def _host_path(name: str, path: str, **extra: str) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path, **extra}}


def _mount(name: str, path: str, read_only: bool | None = None) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": name, "mountPath": path}
    if read_only is not None:
        mount["readOnly"] = read_only
    return mount


def _daemon_set(kilo: KiloSettings, cluster: ClusterConfig) -> dict[str, Any]:
    image = kilo_image(kilo)

    kg = {
        "name": "kilo",
        "image": image,
        "args": kg_args(kilo, cluster),
        "env": [
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ],
        "ports": [{"containerPort": 1107, "name": "metrics"}],
        "securityContext": {"privileged": True},
        "volumeMounts": [
            _mount("cni-conf-dir", "/etc/cni/net.d"),
            _mount("kilo-dir", "/var/lib/kilo"),
            _mount("kubeconfig", KUBECONFIG_DIR, read_only=True),
            _mount("lib-modules", "/lib/modules", read_only=True),
            _mount("xtables-lock", "/run/xtables.lock", read_only=False),
            # The generated kubeconfig names the K3s server CA by its path
            # under this directory.
            _mount("k3s-agent", f"{K3S_AGENT_DIR}/", read_only=True),
        ],
    }

    generate_kubeconfig = {
        "name": "generate-kubeconfig",
        "image": image,
        "command": ["/bin/sh"],
        "args": ["/scripts/init.sh"],
        "imagePullPolicy": "Always",
        "volumeMounts": [
            _mount("kubeconfig", KUBECONFIG_DIR),
            _mount("scripts", "/scripts/", read_only=True),
            _mount("k3s-agent", f"{K3S_AGENT_DIR}/", read_only=True),
        ],
        "env": [
            {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        ],
    }

    install_cni = {
        "name": "install-cni",
        "image": image,
        "command": ["/bin/sh", "-c", _INSTALL_CNI_SCRIPT],
        "env": [
            {"name": "CNI_CONF_NAME", "value": "10-kilo.conflist"},
            {
                "name": "CNI_NETWORK_CONFIG",
                "valueFrom": {"configMapKeyRef": {"name": NAME, "key": "cni-conf.json"}},
            },
        ],
        "volumeMounts": [
            _mount("cni-bin-dir", "/host/opt/cni/bin"),
            _mount("cni-conf-dir", "/host/etc/cni/net.d"),
        ],
    }

    volumes = [
        _host_path("cni-bin-dir", "/opt/cni/bin"),
        _host_path("cni-conf-dir", "/etc/cni/net.d"),
        # Holds the node's WireGuard private key.
        _host_path("kilo-dir", "/var/lib/kilo"),
        {"name": "kubeconfig", "emptyDir": {}},
        {"name": "scripts", "configMap": {"name": SCRIPTS_CONFIGMAP}},
        _host_path("k3s-agent", K3S_AGENT_DIR),
        _host_path("lib-modules", "/lib/modules"),
        _host_path("xtables-lock", "/run/xtables.lock", type="FileOrCreate"),
    ]

    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": dict(_LABELS)},
        "spec": {
            "selector": {"matchLabels": dict(_LABELS)},
            "template": {
                "metadata": {"labels": dict(_LABELS)},
                "spec": {
                    "serviceAccountName": NAME,
                    "hostNetwork": True,
                    "containers": [kg],
                    "initContainers": [generate_kubeconfig, install_cni],
                    # Run on every node, including tainted servers.
                    "tolerations": [
                        {"effect": "NoSchedule", "operator": "Exists"},
                        {"effect": "NoExecute", "operator": "Exists"},
                    ],
                    "volumes": volumes,
                },
            },
        },
    }


class _BlockStyleDumper(yaml.SafeDumper):
    """YAML dumper that writes multi-line strings (scripts, JSON) as blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStyleDumper.add_representer(str, _represent_str)


def dump_objects_yaml(objects: list[dict[str, Any]]) -> str:
    """Serialize objects as a multi-document YAML manifest, keys in render order."""
    return yaml.dump_all(
        objects,
        Dumper=_BlockStyleDumper,
        sort_keys=False,
        explicit_start=True,
        default_flow_style=False,
        allow_unicode=True,
        width=120,
    )
