"""The monitoring job in production: its runs recorded, one run at a time under a lease, staleness on the pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from monitor.job_runs import JOB_PIPELINE
from monitor.sources.pipelines import LocalPipelineRunSource, PipelineRun
from monitor.store.sqlite import SqliteSnapshotStore
from tests.peers.fixtures import cosmos_server  # noqa: F401 - the Cosmos DB peer on loopback

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mlflow_copy(demo, tmp_path_factory) -> Path:
    """A workspace with the demo's MLflow (batches logged) and no snapshots yet: work for two jobs to race for."""
    folder = tmp_path_factory.mktemp("job-race")
    with sqlite3.connect(Path(demo.settings.workspace) / "mlflow.db") as src, sqlite3.connect(folder / "mlflow.db") as dst:
        src.backup(dst)
    return folder


def _env(workspace: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {**env, "MONITOR_WORKSPACE": str(workspace), "MONITOR_SPEC": str(ROOT / "monitor.toml"),
            "PYTHONWARNINGS": "ignore", **extra}


def _race(env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        outs.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return outs


def _written(out: str) -> int:
    return int(re.search(r"snapshots written: (\d+)", out)[1])


def _check_race(outs: list[subprocess.CompletedProcess], store) -> None:
    assert [o.returncode for o in outs] == [0, 0], [o.stderr[-2000:] for o in outs]
    assert sorted(_written(o.stdout) for o in outs) == [0, 24], [o.stdout[-500:] for o in outs]
    second = next(o.stdout for o in outs if _written(o.stdout) == 0)
    assert "snapshots written: 0, skipped: 24, failed: 0" in second
    for model in ("loan_default", "store_demand"):
        assert len(store.query(model, "snapshot")) == 12
    runs = LocalPipelineRunSource(store).query(pipelines=[JOB_PIPELINE])
    assert [r.status for r in runs] == ["Succeeded", "Succeeded"], runs
    messages = sorted(r.message for r in runs)
    assert any("written: 24" in m for m in messages)
    assert any(m.startswith("waited") or "written: 0, skipped: 24" in m for m in messages), messages


def test_two_jobs_started_together_on_sqlite_write_each_snapshot_once(mlflow_copy, tmp_path):
    snapshots = tmp_path / "snapshots.db"
    _check_race(_race(_env(mlflow_copy, MONITOR_SQLITE_PATH=str(snapshots))), SqliteSnapshotStore(snapshots))


@pytest.mark.azure
def test_two_jobs_started_together_on_cosmos_db_write_each_snapshot_once(mlflow_copy, cosmos_server):  # noqa: F811
    from monitor.store.cosmos import CosmosSnapshotStore
    from tests.peers.cosmos_server import EMULATOR_KEY

    container = f"race-{uuid.uuid4().hex[:8]}"
    env = _env(mlflow_copy, MONITOR_STORE="cosmos", MONITOR_COSMOS_ENDPOINT=cosmos_server.endpoint,
               MONITOR_COSMOS_KEY=EMULATOR_KEY, MONITOR_COSMOS_VERIFY_TLS="false", MONITOR_COSMOS_CONTAINER=container)
    outs = _race(env)
    store = CosmosSnapshotStore(cosmos_server.endpoint, EMULATOR_KEY, "mlops-monitor", container,
                                connection_verify=False, enable_endpoint_discovery=False)
    _check_race(outs, store)


def test_the_pipelines_page_lists_the_monitor_own_runs(demo):
    from tests.app.apptest import open_page

    demo.run_job()
    at = open_page("pages/data_engineer.py", "loan_default", errors_allowed=False)
    at.session_state["de-tabs"] = "Monitoring job"  # a lazily run tab
    at.run()
    jobs = at.dataframe[-1].value
    assert set(jobs.columns) >= {"start", "status", "message"} and (jobs["status"] == "Succeeded").any()
    assert any("Figures computed at" in c.value for c in at.caption)


def test_a_stopped_job_turns_the_staleness_warning_on(demo, tmp_path, monkeypatch):
    import streamlit as st

    from tests.app.apptest import open_page

    copy = tmp_path / "snapshots.db"
    with sqlite3.connect(demo.settings.snapshot_db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM documents WHERE kind = 'pipeline_run' AND body LIKE ?", (f'%"{JOB_PIPELINE}"%',))
    three_days = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    LocalPipelineRunSource(SqliteSnapshotStore(copy)).record(PipelineRun(
        "monitor-job-old", JOB_PIPELINE, "Succeeded", (three_days - dt.timedelta(minutes=2)).isoformat(),
        three_days.isoformat(), 120_000, "snapshots written: 24, skipped: 0, failed: 0"))
    monkeypatch.setenv("MONITOR_SQLITE_PATH", str(copy))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        for page in ("pages/business.py", "pages/drift.py", "pages/performance.py"):
            at = open_page(page, "store_demand")
            warnings = [w.value for w in at.warning]
            assert any(w.startswith("**Figures may be out of date:** the monitoring job last completed at") and
                       "(3 day(s) ago)" in w and "every 24 h" in w for w in warnings), (page, warnings)
        monkeypatch.setenv("MONITOR_JOB_SCHEDULE_HOURS", str(24 * 7))
        st.cache_resource.clear()
        st.cache_data.clear()
        at = open_page("pages/business.py", "store_demand")
        assert not at.warning and any("Figures computed at" in c.value for c in at.caption)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_job_status_reads_the_last_successful_run(tmp_path):
    from monitor.job_runs import job_status

    store = SqliteSnapshotStore(tmp_path / "s.db")
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)
    assert job_status(store, 24, now).stale and job_status(store, 24, now).computed_at is None
    source = LocalPipelineRunSource(store)
    ok = PipelineRun("a", JOB_PIPELINE, "Succeeded", "2026-06-01T02:00:00+00:00", "2026-06-01T02:05:00+00:00", 300_000)
    source.record(ok)
    source.record(dataclasses.replace(ok, run_id="b", status="Failed", run_start="2026-06-01T08:00:00+00:00",
                                      run_end="2026-06-01T08:01:00+00:00"))
    status = job_status(store, 24, now)
    assert status.computed_at == dt.datetime(2026, 6, 1, 2, 5, tzinfo=dt.timezone.utc)
    assert not status.stale and status.last_failed
    assert job_status(store, 6, now).stale  # ten hours without a success, six allowed (plus an hour of grace)


def test_a_lease_left_by_a_killed_job_on_this_machine_is_taken_over_at_once(tmp_path):
    import socket
    import types

    from monitor.job import JobResult
    from monitor.job_runs import LEASE, run_recorded

    store = SqliteSnapshotStore(tmp_path / "s.db")
    dead = f"{socket.gethostname()}:{2**22 + 12345}:abcdef"  # above Linux's largest pid: no such process
    assert store.acquire_lease(LEASE, dead, 600)
    said: list[str] = []
    result = run_recorded(types.SimpleNamespace(store=store), lambda service, models, progress: JobResult(written=3), None,
                          lambda done, total, message: said.append(message), wait_seconds=0)
    assert result.ok and result.written == 3 and result.waited_seconds == 0
    assert said == ["the previous monitoring job on this machine stopped without finishing; taking over its lease"]
    elsewhere = "another-host:1:abcdef"
    assert store.acquire_lease(LEASE, elsewhere, 600)
    blocked = run_recorded(types.SimpleNamespace(store=store), lambda *a: JobResult(written=3), None,
                           lambda *a: None, wait_seconds=0)
    assert not blocked.ok and "another monitoring job still held the lease" in blocked.failed[0].error
