"""A batch scored and logged on Spark goes through the monitoring job and shows on every page.

It is logged into a copy of the demo's MLflow (so the shared demo keeps its twelve batches), the job
computes its snapshot from the stored summary, and the pages open on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tests.app.apptest import open_page
from tests.spark.helpers import log_spark_batch

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ROWS = 4000


@pytest.fixture(scope="module")
def spark_workspace(demo, tmp_path_factory):
    from monitor.bootstrap import build_service
    from monitor.demo import _predictions, loan_frame

    folder = tmp_path_factory.mktemp("spark-batch")
    with sqlite3.connect(Path(demo.settings.workspace) / "mlflow.db") as src, sqlite3.connect(folder / "mlflow.db") as dst:
        src.backup(dst)
    settings = dataclasses.replace(demo.settings, workspace=folder, sqlite_path=None)
    frame, _ = loan_frame(ROWS, np.random.default_rng(11), drifted=True)
    model = demo.mlflow.load_model("loan-default-classifier", "1")
    scored = frame.join(_predictions(model, frame, "classification"))
    batch_id = log_spark_batch("loan_default", scored, model_version="1", batch_id="spark-batch",
                               batch_time=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1),
                               tracking_uri=settings.mlflow_tracking_uri, artifact_root=settings.artifact_root,
                               spec=settings.spec, sample_size=1000)
    service = build_service(settings)
    result = service.run_job(["loan_default"])
    assert result.ok, [str(f) for f in result.failed]
    return settings, service, batch_id


def test_the_job_computes_the_snapshot_from_the_summary(spark_workspace):
    _, service, batch_id = spark_workspace
    snap = service.snapshot("loan_default", batch_id)
    assert snap.n_rows == ROWS and 0 < snap.sample_rows < ROWS
    assert snap.drift.drifted  # drawn from the demo's drifted weeks
    assert snap.prediction.drift.statistic is not None and snap.explain.importance
    assert snap.performance is None and snap.estimated.get("auc") > 0.5


@pytest.mark.parametrize("page", ["pages/business.py", "pages/performance.py", "pages/drift.py", "pages/explain.py",
                                  "pages/data_engineer.py", "pages/provenance.py", "pages/models.py", "pages/alerts.py"])
def test_every_page_opens_on_the_spark_batch(spark_workspace, page, monkeypatch):
    import streamlit as st

    settings, _, batch_id = spark_workspace
    monkeypatch.setenv("MONITOR_WORKSPACE", str(settings.workspace))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        with_picker = page not in ("pages/provenance.py", "pages/models.py", "pages/alerts.py")
        at = open_page(page, "loan_default" if with_picker else None, errors_allowed=False)
        if page == "pages/provenance.py":
            assert any(batch_id in str(o) for box in at.selectbox for o in box.options)
        if page in ("pages/drift.py", "pages/explain.py"):
            kind = "drift" if page == "pages/drift.py" else "explain"
            box = at.selectbox(key=f"{kind}-batch-loan_default")
            assert any(o.endswith(f" · {batch_id}") for o in box.options)
            assert box.set_value(batch_id).run() and not at.exception and not at.error
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
