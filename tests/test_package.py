"""`pip install .` gives jobs the monitor package with the light dependencies only.

A fresh virtual environment gets the package as a scoring job would, without the app or the
engine (no Streamlit, SHAP, Evidently, SciPy or scikit-learn), and logs a batch, its labels and a
pipeline run to an MLflow server over HTTP; the main process reads them back.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

from tests.test_mlflow_server import mlflow_server  # noqa: F401 - a real `mlflow server` on loopback

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["streamlit", "shap", "evidently", "scipy", "sklearn", "plotly", "azure.cosmos", "sqlalchemy"]

JOB = textwrap.dedent("""
    import datetime as dt, importlib.util, json, sys
    import pandas as pd
    import monitor

    features = pd.DataFrame({"x": [1.0, 2.0, 3.5], "colour": ["red", "blue", "red"]})
    batch_id = monitor.log_batch("light_job", features, pd.Series([0, 1, 0], name="prediction"), model_version="1",
                                 batch_time=dt.datetime(2026, 5, 4, tzinfo=dt.timezone.utc), spec=False)
    monitor.log_labels("light_job", batch_id, [0, 1, 1])
    try:
        monitor.log_batch("light/job", features, [0, 1, 0], model_version="1", spec=False)
        refused = None
    except monitor.BatchError as exc:
        refused = str(exc)
    heavy = [m for m in sys.argv[1:] if importlib.util.find_spec(m.split(".")[0]) is not None]
    print(json.dumps({"batch_id": batch_id, "refused": refused, "heavy": heavy}))
""")


@pytest.fixture(scope="module")
def light_env(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("light-venv")
    venv.create(root, with_pip=True)
    python = root / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT), "-c", str(ROOT / "constraints.txt")],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def test_pip_install_builds_and_installs_only_the_light_dependencies(light_env):
    listed = subprocess.run([str(light_env), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True,
                            check=True)
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"mlops-monitor", "pandas", "pyarrow", "mlflow-skinny"} <= names
    assert not names & {"streamlit", "shap", "evidently", "scipy", "scikit-learn", "plotly", "mlflow", "azure-cosmos"}


def test_a_job_logs_a_batch_over_http_with_the_light_install(light_env, mlflow_server, tmp_path):  # noqa: F811
    url, _ = mlflow_server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITOR_", "MLFLOW_"))}
    env.update(MONITOR_TRACKING_URI=url, MONITOR_WORKSPACE=str(tmp_path / "unused"))
    job = tmp_path / "job.py"
    job.write_text(JOB)
    done = subprocess.run([str(light_env), str(job), *HEAVY], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [], result["heavy"]
    assert "valid identifier" in result["refused"]
    assert not (tmp_path / "unused").exists() and not (tmp_path / "mlruns").exists()

    import mlflow

    from monitor.sources.mlflow import MlflowSource

    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    try:
        source = MlflowSource(url)
        info = source.batch("light_job", result["batch_id"])
        assert source.load_batch(info)["colour"].tolist() == ["red", "blue", "red"]
        assert source.load_labels(info).tolist() == [0, 1, 1]
        assert [b.batch_id for b in source.list_batches("light_job")] == [result["batch_id"]]
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])
