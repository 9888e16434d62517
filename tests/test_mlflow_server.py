"""The monitor against a separate `mlflow server` process over HTTP (as on Databricks), not a local file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

SPEC = """
[[models]]
name = "remote_loans"
registered_model = "remote-loans"
task = "classification"
numeric_features = ["income", "age", "debt_ratio", "credit_history_years", "loan_amount"]
categorical_features = ["employment_type", "region"]
prediction = "prediction"
score = "score"
target = "defaulted"
[models.drift]
share = 0.25
[models.explain]
sample_size = 50
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _port()
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
           "--backend-store-uri", f"sqlite:///{root / 'server.db'}", "--serve-artifacts",
           "--artifacts-destination", str(root / "artifacts")]
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed in the finaliser
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MLFLOW_TRACKING_URI": ""})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, root
    proc.terminate()
    proc.wait(15)
    log.close()


def test_log_monitor_and_validate_over_http(mlflow_server, tmp_path):
    import mlflow

    from monitor.batches import log_batch, log_labels, log_reference
    from monitor.bootstrap import build_service
    from monitor.config import Settings
    from monitor.demo import _pipeline, loan_frame
    from monitor.validate import validate

    url, _ = mlflow_server
    (tmp_path / "monitor.toml").write_text(SPEC)
    settings = Settings.load(env={"MONITOR_TRACKING_URI": url, "MONITOR_WORKSPACE": str(tmp_path / "ws"),
                                  "MONITOR_SPEC": str(tmp_path / "monitor.toml")})
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)  # the registry is process-wide too: register on the server, not the demo store
    try:
        rng = np.random.default_rng(1)
        train, y = loan_frame(1500, rng)
        model = _pipeline(list(train.columns[:5]), list(train.columns[5:]), "classification").fit(train, y)
        with mlflow.start_run():
            log_reference(train.assign(defaulted=y))
            mlflow.sklearn.log_model(model, name="model", registered_model_name="remote-loans",
                                     serialization_format="cloudpickle")
        ids, truths = [], []
        for week, drifted in ((1, False), (2, True)):
            frame, truth = loan_frame(600, rng, drifted=drifted)
            score = model.predict_proba(frame)[:, 1]
            ids.append(log_batch("remote_loans", frame, pd.DataFrame({"prediction": (score > 0.5).astype(int), "score": score}),
                                 model_version="1", batch_time=pd.Timestamp(f"2026-06-0{week}", tz="UTC").to_pydatetime(),
                                 tracking_uri=url))
            truths.append(truth)
        log_labels("remote_loans", ids[0], truths[0], tracking_uri=url)
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])

    service = build_service(settings)
    assert service.mlflow.tracking_uri == url
    assert [p for p in validate(service) if p.severity == "error"] == []
    result = service.run_job()
    assert result.ok and result.written == 2, [str(f) for f in result.failed]
    first, second = service.snapshots("remote_loans")
    assert first.performance.n_labelled == 600 and second.performance is None
    assert not first.drift.drifted and second.drift.drifted
    assert first.explain.importance and service.run_job().written == 0
    run = service.mlflow.run(first.run_id)
    assert service.mlflow.run_url(run).startswith(f"{url}/#/experiments/")


def test_unreachable_tracking_server_names_the_backend(tmp_path, monkeypatch):
    from monitor.bootstrap import build_service
    from monitor.config import Settings

    (tmp_path / "monitor.toml").write_text(SPEC)
    settings = Settings.load(env={"MONITOR_TRACKING_URI": f"http://127.0.0.1:{_port()}", "MONITOR_WORKSPACE": str(tmp_path),
                                  "MONITOR_SPEC": str(tmp_path / "monitor.toml")})
    env = {**os.environ, "MONITOR_TRACKING_URI": settings.tracking_uri, "MONITOR_WORKSPACE": str(tmp_path),
           "MONITOR_SPEC": str(tmp_path / "monitor.toml"), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
           "MLFLOW_HTTP_REQUEST_TIMEOUT": "3"}
    out = subprocess.run([sys.executable, "-m", "monitor", "run"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2  # stopped before any model: MLflow was checked first
    assert out.stderr.startswith("error: MLflow is unreachable or failed: searching experiments: ") and \
        f"127.0.0.1:{settings.tracking_uri.rsplit(':', 1)[1]}" in out.stderr
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    status = build_service(settings).backend_status()
    assert any(k.startswith("MLflow") and v for k, v in status.items())
