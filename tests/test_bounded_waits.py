"""A backend that accepts connections but never answers is reported, by name, within the call budget."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from monitor.errors import BackendError
from tests.mlflow_state import kept_mlflow_uris

ROOT = Path(__file__).resolve().parents[1]


class SilentServer:
    """A TCP server on loopback that accepts every connection and never sends a byte."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent():
    with SilentServer() as server:
        yield server


def _in_thread(fn, limit: float = 180):
    """Run ``fn`` in a thread; return what it raised (the test fails if it is still waiting after ``limit`` s)."""
    box = {}

    def run():
        try:
            fn()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still waiting after {limit} s"
    return box.get("error")


@pytest.mark.slow
def test_validate_and_run_name_a_silent_mlflow(demo, silent):
    env = {**os.environ, "MONITOR_TRACKING_URI": f"http://127.0.0.1:{silent.port}"}
    procs = {cmd: subprocess.Popen([sys.executable, "-m", "monitor", cmd], cwd=ROOT, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cmd in ("validate", "run")}
    out = {}
    for cmd, proc in procs.items():
        try:
            out[cmd] = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"`monitor {cmd}` still waiting after 180 s")
    validate_out, _ = out["validate"]
    assert procs["validate"].returncode == 1
    assert "cannot check models against MLflow: MLflow is unreachable or failed" in validate_out
    assert f"http://127.0.0.1:{silent.port} gave no answer within 20 s" in validate_out
    _, run_err = out["run"]
    assert procs["run"].returncode == 2
    assert f"error: MLflow is unreachable or failed: searching experiments: http://127.0.0.1:{silent.port} gave no answer " \
           f"within 20 s" in run_err


def test_a_silent_mlflow_fails_once_then_at_once(silent):
    from monitor.sources.mlflow import MlflowSource

    source = MlflowSource(f"http://127.0.0.1:{silent.port}", budget=2)
    with kept_mlflow_uris():
        first = _in_thread(source.ping)
        second = _in_thread(lambda: source.list_batches("loan_default"))
    assert isinstance(first, BackendError) and "gave no answer within 2 s" in str(first)
    assert isinstance(second, BackendError) and "not asked again yet" in str(second)


@pytest.mark.azure
def test_a_silent_cosmos_db_is_named(silent):
    from monitor.store.cosmos import CosmosSnapshotStore
    from tests.peers.cosmos_server import EMULATOR_KEY

    store = CosmosSnapshotStore(f"https://127.0.0.1:{silent.port}/", EMULATOR_KEY, connection_verify=False,
                                enable_endpoint_discovery=False, retry_max_seconds=3)
    error = _in_thread(store.ping)
    assert isinstance(error, BackendError), error
    assert str(error).startswith(f"Cosmos DB is unreachable or failed: https://127.0.0.1:{silent.port}/ mlops-monitor/snapshots")


@pytest.mark.azure
def test_a_silent_data_factory_is_named(silent):
    from monitor.sources.adf import AdfPipelineRunSource
    from tests.peers.arm import StaticTokenCredential

    source = AdfPipelineRunSource("sub", "rg", "factory", credential=StaticTokenCredential(),
                                  base_url=f"https://127.0.0.1:{silent.port}", connection_verify=False, budget=3)
    error = _in_thread(source.query)
    assert isinstance(error, BackendError), error
    assert str(error).startswith("Azure Data Factory is unreachable or failed: factory")
    assert "no answer within 3 s" in str(error) or "timed out" in str(error).lower()
