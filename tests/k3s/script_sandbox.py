"""Run host scripts for real, as root, without touching this machine.

Each run starts in fresh mount and UTS namespaces (``unshare -m -u``). /etc and
/usr/local are overlay mounts whose upper layers live in the test's tmp_path,
so writes persist from one run to the next (like a host between two
``pulumi up``) but never reach the real directories. /run is a fresh tmpfs, and
the hostname is set from /etc/hostname at the start of a run, as at boot.

PATH holds only stub commands (which log their arguments) and symlinks to a
fixed list of real tools, so a tool that this machine has but the scenario
lacks (``wg``, ``apt-get``) stays invisible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REAL_TOOLS = (
    "awk", "basename", "bash", "cat", "chmod", "cmp", "cp", "curl", "cut", "date", "dirname",
    "env", "grep", "head", "hostname", "id", "ln", "ls", "mkdir", "mktemp", "mv", "printf",
    "readlink", "rm", "sed", "sh", "sha256sum", "sleep", "sort", "stat", "tail", "tee", "touch", "tr",
    "true", "false", "uname", "wc",
)

_SETUP = r"""
set -eu
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$SANDBOX/etc-upper,workdir=$SANDBOX/etc-work" /etc
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$SANDBOX/local-upper,workdir=$SANDBOX/local-work" /usr/local
mount -t tmpfs tmpfs /run
if [ "$SANDBOX_SYSTEMD" = true ]; then mkdir -p /run/systemd/system; fi
if [ -s /etc/hostname ]; then hostname "$(cat /etc/hostname)"; fi
exec env -i PATH="$SANDBOX/stubs:$SANDBOX/tools:/usr/local/bin" HOME=/root LANG=C.UTF-8 \
    CALLS="$SANDBOX/calls.log" $SANDBOX_ENV sh -c "$SANDBOX_COMMAND"
"""


def sandbox_supported() -> str | None:
    """Return why the sandbox cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root for unshare and overlay mounts"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    probe = subprocess.run(
        ["unshare", "-m", "-u", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare failed: {probe.stderr.decode(errors='replace').strip()}"
    return None


class ScriptSandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.stubs = root / "stubs"
        self.calls_file = root / "calls.log"
        for directory in ("stubs", "tools", "etc-upper", "etc-work", "local-upper", "local-work"):
            (root / directory).mkdir(parents=True, exist_ok=True)
        for tool in REAL_TOOLS:
            path = shutil.which(tool)
            if path is None:
                raise RuntimeError(f"tool {tool} is missing on this machine")
            link = root / "tools" / tool
            if not link.exists():
                link.symlink_to(path)
        self.calls_file.touch()

    def stub(self, name: str, body: str = "exit 0") -> None:
        """Create a command that appends "NAME ARGS" to the call log, then runs ``body``."""
        path = self.stubs / name
        path.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "{name} $*" >>"$CALLS"\n'
            f"{body}\n")
        path.chmod(0o755)

    def remove_stub(self, name: str) -> None:
        (self.stubs / name).unlink()

    def calls(self) -> list[str]:
        return self.calls_file.read_text().splitlines()

    def clear_calls(self) -> None:
        self.calls_file.write_text("")

    def run(self, command: str, *, stdin: bytes = b"", systemd: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run ``command`` with ``sh -c`` inside the sandbox, as sshd would."""
        extra_env = " ".join(f"{name}={value}" for name, value in (env or {}).items())
        return subprocess.run(
            ["unshare", "-m", "-u", "--propagation", "private", "sh", "-c", _SETUP],
            input=stdin,
            capture_output=True,
            timeout=120,
            env={
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                "SANDBOX": str(self.root),
                "SANDBOX_SYSTEMD": "true" if systemd else "false",
                "SANDBOX_ENV": extra_env,
                "SANDBOX_COMMAND": command,
            },
        )

    def shell(self, command: str) -> str:
        """Run a helper command in the sandbox and return its stdout; fail on error."""
        result = self.run(command)
        if result.returncode != 0:
            raise AssertionError(f"{command!r} failed: {result.stderr.decode()}")
        return result.stdout.decode()
