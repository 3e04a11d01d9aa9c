"""Run prepare-host.sh for real in a private mount and UTS namespace.

hostnamectl, sysctl, cloud-init and the package managers are stubs that log
their calls. The stub apt-get "installs" wireguard-tools by creating a ``wg``
stub, so a second run finds wg, as on a real host.
"""

from __future__ import annotations

import pytest

from components.hostprep.render import registries_yaml, render_prepare_command
from components.config.model import RegistryMirror
from k3s_testdata import dev_nodes
from script_sandbox import ScriptSandbox, sandbox_supported

pytestmark = pytest.mark.skipif(sandbox_supported() is not None, reason=str(sandbox_supported()))

MIRRORS = (RegistryMirror("docker.io", ("https://registry.cn-hangzhou.aliyuncs.com",)),)
MARKER = "# Managed by k3s-multicloud; local edits are overwritten."

# sysctl stub: -n prints the value stored in a file; -p "applies" the file.
SYSCTL = r"""
state="$(dirname "$CALLS")/ip_forward"
case "$1" in
    -n) cat "$state" 2>/dev/null || echo 0 ;;
    -p) grep -q 'net.ipv4.ip_forward = 1' "$2" && echo 1 >"$state" ;;
esac
"""
INSTALL_WG = r"""
case "$*" in
    *install*) printf '#!/bin/sh\nexit 0\n' >"$(dirname "$CALLS")/stubs/wg"; chmod +x "$(dirname "$CALLS")/stubs/wg" ;;
esac
"""


@pytest.fixture
def sandbox(tmp_path):
    box = ScriptSandbox(tmp_path / "sandbox")
    box.stub("sysctl", SYSCTL)
    box.stub("hostnamectl")
    box.stub("apt-get", INSTALL_WG)
    box.stub("cloud-init")
    return box


def _command(registries=False, node_index=0, private_ip="192.168.1.226"):
    return render_prepare_command(dev_nodes()[node_index], private_ip,
                                  registries_configured=registries, sudo=False)


def _registries_stdin():
    return registries_yaml(MIRRORS).encode()


def test_first_run_prepares_host(sandbox):
    result = sandbox.run(_command(registries=True), stdin=_registries_stdin())

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == [
        "cloud-init status --wait",
        "sysctl -n net.ipv4.ip_forward",
        "sysctl -p /etc/sysctl.d/90-k3s-multicloud.conf",
        "apt-get -o DPkg::Lock::Timeout=300 update -q",
        "apt-get -o DPkg::Lock::Timeout=300 install -y -q wireguard-tools",
    ]
    assert sandbox.shell("hostname; cat /etc/hostname") == "ty1\nty1\n"
    assert sandbox.shell("tail -n 1 /etc/hosts") == "192.168.1.226 ty1 # k3s-multicloud\n"
    assert sandbox.shell("cat /etc/sysctl.d/90-k3s-multicloud.conf") == f"{MARKER}\nnet.ipv4.ip_forward = 1\n"
    assert sandbox.shell("cat /etc/rancher/k3s/registries.yaml") == f"{MARKER}\n{registries_yaml(MIRRORS)}"
    assert sandbox.shell("stat -c %a /etc/rancher/k3s/registries.yaml") == "600\n"


def test_second_run_changes_nothing(sandbox):
    sandbox.run(_command(registries=True), stdin=_registries_stdin())
    snapshot = sandbox.shell("cat /etc/hostname /etc/hosts /etc/sysctl.d/90-k3s-multicloud.conf "
                             "/etc/rancher/k3s/registries.yaml; ls -a /etc/rancher/k3s /etc/sysctl.d")
    sandbox.clear_calls()

    result = sandbox.run(_command(registries=True), stdin=_registries_stdin())

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == ["cloud-init status --wait", "sysctl -n net.ipv4.ip_forward"]
    assert sandbox.shell("cat /etc/hostname /etc/hosts /etc/sysctl.d/90-k3s-multicloud.conf "
                         "/etc/rancher/k3s/registries.yaml; ls -a /etc/rancher/k3s /etc/sysctl.d") == snapshot
    assert b"Hostname is already ty1" in result.stdout
    assert b"Set hostname" not in result.stdout
    assert b"Write registry mirrors" not in result.stdout


