"""A workspace written by the previous release (snapshot engine 5, flat snapshot documents) keeps working.

The fixture holds the demo's snapshot and profile documents as that release's job stored them. Every
page opens on them with no exception, they read back as typed snapshots with the same figures, and
`monitor run` recomputes them once with the current engine, saying why.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
import streamlit as st

from monitor.snapshots import ENGINE_VERSION, SNAPSHOT_SCHEMA, Snapshot
from monitor.snapshots.upgrade import SnapshotSchemaError, upgrade
from monitor.store.sqlite import SqliteSnapshotStore
from tests.app.apptest import APP

FIXTURE = Path(__file__).parent / "fixtures" / "release_engine5" / "store.jsonl.gz"
PAGES = ["pages/business.py", "pages/data_engineer.py", "pages/drift.py", "pages/performance.py", "pages/explain.py",
         "pages/provenance.py", "pages/models.py", "pages/alerts.py"]


def _records() -> list[dict]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# The demo dates its batches by the week it is built in: built as of the fixture's day, it logs the same batches.
FIXTURE_DAY = dt.datetime(2026, 11, 27, 17, 13, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def old_workspace(tmp_path_factory):
    """A demo workspace whose snapshot store holds the previous release's documents; yields its environment."""
    from monitor.config import Settings
    from monitor.demo import build_demo

    base = tmp_path_factory.mktemp("release5")
    store = SqliteSnapshotStore(base / "snapshots.db")
    for r in _records():
        store.upsert({k: v for k, v in r["body"].items() if k not in ("content_hash", "stored_at")})
    env = {"MONITOR_WORKSPACE": str(base / ".monitor"), "MONITOR_SQLITE_PATH": str(base / "snapshots.db")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        build_demo(Settings.load(), progress=lambda m: None, now=FIXTURE_DAY)
    return env


def test_old_documents_read_as_typed_snapshots_with_the_same_figures():
    snaps = [r["body"] for r in _records() if r["kind"] == "snapshot"]
    assert snaps and all(d["schema_version"] == 1 and d["engine"] == "5" for d in snaps)
    for doc in snaps:
        s = Snapshot.from_doc(doc)
        assert s.drift.drifted == doc["drift"]["overall"]["drifted"]
        assert s.drift.n_drifted == doc["drift"]["overall"]["n_drifted"]
        assert set(s.drift.drifted_features) == {c for c, r in doc["drift"]["features"].items() if r["drifted"]}
        assert s.prediction.current.mean == pytest.approx(doc["prediction"]["mean"])
        if doc["performance"]:
            metric = "auc" if "auc" in doc["performance"] else "mae"
            assert s.performance.get(metric) == pytest.approx(doc["performance"][metric])
            assert s.performance.n_labelled == doc["performance"]["n_labelled"]
            assert s.performance.bands[metric] == pytest.approx(tuple(doc["performance"]["bands"][metric]))
        else:
            assert s.performance is None
        assert s.baseline.source == doc["baseline_source"]
        metric = "auc" if "auc" in doc["baseline"] else "mae"
        assert s.baseline.get(metric) == pytest.approx(doc["baseline"][metric])
        assert s.computed_at is None or s.computed_at == doc.get("stored_at")
        again = Snapshot.from_doc(s.to_doc())
        assert again.to_doc() == s.to_doc() and again.to_doc()["schema_version"] == SNAPSHOT_SCHEMA


def test_a_document_from_a_newer_release_is_refused_by_name():
    doc = {"id": "snapshot:b1", "model": "m", "schema_version": SNAPSHOT_SCHEMA + 1}
    with pytest.raises(SnapshotSchemaError, match="newer release.*upgrade the app"):
        upgrade(doc)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_the_previous_release_workspace(old_workspace, monkeypatch, page):
    from streamlit.testing.v1 import AppTest

    for k, v in old_workspace.items():
        monkeypatch.setenv(k, v)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state["period"] = (dt.date(2026, 8, 1), dt.date(2026, 11, 27))  # the fixture's batches
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        for model in ("loan_default", "store_demand"):
            if page not in ("pages/models.py", "pages/provenance.py", "pages/alerts.py"):
                at.selectbox(key="model").set_value(model).run()
                assert not at.exception, [e.value for e in at.exception]
                assert not at.error, [e.value for e in at.error]
        if page == "pages/drift.py":  # the old snapshots are shown, not an empty state
            assert any(m.label == "Dataset drift" for m in at.metric)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_the_job_recomputes_old_snapshots_once_and_says_why(old_workspace, monkeypatch):
    from monitor.bootstrap import build_service
    from monitor.config import Settings

    for k, v in old_workspace.items():
        monkeypatch.setenv(k, v)
    service = build_service(Settings.load())
    said: list[str] = []
    result = service.run_job(["store_demand"], progress=lambda done, total, message: said.append(message))
    assert result.ok, [str(f) for f in result.failed]
    assert any("computed by an earlier release (engine 5)" in m and f"engine {ENGINE_VERSION}" in m for m in said), said
    snaps = service.snapshots("store_demand")
    assert len(snaps) == 12 and all(s.engine == ENGINE_VERSION for s in snaps)
    assert result.written == 12
    assert service.run_job(["store_demand"]).written == 0
