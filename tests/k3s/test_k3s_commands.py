"""Golden and behaviour tests for the command text of the remote K3s steps.

Set K3SMC_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change,
then review the diff.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from components.k3s.commands import (
    install_environment,
    render_drain_command,
    render_install_command,
    render_uninstall_command,
    render_wait_command,
)
from components.scripts import read_script, render_environment, render_script_command
from k3s_testdata import TEST_TOKEN, assert_golden, china_k3s_settings, dev_cluster

GOLDEN_DIR = Path(__file__).with_name("golden")
AGENT_URL = "https://203.0.113.10:6443"


def _node(cluster, name):
    return next(n for n in cluster.nodes if n.name == name)


def _install(cluster, name, *, sudo=False):
    target = _node(cluster, name)
    url = AGENT_URL if target.role == "agent" else None
    return render_install_command(cluster, target, agent_server_url=url,
                                  registries_sha256="none", sudo=sudo)


def test_install_server_matches_golden():
    assert_golden(GOLDEN_DIR / "install-ty1.sh", _install(dev_cluster(), "ty1"))


def test_install_agent_matches_golden():
    assert_golden(GOLDEN_DIR / "install-ali1.sh", _install(dev_cluster(), "ali1"))


def test_install_china_agent_matches_golden():
    cluster = replace(dev_cluster(), k3s=china_k3s_settings())

    assert_golden(GOLDEN_DIR / "install-china-hw1.sh", _install(cluster, "hw1", sudo=True))


def test_uninstall_matches_golden():
    assert_golden(GOLDEN_DIR / "uninstall.sh", render_uninstall_command(sudo=False))


def test_wait_matches_golden():
    assert_golden(GOLDEN_DIR / "wait-bd2.sh", render_wait_command("bd2", sudo=False))


def test_drain_matches_golden():
    assert_golden(GOLDEN_DIR / "drain-bd2.sh", render_drain_command("bd2", sudo=False))


def test_server_environment_has_no_k3s_url():
    cluster = dev_cluster()
    environment = install_environment(cluster, _node(cluster, "ty1"), agent_server_url=None,
                                      registries_sha256="none")

    assert environment["INSTALL_K3S_EXEC"] == "server"
    assert environment["INSTALL_K3S_VERSION"] == "v1.35.6+k3s1"
    assert "K3S_URL" not in environment
    assert "INSTALL_K3S_MIRROR" not in environment
    assert "INSTALL_SCRIPT_SHA256" not in environment


def test_agent_environment_has_k3s_url():
    cluster = dev_cluster()
    environment = install_environment(cluster, _node(cluster, "bd1"), agent_server_url=AGENT_URL,
                                      registries_sha256="none")

    assert environment["INSTALL_K3S_EXEC"] == "agent"
    assert environment["K3S_URL"] == AGENT_URL


def test_china_preset_environment():
    cluster = replace(dev_cluster(), k3s=china_k3s_settings())
    environment = install_environment(cluster, _node(cluster, "ty1"), agent_server_url=None,
                                      registries_sha256="abc")

    assert environment["INSTALL_K3S_MIRROR"] == "cn"
    assert environment["INSTALL_SCRIPT_URL"] == "https://rancher-mirror.rancher.cn/k3s/k3s-install.sh"
    assert environment["INSTALL_SCRIPT_SHA256"] == "0" * 63 + "1"
    assert environment["REGISTRIES_SHA256"] == "abc"


def test_own_settings_avoid_k3s_prefix():
    # The installer copies every K3S_* variable into the service environment file.
    cluster = dev_cluster()
    environment = install_environment(cluster, _node(cluster, "bd1"), agent_server_url=AGENT_URL,
                                      registries_sha256="none")

    assert [name for name in environment if name.startswith("K3S_")] == ["K3S_URL"]


@pytest.mark.parametrize("name,url", [("ty1", AGENT_URL), ("hw1", None)])
def test_k3s_url_only_for_agents(name, url):
    cluster = dev_cluster()
    with pytest.raises(ValueError, match="K3S_URL"):
        install_environment(cluster, _node(cluster, name), agent_server_url=url, registries_sha256="none")


def test_install_command_contains_no_token():
    cluster = dev_cluster()
    for config_node in cluster.nodes:
        assert TEST_TOKEN not in _install(cluster, config_node.name)
        assert "token" not in _install(cluster, config_node.name).split("bash -c")[0].lower()


def test_sudo_prefix_for_non_root():
    assert render_uninstall_command(sudo=True).startswith("sudo -n env")
    assert render_uninstall_command(sudo=False).startswith("env")


def test_environment_sorted_and_quoted():
    words = render_environment({"B": "two words", "A": "it's"})

    assert words == ["A='it'\"'\"'s'", "B='two words'"]


def test_environment_rejects_bad_name():
    with pytest.raises(ValueError, match="invalid environment variable name"):
        render_environment({"A-B": "x"})


def test_command_embeds_script_verbatim():
    command = render_wait_command("bd2", sudo=False)

    assert read_script("wait-for-node.sh") in command


def test_command_passes_env_and_stdin():
    # Run the rendered text with dash and bash, the usual login shells, and
    # check that variables, arguments and stdin reach the script unchanged.
    script = '#!/usr/bin/env bash\nset -euo pipefail\nprintf "%s|%s|%s|" "$0" "$GREETING" "$DOLLAR"\ncat\n'
    command = render_script_command("echo.sh", script, {"GREETING": "it's a test", "DOLLAR": "$HOME `x`"},
                                    sudo=False)

    for shell in ("dash", "bash"):
        result = subprocess.run([shell, "-c", command], input=b"from stdin", capture_output=True, check=True)
        assert result.stdout.decode() == "echo.sh|it's a test|$HOME `x`|from stdin"


def test_command_rejects_delimiter_in_script():
    with pytest.raises(ValueError, match="K3SMC_SCRIPT_EOF"):
        render_script_command("bad.sh", "#!/usr/bin/env bash\nK3SMC_SCRIPT_EOF\n", {}, sudo=False)


def test_read_script_rejects_path_outside():
    with pytest.raises(FileNotFoundError):
        read_script("../__init__.py")
