"""Golden and behaviour tests for registries.yaml and the prepare command.

Set K3SMC_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change,
then review the diff.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from components.config.model import RegistryMirror
from components.hostprep.render import (
    registries_sha256,
    registries_yaml,
    render_prepare_command,
    render_registries,
)
from k3s_testdata import assert_golden, dev_nodes

GOLDEN_DIR = Path(__file__).with_name("golden")

MIRRORS = (
    RegistryMirror("registry.k8s.io", ("https://k8s.m.daocloud.io",)),
    RegistryMirror("docker.io", ("https://registry.cn-hangzhou.aliyuncs.com", "https://docker.m.daocloud.io")),
)


def test_prepare_command_matches_golden():
    ty1 = dev_nodes()[0]

    text = render_prepare_command(ty1, "192.168.1.226", registries_configured=False, sudo=False)

    assert_golden(GOLDEN_DIR / "prepare-ty1.sh", text)


def test_prepare_command_with_mirrors_matches_golden():
    bd2 = dev_nodes()[5]

    text = render_prepare_command(bd2, "192.168.64.5", registries_configured=True, sudo=True)

    assert_golden(GOLDEN_DIR / "prepare-bd2-mirrors.sh", text)


def test_registries_matches_golden():
    assert_golden(GOLDEN_DIR / "registries.yaml", registries_yaml(MIRRORS))


def test_registries_sorted_by_registry():
    data = render_registries(MIRRORS)

    assert list(data["mirrors"]) == ["docker.io", "registry.k8s.io"]
    assert data["mirrors"]["docker.io"]["endpoint"] == [
        "https://registry.cn-hangzhou.aliyuncs.com", "https://docker.m.daocloud.io"]


def test_registries_yaml_round_trips():
    assert yaml.safe_load(registries_yaml(MIRRORS)) == render_registries(MIRRORS)


def test_no_mirrors_means_no_file():
    assert render_registries(()) is None
    assert registries_yaml(()) is None
    assert registries_sha256(()) == "none"


def test_registries_sha256_tracks_content():
    expected = hashlib.sha256(registries_yaml(MIRRORS).encode()).hexdigest()

    assert registries_sha256(MIRRORS) == expected
    assert registries_sha256(MIRRORS[:1]) != expected
