"""Real app servers on free loopback ports, started the way the Dockerfile starts them, and headless Chromium.

The fixtures are registered once for the whole session by tests/conftest.py."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
START_COMMAND = ["sh", "scripts/start.sh"]
"""How the container starts the app (the Dockerfile's CMD, checked by tests/test_dockerfile.py)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


@contextlib.contextmanager
def running_app(log: Path, *args: str, port: int | None = None):
    """The app started by ``START_COMMAND`` (extra ``args`` go to ``streamlit run``) on ``port`` or a free one; yields its URL."""
    port = port or free_port()
    env = {**os.environ, "PORT": str(port), "PYTHON": sys.executable, "MONITOR_DEMO": "0"}
    with open(log, "w") as out:
        proc = subprocess.Popen([*START_COMMAND, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def live_app(demo, tmp_path_factory):
    """Base URL of the app serving the session's demo workspace (``scripts/start.sh``, as in the Dockerfile)."""
    with running_app(tmp_path_factory.mktemp("app") / "app.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skipped loudly when Chromium is not installed."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} is not installed (apt-get install chromium; `make test` does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                   "--disable-background-networking", "--disable-component-update",
                                                   "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()
