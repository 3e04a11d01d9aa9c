"""Locate the tools that scripts/build-tools.sh builds, or skip the calling test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_TOOLS = REPO_ROOT / "scripts" / "build-tools.sh"


def built_tools_dir(*names: str) -> Path:
    """Return the cache's bin directory, skipping the test when any of ``names`` is not built."""
    if not BUILD_TOOLS.is_file():
        pytest.skip("scripts/build-tools.sh is missing, so there is no Pulumi CLI to run")
    output = subprocess.run(["bash", str(BUILD_TOOLS), "--bin-dir"], capture_output=True,
                            text=True, check=True).stdout
    directory = Path(output.strip())

    missing = [name for name in names if not os.access(directory / name, os.X_OK)]
    if missing:
        targets = " ".join(name.removeprefix("pulumi-resource-") for name in missing)
        pytest.skip(f"{', '.join(missing)} not built in {directory}; run scripts/build-tools.sh {targets}")
    return directory
