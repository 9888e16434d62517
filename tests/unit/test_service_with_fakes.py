"""Snapshot computation and a model version's fitting, through the real service and job, on fakes of the ports.

The fakes subclass the real ports (``MlflowSource``, ``SnapshotStore``, ``PipelineRunSource``) and keep
everything in memory: no MLflow, no demo workspace, a few seconds in all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from monitor.config import Settings
from monitor.records import BatchInfo, ModelVersionInfo, PipelineRun
from monitor.service import MonitorService
from monitor.snapshots import ENGINE_VERSION, Snapshot
from monitor.sources.mlflow import MlflowSource
from monitor.sources.pipelines import PipelineRunSource
from monitor.store.base import SnapshotStore

SPEC = """
[[models]]
name = "churn"
registered_model = "churn-model"
task = "classification"
numeric_features = ["tenure", "spend"]
categorical_features = ["plan"]
prediction = "prediction"
score = "score"
target = "churned"
reference = "training"
schedule_days = 7

[models.drift]
share = 0.5
"""


class MemoryStore(SnapshotStore):
    name = "memory store"

    def __init__(self):
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}

    def kinds(self, model):
        return sorted({d["kind"] for (m, _), d in self.docs.items() if m == model})

    def _compare_and_set(self, doc, expected_hash):
        current = self.docs.get((doc["model"], doc["id"]))
        if (current.get("content_hash") if current else None) != expected_hash:
            return False
        self.docs[(doc["model"], doc["id"])] = dict(doc)
        return True

    def _get(self, model, doc_id):
        doc = self.docs.get((model, doc_id))
        return dict(doc) if doc else None

    def _put(self, doc):
        self.docs[(doc["model"], doc["id"])] = dict(doc)

    def _query(self, model, kind, start, end):
        return [dict(d) for (m, _), d in self.docs.items() if m == model and d["kind"] == kind
                and (start is None or d["ts"] >= start) and (end is None or d["ts"] < end)]


class NoPipelines(PipelineRunSource):
    def query(self, start=None, end=None, pipelines=None) -> list[PipelineRun]:
        return []


class FakeMlflow(MlflowSource):
    """Registered model, reference data and logged batches held in memory."""

    def __init__(self, model, reference: pd.DataFrame, validation: pd.DataFrame):
        super().__init__("memory://fake")
        self.model, self.reference, self.validation = model, reference, validation
        self.batches: dict[str, tuple[BatchInfo, pd.DataFrame, pd.Series | None]] = {}
        self.version = ModelVersionInfo("churn-model", "1", "train-run", "memory://model", "2026-01-01T00:00:00+00:00",
                                        ("champion",))

    def add_batch(self, batch_id: str, when: dt.datetime, frame: pd.DataFrame, labels: pd.Series | None = None):
        info = BatchInfo("churn", batch_id, f"run-{batch_id}", when.isoformat(), "1", len(frame),
                         digest=f"d-{batch_id}", labels_digest=f"l-{batch_id}" if labels is not None else None,
                         labels_at=when.isoformat() if labels is not None else None)
        self.batches[batch_id] = (info, frame, labels)

    def ping(self):
        return None

    def list_batches(self, model):
        return [b[0] for b in self.batches.values() if b[0].model == model]

    def batch(self, model, batch_id):
        return self.batches[batch_id][0]

    def load_batch(self, info):
        return self.batches[info.batch_id][1]

    def load_batch_summary(self, info):
        return None

    def batch_rows(self, info):
        return self.batches[info.batch_id][1]

    def load_labels(self, info):
        return self.batches[info.batch_id][2]

    def model_versions(self, registered_model):
        return [self.version]

    def model_version(self, registered_model, version):
        return self.version

    def production_version(self, registered_model):
        return self.version

    def load_model(self, registered_model, version):
        return self.model

    def run(self, run_id):
        return {"run_id": run_id, "start": "2026-01-01T00:00:00+00:00", "experiment_id": "0"}

    def run_url(self, run):
        return None

    def reference_frame(self, model, reference, version, base_dir: Path | None = None):
        return self.reference

    def validation_frame(self, model, reference, version):
        return self.validation


def _data(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.gamma(3, 10, n) + shift * 40
    spend = rng.normal(50, 10, n)
    plan = rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2] if not shift else [0.1, 0.2, 0.7])
    logit = -0.04 * tenure + 0.03 * (spend - 50) + (plan == "basic") * 0.8
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"tenure": tenure, "spend": spend, "plan": plan, "churned": churned})


class _Model:
    """A fitted classifier over one-hot plans (stands in for a logged sklearn pipeline)."""

    def __init__(self, frame: pd.DataFrame):
        self.clf = LogisticRegression(max_iter=500).fit(self._x(frame), frame["churned"])
        self.classes_ = self.clf.classes_

    @staticmethod
    def _x(frame: pd.DataFrame) -> np.ndarray:
        plans = [(frame["plan"] == p).to_numpy(float) for p in ("basic", "plus", "pro")]
        return np.column_stack([frame["tenure"], frame["spend"], *plans])

    def predict(self, frame):
        return self.clf.predict(self._x(frame))

    def predict_proba(self, frame):
        return self.clf.predict_proba(self._x(frame))


def _scored(model, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["tenure", "spend", "plan"]].copy()
    out["prediction"] = model.predict(frame)
    out["score"] = model.predict_proba(frame)[:, 1]
    return out


@pytest.fixture
def service(tmp_path):
    spec = tmp_path / "monitor.toml"
    spec.write_text(SPEC)
    train, validation = _data(2000, 1), _data(800, 2)
    model = _Model(train)
    mlflow = FakeMlflow(model, train.assign(**_scored(model, train)[["prediction", "score"]]), validation)
    start = dt.datetime(2026, 3, 2, 6, tzinfo=dt.timezone.utc)
    for week, shift in enumerate([0.0, 0.0, 1.0]):
        frame = _data(600, 10 + week, shift)
        labels = frame["churned"] if week < 2 else None  # the last batch's labels are late
        mlflow.add_batch(f"churn-w{week + 1}", start + dt.timedelta(weeks=week), _scored(model, frame), labels)
    settings = dataclasses.replace(Settings(), workspace=tmp_path / "ws", spec=spec)
    return MonitorService(settings, MemoryStore(), mlflow, NoPipelines())


def test_the_job_computes_typed_snapshots_from_the_ports(service):
    result = service.run_job()
    assert result.ok and result.written == 3, [str(f) for f in result.failed]
    snaps = service.snapshots("churn")
    assert [s.batch_id for s in snaps] == ["churn-w1", "churn-w2", "churn-w3"]
    assert all(isinstance(s, Snapshot) and s.engine == ENGINE_VERSION for s in snaps)
    first, shifted = snaps[0], snaps[-1]
    assert not first.drift.drifted and first.drift.n_features == 3
    assert shifted.drift.drifted and {"tenure", "plan"} <= set(shifted.drift.drifted_features)
    assert first.performance is not None and first.performance.n_labelled == 600
    assert 0.5 < first.performance.get("auc") <= 1 and first.performance.bands["auc"][0] < first.performance.get("auc")
    assert shifted.performance is None and shifted.estimated is not None and shifted.estimated.get("auc") is not None
    assert first.baseline.source.startswith("validation data") and first.baseline.get("auc") is not None
    assert first.prediction.reference.positive_rate is not None and first.prediction.drift is not None
    assert first.explain is not None and set(first.explain.importance) == {"tenure", "spend", "plan"}
    assert service.snapshot("churn", "churn-w2") == snaps[1]
    assert service.run_job().written == 0  # nothing changed: nothing recomputed


def test_the_version_is_fitted_once_and_stored(service):
    ctx = service.context("churn", "1")
    assert ctx.profile.columns["tenure"].kind == "numeric" and ctx.profile.columns["plan"].kind == "categorical"
    assert ctx.baseline["performance_source"].startswith("validation data")
    assert ctx.estimator is not None and ctx.trained_at == "2026-01-01T00:00:00+00:00"
    stored = service.profile_doc("churn", "1")
    assert stored is not None and stored["engine"] == ENGINE_VERSION
    service._contexts.clear()
    again = service.context("churn", "1")  # read back from the store, not refitted
    assert again.baseline == ctx.baseline and again.reference_importance == ctx.reference_importance


def test_labels_arriving_recompute_the_snapshot_once(service):
    service.run_job()
    info, frame, _ = service.mlflow.batches["churn-w3"]
    labels = pd.Series(np.zeros(len(frame), dtype=int), name="churned")
    service.mlflow.batches["churn-w3"] = (dataclasses.replace(info, labels_digest="late", labels_at="2026-03-30T00:00:00+00:00"),
                                          frame, labels)
    assert service.run_job().written == 1
    assert service.snapshot("churn", "churn-w3").performance.n_labelled == 600
