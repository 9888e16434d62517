"""Shared fixtures: one demo workspace (MLflow on SQLite + SQLite store) per test session."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ARTIFACTS = ROOT / "test-artifacts"


def pytest_configure(config):
    # Every test in the session that builds a service from the environment sees this workspace.
    base = Path(os.environ.get("TEST_DEMO_WORKSPACE") or tempfile.mkdtemp(prefix="monitor-demo-"))
    os.environ["MONITOR_WORKSPACE"] = str(base)
    os.environ["MONITOR_SPEC"] = str(ROOT / "monitor.toml")
    for key in [k for k in os.environ if k.startswith("MONITOR_") and k not in ("MONITOR_WORKSPACE", "MONITOR_SPEC", "TEST_DEMO_WORKSPACE")]:
        del os.environ[key]


@pytest.fixture(scope="session")
def settings():
    from monitor.config import Settings

    return Settings.load()


@pytest.fixture(scope="session")
def demo(settings):
    """The demo workspace, built once and monitored once; returns the service."""
    from monitor.bootstrap import build_service
    from monitor.demo import build_demo

    build_demo(settings, progress=lambda m: None)
    service = build_service(settings)
    result = service.run_job()
    assert result.ok, [str(f) for f in result.failed]
    return service


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


from tests.servers import browser, live_app  # noqa: E402,F401 - session fixtures shared by tests/app and tests/browser
