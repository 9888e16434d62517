"""Synthetic snapshots and pipeline runs with known answers, shared by the alert tests."""

from __future__ import annotations

import dataclasses
import datetime as dt

from monitor.records import PipelineRun
from monitor.snapshots.types import Snapshot
from monitor.spec import ModelSpec

T0 = dt.datetime(2026, 3, 2, 6, tzinfo=dt.timezone.utc)
SPEC = ModelSpec(name="churn", registered_model="churn-clf", task="classification", numeric_features=("x1", "x2"),
                 categorical_features=("c",), prediction="prediction", score="score", target="y",
                 pipelines=("pl_churn",), schedule_days=7)
REGRESSOR = dataclasses.replace(SPEC, name="demand", task="regression", score=None)


def week(n: int) -> dt.datetime:
    return T0 + dt.timedelta(weeks=n - 1)


def snap(n: int, *, drifted: tuple[str, ...] = (), auc: float | None = 0.80, estimated: float | None = None,
         mae: float | None = None) -> Snapshot:
    features = {f: {"method": "ks", "statistic": 0.4 if f in drifted else 0.01, "threshold": 0.1, "drifted": f in drifted}
                for f in ("x1", "x2", "c")}
    perf = None
    if auc is not None:
        perf = {"auc": auc, "accuracy": 0.9}
    if mae is not None:
        perf = {"mae": mae}
    return Snapshot.from_doc({
        "model": "churn", "batch_id": f"churn-w{n:02d}", "ts": week(n).isoformat(), "n_rows": 1000,
        "drift": {"overall": {"n_features": 3, "n_drifted": len(drifted), "share_drifted": len(drifted) / 3,
                              "share_threshold": 0.3, "drifted": len(drifted) / 3 >= 0.3}, "features": features},
        "quality": {"counts": {"critical": 0, "warning": 0}},
        "performance": perf, "baseline": {"auc": 0.80, "accuracy": 0.9, "mae": 10.0},
        "estimated": {"metrics": {"auc": estimated}} if estimated is not None else None,
    })


def run(n: int, status: str = "Succeeded", minutes: float = 20, start: dt.datetime | None = None) -> PipelineRun:
    began = start or week(n) - dt.timedelta(hours=1)
    return PipelineRun(f"run-{n}-{status}", "pl_churn", status, began.isoformat(),
                       (began + dt.timedelta(minutes=minutes)).isoformat(), message="timeout reading the sales table"
                       if status == "Failed" else "")
