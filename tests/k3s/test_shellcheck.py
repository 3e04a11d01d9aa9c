"""Every host script passes shellcheck and follows the script conventions."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from components.scripts import SCRIPT_DIR

SCRIPTS = sorted(SCRIPT_DIR.glob("*.sh"))


def test_scripts_found():
    names = {path.name for path in SCRIPTS}

    assert {"prepare-host.sh", "install-k3s.sh", "wait-for-node.sh", "drain-node.sh",
            "uninstall-k3s.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_shellcheck_clean(script):
    assert shutil.which("shellcheck"), "shellcheck is missing; install the Debian package shellcheck"
    result = subprocess.run(["shellcheck", "--shell=bash", "--severity=style", str(script)],
                            capture_output=True, text=True)

    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_header(script):
    lines = script.read_text().splitlines()

    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
