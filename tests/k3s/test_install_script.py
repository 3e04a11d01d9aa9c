"""Run install-k3s.sh and uninstall-k3s.sh for real in a private mount namespace.

The "K3s installer" is a stand-in script served from a file:// URL or a
loopback HTTP server started by the test. It records its arguments and
environment, then installs a fake k3s binary and uninstall script the way the
real installer lays them out.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from components.k3s.commands import render_install_command, render_uninstall_command
from components.k3s.config import dump_config, render_node_config
from k3s_testdata import TEST_TOKEN, addresses_of, dev_cluster
from script_sandbox import ScriptSandbox, sandbox_supported

pytestmark = pytest.mark.skipif(sandbox_supported() is not None, reason=str(sandbox_supported()))

AGENT_URL = "https://203.0.113.10:6443"

FAKE_INSTALLER = r"""#!/bin/sh
set -e
log=__LOG__
printf 'argv:%s\n' "$*" >>"$log"
env | sort | sed 's/^/env:/' >>"$log"
printf 'end\n' >>"$log"
case "$INSTALL_K3S_EXEC" in
    server) name=k3s ;;
    *) name=k3s-agent ;;
esac
mkdir -p /usr/local/bin
printf '#!/bin/sh\necho "k3s version %s (0123abcd)"\n' "$INSTALL_K3S_VERSION" >/usr/local/bin/k3s
printf '#!/bin/sh\nrm -rf /etc/rancher/k3s /usr/local/bin/k3s /usr/local/bin/%s-uninstall.sh\necho uninstalled >>%s\n' "$name" "$log" >/usr/local/bin/$name-uninstall.sh
chmod 755 /usr/local/bin/k3s /usr/local/bin/$name-uninstall.sh
"""


@pytest.fixture
def sandbox(tmp_path):
    return ScriptSandbox(tmp_path / "sandbox")


@pytest.fixture
def installer(tmp_path):
    path = tmp_path / "install.sh"
    log = tmp_path / "installer.log"
    path.write_text(FAKE_INSTALLER.replace("__LOG__", str(log)))
    log.touch()
    return path, log


def _installer_runs(log: Path) -> list[dict]:
    """Parse the installer log into one dict per run: argv and environment."""
    runs, current = [], None
    for line in log.read_text().splitlines():
        if line.startswith("argv:"):
            current = {"argv": line[5:], "env": {}}
        elif line.startswith("env:") and current is not None:
            name, _, value = line[4:].partition("=")
            current["env"][name] = value
        elif line == "end" and current is not None:
            runs.append(current)
            current = None
    return runs


def _cluster(url, sha256=None, mirror=None):
    cluster = dev_cluster()
    return replace(cluster, k3s=replace(cluster.k3s, install_script_url=url,
                                        install_script_sha256=sha256, install_mirror=mirror))


def _agent(cluster, name="ali1", token=TEST_TOKEN, **extra):
    node = next(n for n in cluster.nodes if n.name == name)
    config = dump_config(render_node_config(cluster, node, addresses_of(node), token=token,
                                            server_public_ips=["203.0.113.10"], join_url=None))
    command = render_install_command(cluster, node, agent_server_url=AGENT_URL,
                                     registries_sha256="none", sudo=False)
    return command, config.encode()


def _server(cluster):
    node = cluster.first_server
    config = dump_config(render_node_config(cluster, node, addresses_of(node), token=TEST_TOKEN,
                                            server_public_ips=["203.0.113.10"], join_url=None))
    command = render_install_command(cluster, node, agent_server_url=None,
                                     registries_sha256="none", sudo=False)
    return command, config.encode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_installs_agent_with_expected_environment(sandbox, installer):
    path, log = installer
    command, config = _agent(_cluster(path.as_uri(), sha256=_sha256(path), mirror="cn"))

    result = sandbox.run(command, stdin=config)

    assert result.returncode == 0, result.stderr.decode()
    runs = _installer_runs(log)
    assert len(runs) == 1
    env = runs[0]["env"]
    assert env["INSTALL_K3S_EXEC"] == "agent"
    assert env["INSTALL_K3S_VERSION"] == "v1.35.6+k3s1"
    assert env["INSTALL_K3S_MIRROR"] == "cn"
    assert env["K3S_URL"] == AGENT_URL
    assert env["INSTALL_K3S_FORCE_RESTART"] == "true"
    assert runs[0]["argv"] == ""


def test_installer_never_sees_token_or_own_settings(sandbox, installer):
    path, log = installer
    command, config = _agent(_cluster(path.as_uri(), sha256=_sha256(path)))

    result = sandbox.run(command, stdin=config)

    assert result.returncode == 0, result.stderr.decode()
    run = _installer_runs(log)[0]
    assert TEST_TOKEN not in run["argv"]
    assert all(TEST_TOKEN not in value for value in run["env"].values())
    assert "K3S_TOKEN" not in run["env"]
    for own in ("INSTALL_SCRIPT_URL", "INSTALL_SCRIPT_SHA256", "REGISTRIES_SHA256"):
        assert own not in run["env"]
    assert TEST_TOKEN.encode() not in result.stdout + result.stderr


def test_config_written_root_only(sandbox, installer):
    path, _ = installer
    command, config = _agent(_cluster(path.as_uri()))

    sandbox.run(command, stdin=config)

    assert sandbox.shell("stat -c '%a %U' /etc/rancher/k3s/config.yaml") == "600 root\n"
    assert sandbox.shell("cat /etc/rancher/k3s/config.yaml").encode() == config
    assert sandbox.shell("ls -a /etc/rancher/k3s") == ".\n..\nconfig.yaml\nk3s-multicloud-applied.sha256\n"


def test_sha256_mismatch_stops_install(sandbox, installer):
    path, log = installer
    command, config = _agent(_cluster(path.as_uri(), sha256="f" * 64))

    result = sandbox.run(command, stdin=config)

    assert result.returncode != 0
    assert b"sha256 of" in result.stderr
    assert b"expected " + b"f" * 64 in result.stderr
    assert _installer_runs(log) == []


def test_download_failure_is_an_error(sandbox, installer, tmp_path):
    command, config = _agent(_cluster((tmp_path / "missing.sh").as_uri()))

    result = sandbox.run(command, stdin=config)

    assert result.returncode != 0
    assert _installer_runs(installer[1]) == []


def test_second_run_changes_nothing(sandbox, installer):
    path, log = installer
    command, config = _agent(_cluster(path.as_uri()))

    sandbox.run(command, stdin=config)
    result = sandbox.run(command, stdin=config)

    assert result.returncode == 0, result.stderr.decode()
    assert len(_installer_runs(log)) == 1
    assert b"is installed with this configuration" in result.stdout


def test_config_change_reruns_installer_without_systemd(sandbox, installer):
    path, log = installer
    cluster = _cluster(path.as_uri())
    command, config = _agent(cluster)
    _, new_config = _agent(cluster, token="AnotherToken")

    sandbox.run(command, stdin=config)
    result = sandbox.run(command, stdin=new_config)

    assert result.returncode == 0, result.stderr.decode()
    runs = _installer_runs(log)
    assert len(runs) == 2
    assert runs[1]["env"]["INSTALL_K3S_SKIP_DOWNLOAD"] == "true"
    assert runs[1]["env"]["INSTALL_K3S_FORCE_RESTART"] == "true"
    assert sandbox.shell("cat /etc/rancher/k3s/config.yaml").encode() == new_config


def test_config_change_restarts_service_with_systemd(sandbox, installer):
    path, log = installer
    sandbox.stub("systemctl")
    cluster = _cluster(path.as_uri())
    command, config = _agent(cluster)
    _, new_config = _agent(cluster, token="AnotherToken")

    sandbox.run(command, stdin=config, systemd=True)
    sandbox.clear_calls()
    result = sandbox.run(command, stdin=new_config, systemd=True)

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == ["systemctl restart k3s-agent"]
    assert len(_installer_runs(log)) == 1


def test_registries_change_restarts_service(sandbox, installer):
    path, _ = installer
    sandbox.stub("systemctl")
    command, config = _server(_cluster(path.as_uri()))

    sandbox.run(command, stdin=config, systemd=True)
    sandbox.shell("printf 'mirrors: {}\\n' >/etc/rancher/k3s/registries.yaml")
    sandbox.clear_calls()
    result = sandbox.run(command, stdin=config, systemd=True)

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == ["systemctl restart k3s"]


def test_version_change_reinstalls(sandbox, installer):
    path, log = installer
    cluster = _cluster(path.as_uri())
    command, config = _server(cluster)
    upgraded = replace(cluster, k3s=replace(cluster.k3s, version="v1.35.7+k3s1"))
    new_command, _ = _server(upgraded)

    sandbox.run(command, stdin=config)
    result = sandbox.run(new_command, stdin=config)

    assert result.returncode == 0, result.stderr.decode()
    runs = _installer_runs(log)
    assert [run["env"]["INSTALL_K3S_VERSION"] for run in runs] == ["v1.35.6+k3s1", "v1.35.7+k3s1"]
    assert "INSTALL_K3S_SKIP_DOWNLOAD" not in runs[1]["env"]


def test_empty_config_rejected(sandbox, installer):
    path, log = installer
    command, _ = _agent(_cluster(path.as_uri()))

    result = sandbox.run(command, stdin=b"")

    assert result.returncode != 0
    assert b"config.yaml on stdin is empty" in result.stderr
    assert _installer_runs(log) == []


def test_installer_from_loopback_http(sandbox, installer):
    path, log = installer
    handler = _handler_for(path.parent)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{path.name}"
        command, config = _server(_cluster(url, sha256=_sha256(path)))

        result = sandbox.run(command, stdin=config)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    assert result.returncode == 0, result.stderr.decode()
    assert _installer_runs(log)[0]["env"]["INSTALL_K3S_EXEC"] == "server"
    assert "K3S_URL" not in _installer_runs(log)[0]["env"]


def test_uninstall_runs_installer_script(sandbox, installer):
    path, log = installer
    command, config = _agent(_cluster(path.as_uri()))
    sandbox.run(command, stdin=config)

    first = sandbox.run(render_uninstall_command(sudo=False))
    second = sandbox.run(render_uninstall_command(sudo=False))

    assert first.returncode == 0, first.stderr.decode()
    assert b"Run /usr/local/bin/k3s-agent-uninstall.sh" in first.stdout
    assert log.read_text().splitlines()[-1] == "uninstalled"
    assert second.returncode == 0, second.stderr.decode()
    assert b"K3s is not installed; nothing to uninstall" in second.stdout


def test_uninstall_removes_config_of_failed_install(sandbox, installer, tmp_path):
    command, config = _agent(_cluster((tmp_path / "missing.sh").as_uri()))
    sandbox.run(command, stdin=config)
    assert "config.yaml" in sandbox.shell("ls /etc/rancher/k3s")

    result = sandbox.run(render_uninstall_command(sudo=False))

    assert result.returncode == 0, result.stderr.decode()
    assert "config.yaml" not in sandbox.shell("ls /etc/rancher/k3s")


def _handler_for(directory: Path):
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, format, *args):  # noqa: A002 - signature from the base class
            pass

    return QuietHandler
