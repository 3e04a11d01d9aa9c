"""Start a harness inside its own controller network namespace and clean up after it.

The harness process, the Pulumi CLI and the provider plugins all run in the
controller namespace, which contains the bridges of the test hosts. The
machine's own network namespace gets no address or route, and whatever the
run leaves behind is removed here even when the harness crashes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.environment import REPO_ROOT

INSIDE_VARIABLE = "K3SMC_E2E_NAMESPACE_PREFIX"
WORK_ROOT = REPO_ROOT / "tests" / "e2e" / ".work"


def inside_controller() -> str | None:
    """Return the namespace prefix when this process runs in a controller namespace."""
    return os.environ.get(INSIDE_VARIABLE)


def run_in_controller(module: str, argv: list[str]) -> int:
    """Run ``python -m module argv`` in a new controller namespace; return its exit code."""
    return _run(module, argv, None)


def run_in_controller_capture(module: str, argv: list[str], lines: list[str]) -> int:
    """Like run_in_controller, and also append every output line to ``lines``."""
    return _run(module, argv, lines)


def _run(module: str, argv: list[str], lines: list[str] | None) -> int:
    run_id = secrets.token_hex(2)
    prefix = f"k3smc-e2e-{run_id}"
    controller = f"{prefix}-ctl"
    subprocess.run(["ip", "netns", "add", controller], check=True)
    env = {**os.environ, INSIDE_VARIABLE: prefix, "PYTHONPATH": str(REPO_ROOT)}
    process = None
    # A timeout's SIGTERM must still reach the cleanup in `finally`.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        process = subprocess.Popen(
            # nsenter rather than `ip netns exec`, which would also give the
            # harness a mount namespace of its own. The namespaces the harness
            # creates would then be mounted only there, and the cleanup below
            # could not find their processes.
            ["nsenter", f"--net=/run/netns/{controller}", sys.executable, "-m", module, *argv],
            env=env, cwd=REPO_ROOT, text=True,
            stdout=subprocess.PIPE if lines is not None else None, stderr=subprocess.STDOUT if lines is not None else None)
        if lines is not None:
            assert process.stdout is not None
            for line in process.stdout:
                print(line, end="", flush=True)
                lines.append(line.rstrip("\n"))
        return process.wait()
    except KeyboardInterrupt:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait()
        return 130
    finally:
        remove_namespaces(prefix)


def _exit_on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def remove_namespaces(prefix: str) -> None:
    """Kill every process in the run's namespaces and delete them."""
    names = [line.split()[0] for line in
             subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.splitlines()
             if line.startswith(prefix)]
    for name in names:
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", name], check=False)


# Older run directories beyond this many are deleted when a run starts.
KEPT_RUNS = 10


def new_run_dir(label: str) -> Path:
    """Create the run directory tests/e2e/.work/<label>-<prefix>, pruning old runs."""
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    runs = sorted((p for p in WORK_ROOT.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:max(0, len(runs) - KEPT_RUNS + 1)]:
        shutil.rmtree(old, ignore_errors=True)

    prefix = inside_controller() or "local"
    path = WORK_ROOT / f"{label}-{prefix}"
    path.mkdir(exist_ok=False)
    return path
