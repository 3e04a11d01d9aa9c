"""Tests of the kubeconfig edit and the command that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.kubeconfig import KubeconfigError, read_command, rewrite_kubeconfig

GOLDEN = Path(__file__).parent / "golden"
SERVER_URL = "https://203.0.113.10:6443"
NAME = "k3s-multicloud-dev"


def k3s_yaml() -> str:
    return (GOLDEN / "kubeconfig-k3s.yaml").read_text()


def test_rewrite_matches_golden():
    assert rewrite_kubeconfig(k3s_yaml(), SERVER_URL, NAME) == (GOLDEN / "kubeconfig-dev.yaml").read_text()


def test_rewrite_sets_server_and_names():
    document = yaml.safe_load(rewrite_kubeconfig(k3s_yaml(), SERVER_URL, NAME))

    assert document["clusters"][0]["cluster"]["server"] == SERVER_URL
    assert document["clusters"][0]["name"] == NAME
    assert document["users"][0]["name"] == NAME
    assert document["contexts"][0]["name"] == NAME
    assert document["contexts"][0]["context"] == {"cluster": NAME, "user": NAME}
    assert document["current-context"] == NAME


def test_rewrite_keeps_credentials():
    before = yaml.safe_load(k3s_yaml())
    after = yaml.safe_load(rewrite_kubeconfig(k3s_yaml(), SERVER_URL, NAME))

    assert after["users"][0]["user"] == before["users"][0]["user"]
    ca_key = "certificate-authority-data"
    assert after["clusters"][0]["cluster"][ca_key] == before["clusters"][0]["cluster"][ca_key]


def test_rewrite_edits_data_not_text():
    # A blanket replace of "default" or "127.0.0.1" would also change these
    # fields; a structured edit leaves them alone.
    document = yaml.safe_load(k3s_yaml())
    document["contexts"][0]["context"]["namespace"] = "default"
    document["preferences"] = {"note": "proxy at https://127.0.0.1:6443 is default"}
    text = yaml.safe_dump(document, sort_keys=False)

    after = yaml.safe_load(rewrite_kubeconfig(text, SERVER_URL, NAME))

    assert after["contexts"][0]["context"]["namespace"] == "default"
    assert after["preferences"] == {"note": "proxy at https://127.0.0.1:6443 is default"}


def test_rewrite_rejects_invalid_yaml_without_echo():
    secret_line = "client-key-data: c2VjcmV0LWtleQ=="
    with pytest.raises(KubeconfigError) as raised:
        rewrite_kubeconfig(f"kind: Config\n{secret_line}\n  - : [", SERVER_URL, NAME)

    assert "not valid YAML" in str(raised.value)
    assert "c2VjcmV0LWtleQ" not in str(raised.value)


@pytest.mark.parametrize("text, message", [
    ("", "not a kubeconfig"),
    ("kind: Pod\n", "not a kubeconfig"),
    ("kind: Config\nclusters: []\ncontexts: []\nusers: []\n", "exactly one entry in clusters, found 0"),
])
def test_rewrite_rejects_other_documents(text, message):
    with pytest.raises(KubeconfigError, match=message):
        rewrite_kubeconfig(text, SERVER_URL, NAME)


def test_rewrite_rejects_two_clusters():
    document = yaml.safe_load(k3s_yaml())
    document["clusters"].append({"name": "other", "cluster": {"server": "https://198.51.100.1:6443"}})

    with pytest.raises(KubeconfigError, match="exactly one entry in clusters, found 2"):
        rewrite_kubeconfig(yaml.safe_dump(document), SERVER_URL, NAME)


def test_read_command_uses_sudo_for_other_users():
    assert read_command(sudo=False) == "cat /etc/rancher/k3s/k3s.yaml"
    assert read_command(sudo=True) == "sudo -n cat /etc/rancher/k3s/k3s.yaml"
