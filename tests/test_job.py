"""The monitoring job on the demo workspace: idempotent, and one bad batch never stops the others."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.batches import log_batch

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_demo_has_two_models_with_twelve_snapshots(demo):
    for name in ("loan_default", "store_demand"):
        snaps = demo.snapshots(name)
        assert len(snaps) == 12
        assert all(s.model == name for s in snaps)
        assert all(d["schema_version"] == 2 for d in demo.store.query(name, "snapshot"))
        assert all(s.pipeline_run_id for s in snaps)


def test_second_run_writes_nothing(demo):
    result = demo.run_job()
    assert result.ok and result.written == 0 and result.skipped == 24, result.summary()


def test_cli_run_is_idempotent_and_prints_the_summary(demo):
    out = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "snapshots written: 0, skipped: 24, failed: 0"


def test_late_labels_are_picked_up_once(demo):
    snaps = demo.snapshots("loan_default")
    assert [s.performance is not None for s in snaps] == [True] * 10 + [False] * 2
    assert snaps[0].performance.n_labelled == snaps[0].n_rows


def test_a_bad_batch_is_reported_and_the_others_complete(demo, settings):
    from monitor.demo import loan_frame
    from monitor.snapshots import snapshot_id

    frame, _ = loan_frame(200, np.random.default_rng(5))
    preds = pd.DataFrame({"prediction": np.zeros(200, int), "score": np.full(200, 0.1)})
    good = log_batch("loan_default", frame, preds, model_version="1", batch_id="job-good",
                     artifact_root=settings.artifact_root)
    bad = log_batch("loan_default", frame, preds, model_version="99", batch_id="job-bad",
                    artifact_root=settings.artifact_root)
    try:
        out = subprocess.run([sys.executable, "-m", "monitor", "run", "--model", "loan_default"], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 1
        assert "model 'loan_default' batch 'job-bad'" in out.stderr and "version 99" in out.stderr
        assert out.stdout.strip().splitlines()[-1] == "snapshots written: 1, skipped: 12, failed: 1"
        assert demo.snapshot("loan_default", good) is not None
        assert demo.snapshot("loan_default", bad) is None
        assert len(demo.snapshots("store_demand")) == 12
    finally:
        # Leave the shared workspace as the demo built it for the tests that follow.
        for batch_id in (good, bad):
            demo.mlflow.client.delete_run(demo.mlflow.batch("loan_default", batch_id).run_id)
        with sqlite3.connect(demo.store.path) as conn:
            conn.execute("DELETE FROM documents WHERE model = ? AND id = ?", ("loan_default", snapshot_id(good)))


def test_job_names_an_unreachable_store_and_exits_non_zero(demo, tmp_path):
    import os

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**os.environ, "MONITOR_SQLITE_PATH": str(blocker / "snapshots.db")}
    out = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 2  # nothing could run: the job cannot even record its own run
    assert "error: SQLite snapshot store is unreachable or failed" in out.stderr and str(blocker) in out.stderr
