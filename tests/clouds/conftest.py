"""Fixtures for the cloud tests: fresh mocks per test, never set at import."""

from __future__ import annotations

import pulumi
import pytest

from tests.clouds.mocks import CloudMocks, RecordingMonitor


@pytest.fixture
def mocks(monkeypatch):
    """Install recording cloud mocks and an empty stack config for one test."""
    for variable in ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN",
                     "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY",
                     "TENCENTCLOUD_SECURITY_TOKEN", "HW_ACCESS_KEY", "HW_SECRET_KEY",
                     "HW_SECURITY_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    recorder = CloudMocks()
    pulumi.runtime.set_mocks(recorder, project="k3s-multicloud", stack="test", preview=False,
                             monitor=RecordingMonitor(recorder))
    pulumi.runtime.set_all_config({}, [])
    yield recorder
    pulumi.runtime.set_all_config({}, [])