def test_hosts_entry_replaced_when_ip_changes(sandbox):
    sandbox.run(_command(private_ip="192.168.1.226"))

    sandbox.run(_command(private_ip="192.168.1.227"))

    hosts = sandbox.shell("cat /etc/hosts")
    assert "192.168.1.227 ty1 # k3s-multicloud" in hosts
    assert "192.168.1.226" not in hosts
    assert "127.0.0.1 localhost" in hosts


def test_systemd_host_uses_hostnamectl(sandbox):
    result = sandbox.run(_command(), systemd=True)

    assert result.returncode == 0, result.stderr.decode()
    assert "hostnamectl set-hostname ty1" in sandbox.calls()


def test_cloud_init_keeps_hostname(sandbox):
    sandbox.shell("mkdir -p /etc/cloud/cloud.cfg.d")

    sandbox.run(_command())

    assert sandbox.shell("cat /etc/cloud/cloud.cfg.d/90-k3s-multicloud.cfg") == f"{MARKER}\npreserve_hostname: true\n"


def test_mirrors_removed_when_unconfigured(sandbox):
    sandbox.run(_command(registries=True), stdin=_registries_stdin())

    result = sandbox.run(_command(registries=False))

    assert result.returncode == 0, result.stderr.decode()
    assert "registries.yaml" not in sandbox.shell("ls /etc/rancher/k3s")


def test_hand_written_registries_kept(sandbox):
    sandbox.shell("mkdir -p /etc/rancher/k3s && echo 'mirrors: {}' >/etc/rancher/k3s/registries.yaml")

    sandbox.run(_command(registries=False))

    assert sandbox.shell("cat /etc/rancher/k3s/registries.yaml") == "mirrors: {}\n"


def test_mirror_change_rewrites_file(sandbox):
    sandbox.run(_command(registries=True), stdin=_registries_stdin())
    other = registries_yaml((RegistryMirror("docker.io", ("https://docker.m.daocloud.io",)),))

    result = sandbox.run(_command(registries=True), stdin=other.encode())

    assert b"Write registry mirrors" in result.stdout
    assert sandbox.shell("cat /etc/rancher/k3s/registries.yaml") == f"{MARKER}\n{other}"


def test_dnf_used_without_apt(sandbox):
    sandbox.remove_stub("apt-get")
    sandbox.stub("dnf")

    result = sandbox.run(_command())

    assert result.returncode == 0, result.stderr.decode()
    assert "dnf install -y wireguard-tools" in sandbox.calls()


def test_yum_used_without_apt_or_dnf(sandbox):
    sandbox.remove_stub("apt-get")
    sandbox.stub("yum")

    result = sandbox.run(_command())

    assert result.returncode == 0, result.stderr.decode()
    assert "yum install -y wireguard-tools" in sandbox.calls()


def test_no_package_manager_is_an_error(sandbox):
    sandbox.remove_stub("apt-get")

    result = sandbox.run(_command())

    assert result.returncode == 1
    assert b"install wireguard-tools by hand" in result.stdout + result.stderr


def test_wg_present_skips_install(sandbox):
    sandbox.stub("wg")

    sandbox.run(_command())

    assert not any(call.startswith("apt-get") for call in sandbox.calls())


def test_no_cloud_init_skips_wait(sandbox):
    sandbox.remove_stub("cloud-init")

    result = sandbox.run(_command())

    assert result.returncode == 0, result.stderr.decode()
    assert not any(call.startswith("cloud-init") for call in sandbox.calls())


def test_cloud_init_recoverable_errors_continue(sandbox):
    sandbox.stub("cloud-init", "exit 2")

    result = sandbox.run(_command())

    assert result.returncode == 0, result.stderr.decode()
    assert b"recoverable errors" in result.stdout


def test_cloud_init_failure_stops(sandbox):
    sandbox.stub("cloud-init", "exit 1")

    result = sandbox.run(_command())

    assert result.returncode == 1
    assert b"cloud-init status --wait failed with exit code 1" in result.stdout
    assert sandbox.calls() == ["cloud-init status --wait"]
