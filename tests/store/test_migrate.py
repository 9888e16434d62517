"""migrate_store copies every document of every kind, idempotently, from SQLite to another store."""

from __future__ import annotations

import pytest

from monitor.migrate import documents, migrate_store
from monitor.sources.pipelines import PIPELINE_PARTITION, ActivityRun, LocalPipelineRunSource, PipelineRun
from monitor.store.base import SCHEMA_VERSION
from monitor.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture(params=["sqlite", pytest.param("cosmos", marks=pytest.mark.azure)])
def target(request, tmp_path):
    if request.param == "sqlite":
        return SqliteSnapshotStore(tmp_path / "target.db")
    return request.getfixturevalue("cosmos_store_factory")(page_size=25)


@pytest.fixture
def source(tmp_path) -> SqliteSnapshotStore:
    store = SqliteSnapshotStore(tmp_path / "source.db")
    for model in ("churn", "fraud"):
        for n in range(30):
            store.upsert({"id": f"snap-{n:03d}", "kind": "snapshot", "model": model, "ts": f"2026-03-01T{n % 24:02d}:{n // 24:02d}:00Z",
                          "schema_version": SCHEMA_VERSION, "drift": {"share": n / 30}})
        store.upsert({"id": "reference", "kind": "profile", "model": model, "ts": "2026-02-01T00:00:00Z",
                      "schema_version": SCHEMA_VERSION, "columns": {"age": {"mean": 41.5}}})
        store.upsert({"id": "batches", "kind": "batch_index", "model": model, "ts": "2026-03-02T00:00:00Z",
                      "schema_version": SCHEMA_VERSION, "batches": ["b1", "b2"]})
    store.upsert({"id": "note-1", "kind": "annotation", "model": "churn", "ts": "2026-03-03T00:00:00Z",
                  "schema_version": SCHEMA_VERSION, "text": "retrained"})
    runs = LocalPipelineRunSource(store)
    runs.record(PipelineRun("run-1", "ingest_churn", "Succeeded", "2026-03-01T05:00:00Z", "2026-03-01T05:10:00Z", 600_000),
                [ActivityRun("copy", "Copy", "Succeeded", "2026-03-01T05:00:00Z", "2026-03-01T05:09:00Z", 540_000)])
    runs.record(PipelineRun("run-2", "ingest_churn", "Failed", "2026-03-02T05:00:00Z", message="source missing"))
    return store


def _content(docs):
    return [{k: v for k, v in d.items() if k != "stored_at"} for d in docs]


def test_migration_copies_everything_once(source, target):
    first = migrate_store(source, target, ["churn", "fraud"])
    assert first == {"copied": 67, "unchanged": 0, "failed": 0, "errors": []}
    for model in ("churn", "fraud", PIPELINE_PARTITION):
        assert _content(documents(target, model)) == _content(documents(source, model))
    assert [r.run_id for r in LocalPipelineRunSource(target).query()] == ["run-1", "run-2"]
    assert LocalPipelineRunSource(target).activity_runs(LocalPipelineRunSource(target).query()[0])[0].duration_ms == 540_000

    second = migrate_store(source, target, ["churn", "fraud"])
    assert second == {"copied": 0, "unchanged": 67, "failed": 0, "errors": []}

    source.upsert({**source.get("churn", "snap-000"), "drift": {"share": 0.99}})
    third = migrate_store(source, target, ["churn", "fraud"])
    assert (third["copied"], third["unchanged"]) == (1, 66)
    assert target.get("churn", "snap-000")["drift"] == {"share": 0.99}


@pytest.mark.azure
def test_a_document_cosmos_refuses_does_not_stop_the_others(source, cosmos_store_factory):
    source.upsert({"id": "huge", "kind": "snapshot", "model": "churn", "ts": "2026-03-04T00:00:00Z",
                   "schema_version": SCHEMA_VERSION, "detail": "x" * (2 * 1024 * 1024)})
    result = migrate_store(source, cosmos_store_factory(), ["churn"])
    assert (result["copied"], result["failed"]) == (35, 1)
    assert result["errors"][0].startswith("churn/huge: document 'huge' of model 'churn' is 2,")


@pytest.mark.azure
@pytest.mark.slow
def test_cli_moves_the_demo_workspace_to_cosmos_once(demo, cosmos_server):
    """`python -m monitor migrate-store` with Cosmos DB settings: everything the first time, nothing the second."""
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from tests.peers.cosmos_server import EMULATOR_KEY

    env = {**os.environ, "MONITOR_STORE": "cosmos", "MONITOR_COSMOS_ENDPOINT": cosmos_server.endpoint,
           "MONITOR_COSMOS_KEY": EMULATOR_KEY, "MONITOR_COSMOS_VERIFY_TLS": "false",
           "MONITOR_COSMOS_CONTAINER": f"migrate-{uuid.uuid4().hex[:8]}", "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "monitor", "migrate-store", "--source-workspace", str(demo.settings.workspace)]
    root = Path(__file__).resolve().parents[2]
    from monitor.alerts.state import PARTITION as ALERTS_PARTITION

    total = sum(len(documents(demo.store, m)) for m in [*demo.spec.names, PIPELINE_PARTITION, ALERTS_PARTITION])
    first = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == f"documents copied: {total}, unchanged: 0, failed: 0"
    second = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert second.stdout.strip().splitlines()[-1] == f"documents copied: 0, unchanged: {total}, failed: 0"


def test_alert_state_and_history_move_with_the_snapshots(source, target):
    from monitor.alerts.state import PARTITION

    alert = {"id": "alert:churn:drift", "kind": "alert_state", "model": PARTITION, "ts": "2026-01-05T00:00:00Z",
             "schema_version": 1, "state": "firing"}
    source.upsert(alert)
    migrate_store(source, target, ["churn", "fraud"])
    assert target.get(PARTITION, "alert:churn:drift")["state"] == "firing"
