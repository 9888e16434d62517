"""`python -m monitor demo` killed at several points, and runs left half-done on purpose, then rerun:
the workspace ends as an uninterrupted build leaves it (same batches, one model version per model)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.batches import TAG, batch_experiment_name
from monitor.demo import DEMO_MODELS, DEMO_WEEKS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# Each kill waits for a line of the build's progress, then for a moment, then kills the process outright.
KILLS = [
    ("[loan_default] week  3: logged", 0.0),        # in the middle of logging week 4
    ("[store_demand] training on synthetic data", 1.5),  # while the second model is trained and registered
    ("[store_demand] week  8: logged", 0.0),        # in the middle of logging week 9
]


def _env(workspace: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {**env, "MONITOR_WORKSPACE": str(workspace), "MONITOR_SPEC": str(ROOT / "monitor.toml"), "PYTHONUNBUFFERED": "1"}


def _demo_killed_after(workspace: Path, line: str, delay: float) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "demo"], cwd=ROOT, env=_env(workspace),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        for out in proc.stdout:
            seen.append(out.rstrip())
            if out.startswith(line):
                time.sleep(delay)
                proc.kill()
                break
    finally:
        proc.wait(timeout=300)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, (f"the build was not interrupted at '{line}'", seen[-5:])
    return seen


def _demo(workspace: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "demo"], cwd=ROOT, env=_env(workspace),
                          capture_output=True, text=True, timeout=600)


def _client(workspace: Path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{(workspace / 'mlflow.db').resolve()}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _week_id(workspace: Path, model: str, week: int) -> str:
    end = dt.datetime.fromisoformat(json.loads((workspace / "demo.plan.json").read_text())["end"])
    return f"{model}-w{week:02d}-{end - dt.timedelta(weeks=DEMO_WEEKS - week):%Y%m%d}"


def _orphan_batch_run(client, model: str, batch_id: str) -> str:
    """A batch run as an interrupted log_batch leaves it: created, tagged, never finished."""
    exp = client.get_experiment_by_name(batch_experiment_name(model))
    run = client.create_run(exp.experiment_id, tags={TAG + "kind": "batch", TAG + "model": model, TAG + "batch_id": batch_id})
    return run.info.run_id


def _orphan_training_run(client, model: str) -> str:
    """A demo training run as a killed build leaves it before its model was registered."""
    name = f"monitor/{model}/training"
    exp = client.get_experiment_by_name(name)
    exp_id = exp.experiment_id if exp else client.create_experiment(name)
    run = client.create_run(exp_id, tags={TAG + "kind": "training", TAG + "model": model, TAG + "demo": "1"})
    return run.info.run_id


def _demo_batches(client, model: str) -> list[tuple]:
    """The demo's batches of ``model``: (week, digest, labels digest, model version, rows), oldest first."""
    exp = client.get_experiment_by_name(batch_experiment_name(model))
    runs = client.search_runs([exp.experiment_id], "attributes.status = 'FINISHED'", max_results=1000)
    out = []
    for r in runs:
        tags = r.data.tags
        found = re.fullmatch(rf"{model}-w(\d\d)-\d{{8}}", tags.get(TAG + "batch_id", ""))
        if found:
            out.append((found[1], tags.get(TAG + "digest"), tags.get(TAG + "labels_digest"),
                        tags.get(TAG + "model_version"), tags.get(TAG + "n_rows")))
    return sorted(out)


def test_an_interrupted_demo_is_finished_by_the_next_run(demo, tmp_path):
    workspace = tmp_path / "ws"
    first = _demo_killed_after(workspace, *KILLS[0])
    assert any("week  3: logged" in line for line in first)
    client = _client(workspace)
    orphan_batch = _orphan_batch_run(client, "loan_default", _week_id(workspace, "loan_default", 12))
    orphan_training = _orphan_training_run(client, "store_demand")
    for line, delay in KILLS[1:]:
        _demo_killed_after(workspace, line, delay)

    finished = _demo(workspace)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert "already logged" in finished.stdout  # it resumed rather than starting over
    again = _demo(workspace)
    assert again.returncode == 0 and "demo workspace already built" in again.stdout

    client = _client(workspace)
    reference = _client(Path(demo.settings.workspace))
    for spec in DEMO_MODELS:
        got = _demo_batches(client, spec.name)
        assert [b[0] for b in got] == [f"{w:02d}" for w in range(1, DEMO_WEEKS + 1)], spec.name
        assert got == _demo_batches(reference, spec.name), spec.name  # same data, labels and version
        versions = client.search_model_versions(f"name = '{spec.registered_model}'")
        assert [str(v.version) for v in versions] == ["1"], spec.registered_model
        assert {k: str(v) for k, v in client.get_registered_model(spec.registered_model).aliases.items()} == {"champion": "1"}
        for name in (batch_experiment_name(spec.name), f"monitor/{spec.name}/training"):
            exp = client.get_experiment_by_name(name)
            runs = client.search_runs([exp.experiment_id], "", max_results=1000)
            assert {r.info.status for r in runs} == {"FINISHED"}, name
    assert client.get_run(orphan_batch).info.lifecycle_stage == "deleted"
    assert client.get_run(orphan_training).info.lifecycle_stage == "deleted"

    from monitor.sources.pipelines import LocalPipelineRunSource
    from monitor.store.sqlite import SqliteSnapshotStore

    def pipeline_runs(folder: Path) -> list[tuple]:
        names = [name for spec in DEMO_MODELS for name in (spec.pipeline, spec.training_pipeline)]
        runs = LocalPipelineRunSource(SqliteSnapshotStore(folder / "snapshots.db")).query(pipelines=names)
        return sorted((r.pipeline_name, r.status, r.duration_ms, r.parameters.get("week", "")) for r in runs)

    assert pipeline_runs(workspace) == pipeline_runs(Path(demo.settings.workspace))

    # The monitoring job killed in the middle, then run again: every batch gets exactly its snapshot.
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=_env(workspace),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for out in proc.stdout:
            if out.lstrip().startswith("[3/12] [loan_default]"):
                proc.kill()
                break
    finally:
        proc.wait(timeout=600)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    done = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=_env(workspace), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rerun = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=_env(workspace), capture_output=True,
                           text=True, timeout=900)
    assert "snapshots written: 0, skipped: 24, failed: 0" in rerun.stdout, rerun.stdout
    store = SqliteSnapshotStore(workspace / "snapshots.db")
    for spec in DEMO_MODELS:
        mine = {d["batch_id"]: d["source"] for d in store.query(spec.name, "snapshot")}
        theirs = {d["batch_id"]: d["source"] for d in demo.store.query(spec.name, "snapshot")}
        assert mine == theirs, spec.name  # one snapshot per batch, computed from the same data and settings
