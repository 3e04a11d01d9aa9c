"""Fixtures for the program-level tests; the helpers live in program_mocks.py.

Nothing here is autouse, so the test directories of other modules keep their
own mocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from unittest import mock

import pulumi
import pytest

from components.program import Program, build, export
from program_mocks import (
    REPO_ROOT,
    LogRecorder,
    ProgramMocks,
    RecordingMonitor,
    config_map,
    program_logger,
    run_program,
    seed_raw_config,
    set_program_mocks,
    stack_config,
)


@dataclass
class DevRun:
    monitor: RecordingMonitor
    logger: Any
    log: list[str]
    config: dict[str, str]
    secret_keys: list[str]
    program: Program
    exports: dict[str, Any]


def stack_source(source: str) -> tuple[dict[str, str], list[str]]:
    if source == "seed":
        return config_map(seed_raw_config())
    return stack_config(REPO_ROOT / "Pulumi.dev.yaml")


@pytest.fixture(scope="module", params=["dev-file", "seed"])
def dev_run(request):
    """Build the program under recording mocks and capture its exports.

    "dev-file" reads Pulumi.dev.yaml; "seed" is the seed cluster with every
    node an existing host. Both run as stack dev.
    """
    recorder = LogRecorder()
    logger = program_logger(recorder)
    monitor = RecordingMonitor(ProgramMocks())
    config, secret_keys = stack_source(request.param)
    set_program_mocks(monitor, "dev", logger)
    pulumi.runtime.set_all_config(config, secret_keys)

    exports: dict[str, Any] = {}

    def build_and_export():
        program = build()
        with mock.patch.object(pulumi, "export", side_effect=exports.__setitem__):
            export(program)
        return program

    program = run_program(build_and_export)
    yield DevRun(monitor, logger, recorder.messages, config, secret_keys, program, exports)
    pulumi.runtime.set_all_config({}, [])
