"""Run wait-for-node.sh and drain-node.sh for real against a stub ``k3s`` command.

The stub logs every call and prints what ``k3s kubectl`` prints for a node
that exists, a node that is missing, and an API server that is down.
"""

from __future__ import annotations

import pytest

from components.k3s.commands import render_drain_command, render_wait_command
from script_sandbox import ScriptSandbox, sandbox_supported

pytestmark = pytest.mark.skipif(sandbox_supported() is not None, reason=str(sandbox_supported()))

# Fails the first N "get node" calls (N from the file "failures"), then succeeds.
FLAKY_GET = r"""
count_file="$(dirname "$CALLS")/get-count"
count=$(cat "$count_file" 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" >"$count_file"
failures=$(cat "$(dirname "$CALLS")/failures")
if [ "$count" -le "$failures" ]; then
    echo 'Error from server (NotFound): nodes "bd2" not found' >&2
    exit 1
fi
echo node/bd2
"""


@pytest.fixture
def sandbox(tmp_path):
    return ScriptSandbox(tmp_path / "sandbox")


def test_wait_succeeds_once_node_exists(sandbox):
    (sandbox.root / "failures").write_text("2")
    sandbox.stub("k3s", FLAKY_GET)

    result = sandbox.run(render_wait_command("bd2", sudo=False), env={"WAIT_POLL_SECONDS": "0"})

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == ["k3s kubectl get node bd2 --output=name"] * 3
    assert b"Node bd2 is registered" in result.stdout


def test_wait_times_out_with_clear_error(sandbox):
    (sandbox.root / "failures").write_text("1000")
    sandbox.stub("k3s", FLAKY_GET)
    command = render_wait_command("bd2", sudo=False).replace("WAIT_TIMEOUT_SECONDS=900", "WAIT_TIMEOUT_SECONDS=1")

    result = sandbox.run(command, env={"WAIT_POLL_SECONDS": "0"})

    assert result.returncode == 1
    assert b"node bd2 did not register within 1s" in result.stderr
    assert b'nodes "bd2" not found' in result.stderr


def test_drain_cordons_drains_then_deletes(sandbox):
    sandbox.stub("k3s", 'case "$*" in "kubectl get node"*) echo node/bd2 ;; esac')

    result = sandbox.run(render_drain_command("bd2", sudo=False))

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == [
        "k3s kubectl get node bd2 --ignore-not-found --output=name",
        "k3s kubectl cordon bd2",
        "k3s kubectl drain bd2 --ignore-daemonsets --delete-emptydir-data --timeout=300s",
        "k3s kubectl delete node bd2 --ignore-not-found",
    ]


def test_drain_of_missing_node_succeeds(sandbox):
    sandbox.stub("k3s")

    result = sandbox.run(render_drain_command("bd2", sudo=False))

    assert result.returncode == 0, result.stderr.decode()
    assert sandbox.calls() == ["k3s kubectl get node bd2 --ignore-not-found --output=name"]
    assert b"nothing to drain" in result.stdout


def test_drain_fails_when_api_unreachable(sandbox):
    sandbox.stub("k3s", "echo 'The connection to the server 127.0.0.1:6443 was refused' >&2; exit 1")

    result = sandbox.run(render_drain_command("bd2", sudo=False))

    assert result.returncode != 0
    assert len(sandbox.calls()) == 1


def test_drain_timeout_keeps_node(sandbox):
    sandbox.stub("k3s", 'case "$*" in "kubectl get node"*) echo node/bd2 ;; "kubectl drain"*) exit 1 ;; esac')

    result = sandbox.run(render_drain_command("bd2", sudo=False))

    assert result.returncode == 1
    assert b"drain of node bd2 did not finish within 300s" in result.stderr
    assert not any(call.startswith("k3s kubectl delete") for call in sandbox.calls())
