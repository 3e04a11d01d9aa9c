"""Golden and structural tests for the rendered Kilo objects.

Set K3SMC_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change,
then review the diff.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

import pytest
import yaml

from components.kilo import dump_objects_yaml, render_kilo_objects
from components.kilo.render import INIT_SCRIPT_PATH, kg_args
from kilo_testdata import dev_cluster

GOLDEN_DIR = Path(__file__).with_name("golden")
MIRROR = "registry.cn-hangzhou.aliyuncs.com/k3smc/kilo"


def _render(**kilo_overrides):
    cluster = dev_cluster(**kilo_overrides)
    return render_kilo_objects(cluster.kilo, cluster)


def _by_kind_name(objects):
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def _daemon_set(objects):
    return _by_kind_name(objects)[("DaemonSet", "kilo")]


def _pod_containers(objects):
    pod = _daemon_set(objects)["spec"]["template"]["spec"]
    return pod["containers"] + pod["initContainers"]


@pytest.mark.parametrize(
    ("golden", "overrides"),
    [
        ("kilo-default.yaml", {}),
        ("kilo-mirror.yaml", {"image_repository": MIRROR}),
    ],
)
def test_objects_match_golden(golden, overrides):
    rendered = dump_objects_yaml(_render(**overrides))
    path = GOLDEN_DIR / golden
    if os.environ.get("K3SMC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_golden_parses_back_to_objects():
    text = (GOLDEN_DIR / "kilo-default.yaml").read_text(encoding="utf-8")
    assert list(yaml.safe_load_all(text)) == _render()


def test_peer_crd_comes_first():
    objects = _render()
    assert objects[0]["kind"] == "CustomResourceDefinition"
    assert objects[0]["metadata"]["name"] == "peers.kilo.squat.ai"
    assert [o["kind"] for o in objects[1:]].count("CustomResourceDefinition") == 0


def test_object_order_and_names():
    assert [(o["kind"], o["metadata"]["name"]) for o in _render()] == [
        ("CustomResourceDefinition", "peers.kilo.squat.ai"),
        ("ConfigMap", "kilo"),
        ("ServiceAccount", "kilo"),
        ("ClusterRole", "kilo"),
        ("ClusterRoleBinding", "kilo"),
        ("ConfigMap", "kilo-scripts"),
        ("DaemonSet", "kilo"),
    ]


def test_default_image_on_every_container():
    images = {c["name"]: c["image"] for c in _pod_containers(_render())}
    assert images == {
        "kilo": "docker.io/squat/kilo:0.7.0",
        "generate-kubeconfig": "docker.io/squat/kilo:0.7.0",
        "install-cni": "docker.io/squat/kilo:0.7.0",
    }


def test_mirror_image_on_every_container():
    images = {c["image"] for c in _pod_containers(_render(image_repository=MIRROR))}
    assert images == {f"{MIRROR}:0.7.0"}


def test_kg_args_follow_settings():
    cluster = dev_cluster(
        subnet=ipaddress.ip_network("10.5.0.0/24"), port=51821, granularity="full"
    )
    assert kg_args(cluster.kilo, cluster) == [
        "--kubeconfig=/etc/kubernetes/kubeconfig",
        "--hostname=$(NODE_NAME)",
        "--subnet=10.5.0.0/24",
        "--port=51821",
        "--mesh-granularity=full",
        "--service-cidr=10.43.0.0/16",
    ]


def test_kg_container_gets_kg_args():
    cluster = dev_cluster(port=51821)
    kg = _pod_containers(render_kilo_objects(cluster.kilo, cluster))[0]
    assert kg["name"] == "kilo"
    assert kg["args"] == kg_args(cluster.kilo, cluster)


def test_kg_mounts_k3s_agent_dir_read_only():
    kg = _pod_containers(_render())[0]
    mounts = {m["name"]: m for m in kg["volumeMounts"]}
    assert mounts["k3s-agent"]["mountPath"].rstrip("/") == "/var/lib/rancher/k3s/agent"
    assert mounts["k3s-agent"]["readOnly"] is True


def test_kg_mount_matches_kubeconfig_ca_path():
    # The CA path in the generated kubeconfig must resolve inside the kg container.
    kg = _pod_containers(_render())[0]
    mount_paths = [m["mountPath"].rstrip("/") for m in kg["volumeMounts"]]
    script = INIT_SCRIPT_PATH.read_text(encoding="utf-8")
    assert "K3S_AGENT_DIR:-/var/lib/rancher/k3s/agent}" in script
    assert "/var/lib/rancher/k3s/agent" in mount_paths


def test_init_script_loaded_from_file():
    scripts = _by_kind_name(_render())[("ConfigMap", "kilo-scripts")]
    assert scripts["data"] == {"init.sh": INIT_SCRIPT_PATH.read_text(encoding="utf-8")}


def test_cni_config_is_valid_conflist():
    cni = _by_kind_name(_render())[("ConfigMap", "kilo")]
    conflist = json.loads(cni["data"]["cni-conf.json"])
    assert conflist["name"] == "kilo"
    assert [p["type"] for p in conflist["plugins"]] == ["bridge", "portmap"]
    assert conflist["plugins"][0]["mtu"] == 1420


def test_render_is_pure():
    assert _render() == _render()
    assert dump_objects_yaml(_render()) == dump_objects_yaml(_render())
