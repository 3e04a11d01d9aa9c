"""Compare the rendered Kilo objects with Kilo 0.7.0's own manifests.

The upstream manifests are read from the reference directory next to the
project root (skipped when it is absent). The rendered objects must equal
upstream's after ALLOWED_DIFFERENCES is applied to the upstream objects, so
any other drift fails.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from components.kilo import render_kilo_objects
from components.kilo.render import read_init_script
from kilo_testdata import dev_cluster, resolve_current_cluster

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared/reference/kilo-0.7.0"
UPSTREAM_IMAGE = "squat/kilo:0.7.0"

pytestmark = pytest.mark.skipif(
    not REFERENCE_DIR.is_dir(), reason="Kilo 0.7.0 reference manifests are not available"
)


def _load(name):
    text = (REFERENCE_DIR / name).read_text(encoding="utf-8")
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def _kg_container(objects):
    containers = _find(objects, "DaemonSet", "kilo")["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "kilo")


def _pod_containers(objects):
    pod = _find(objects, "DaemonSet", "kilo")["spec"]["template"]["spec"]
    return pod["containers"] + pod["initContainers"]


def _strip_descriptions(value):
    if isinstance(value, dict):
        return {k: _strip_descriptions(v) for k, v in value.items() if k != "description"}
    if isinstance(value, list):
        return [_strip_descriptions(v) for v in value]
    return value


# Each function turns an upstream object list into what we render. The
# asserts inside check that upstream still looks the way the change assumes.


def _use_configured_image(objects, cluster):
    """The image repository is configurable so clusters can pull from a mirror."""
    for container in _pod_containers(objects):
        assert container["image"] == UPSTREAM_IMAGE
        container["image"] = f"{cluster.kilo.image_repository}:{cluster.kilo.version}"


def _fix_generated_kubeconfig(objects, cluster):
    """Our init.sh names the cluster entry, while upstream's writes the name at the top level."""
    scripts = _find(objects, "ConfigMap", "kilo-scripts")
    assert list(scripts["data"]) == ["init.sh"]
    scripts["data"]["init.sh"] = read_init_script()


def _mount_k3s_agent_in_kg(objects, cluster):
    """kg mounts the K3s agent directory because the kubeconfig names the CA by path."""
    kg = _kg_container(objects)
    assert "k3s-agent" not in [m["name"] for m in kg["volumeMounts"]]
    kg["volumeMounts"].append(
        {"name": "k3s-agent", "mountPath": "/var/lib/rancher/k3s/agent/", "readOnly": True}
    )


def _add_kg_args(objects, cluster):
    """kg gets the subnet, port, granularity and service CIDR of the stack config."""
    kg = _kg_container(objects)
    assert kg["args"] == ["--kubeconfig=/etc/kubernetes/kubeconfig", "--hostname=$(NODE_NAME)"]
    kg["args"] += [
        f"--subnet={cluster.kilo.subnet}",
        f"--port={cluster.kilo.port}",
        f"--mesh-granularity={cluster.kilo.granularity}",
        f"--service-cidr={cluster.k3s.service_cidr}",
    ]


def _own_crd_descriptions(objects, cluster):
    """The CRD descriptions are our own words and the controller-gen annotation is dropped."""
    crd = _find(objects, "CustomResourceDefinition", "peers.kilo.squat.ai")
    assert crd["metadata"].pop("annotations") == {"controller-gen.kubebuilder.io/version": "v0.14.0"}


ALLOWED_DIFFERENCES = [
    _use_configured_image,
    _fix_generated_kubeconfig,
    _mount_k3s_agent_in_kg,
    _add_kg_args,
    _own_crd_descriptions,
]


def _normalize(objects):
    """Compare the CNI conflist as data and the CRD without descriptions."""
    objects = copy.deepcopy(objects)
    cni = _find(objects, "ConfigMap", "kilo")
    cni["data"]["cni-conf.json"] = json.loads(cni["data"]["cni-conf.json"])
    crd = _find(objects, "CustomResourceDefinition", "peers.kilo.squat.ai")
    crd["spec"] = _strip_descriptions(crd["spec"])
    return objects


def _expected(cluster):
    objects = copy.deepcopy(_load("crds.yaml") + _load("kilo-k3s.yaml"))
    for change in ALLOWED_DIFFERENCES:
        change(objects, cluster)
    return objects


@pytest.mark.parametrize(
    "overrides",
    [{}, {"image_repository": "registry.cn-hangzhou.aliyuncs.com/k3smc/kilo", "port": 51821}],
    ids=["default", "mirror-and-port"],
)
def test_rendered_equals_upstream_with_allowed_differences(overrides):
    cluster = dev_cluster(**overrides)
    rendered = _normalize(render_kilo_objects(cluster.kilo, cluster))
    expected = _normalize(_expected(cluster))

    assert [(o["kind"], o["metadata"]["name"]) for o in rendered] == [
        (o["kind"], o["metadata"]["name"]) for o in expected
    ]
    for ours, theirs in zip(rendered, expected):
        assert ours == theirs, f"{ours['kind']} {ours['metadata']['name']} differs from upstream"


def test_crd_schema_equals_upstream():
    cluster = dev_cluster()
    ours = render_kilo_objects(cluster.kilo, cluster)[0]
    (theirs,) = _load("crds.yaml")
    assert _strip_descriptions(ours["spec"]) == _strip_descriptions(theirs["spec"])


def test_crd_describes_every_field_upstream_describes():
    def described_paths(value, path=()):
        if isinstance(value, dict):
            found = {path} if "description" in value else set()
            for key, child in value.items():
                found |= described_paths(child, path + (key,))
            return found
        return set()

    cluster = dev_cluster()
    ours = render_kilo_objects(cluster.kilo, cluster)[0]
    (theirs,) = _load("crds.yaml")
    assert described_paths(ours["spec"]) == described_paths(theirs["spec"])


def test_upstream_init_script_loses_cluster(tmp_path):
    """Upstream's generated kubeconfig has no cluster named by its context."""
    agent = tmp_path / "agent"
    agent.mkdir()
    (agent / "kubelet.kubeconfig").write_text(
        "clusters:\n- cluster:\n    server: https://127.0.0.1:6444\n  name: local\n"
    )
    (agent / "server-ca.crt").write_text("CA\n")
    token = tmp_path / "token"
    token.write_text("token\n")
    out = tmp_path / "kubeconfig"

    script = _find(_load("kilo-k3s.yaml"), "ConfigMap", "kilo-scripts")["data"]["init.sh"]
    script = (
        script.replace("/etc/kubernetes/kubeconfig", str(out))
        .replace("/var/lib/rancher/k3s/agent", str(agent))
        .replace("/var/run/secrets/kubernetes.io/serviceaccount/token", str(token))
    )
    result = subprocess.run(
        ["sh", "-c", script],
        env={"NAMESPACE": "kube-system", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr

    kubeconfig = yaml.safe_load(out.read_text())
    with pytest.raises(LookupError):
        resolve_current_cluster(kubeconfig)
