"""Small hand-built snapshots and pipeline runs with known KPI answers."""

from __future__ import annotations

import datetime as dt

from monitor.kpis import Period
from monitor.records import PipelineRun
from monitor.snapshots.types import Snapshot
from monitor.spec import DriftSpec, ModelSpec

UTC = dt.timezone.utc
WEEK0 = dt.datetime(2025, 1, 6, 6, tzinfo=UTC)  # a Monday, 06:00 UTC
NOW = dt.datetime(2025, 3, 5, 12, tzinfo=UTC)   # a Wednesday, two days after the week-8 batch

CLASSIFIER = ModelSpec(
    name="churn", registered_model="churn-classifier", task="classification", numeric_features=("a", "b"),
    categorical_features=("c", "d"), prediction="prediction", score="score", target="churned",
    pipelines=("pl_ingest",), schedule_days=7, drift=DriftSpec(share=0.5),
)
REGRESSOR = ModelSpec(
    name="demand", registered_model="demand-regressor", task="regression", numeric_features=("a", "b"),
    categorical_features=("c", "d"), prediction="prediction", target="units", pipelines=(), schedule_days=7,
    drift=DriftSpec(share=0.5),
)


def week(n: float, hours: float = 0) -> dt.datetime:
    return WEEK0 + dt.timedelta(weeks=n, hours=hours)


def weeks(first: int, last: int) -> Period:
    """The Monday of week ``first`` to the Sunday of week ``last``, both included."""
    return Period.from_dates(week(first).date(), week(last).date() + dt.timedelta(days=6))


def snapshot(n: int, *, hours: float = 0, rows: int = 1000, drifted: tuple[str, ...] = (), findings: tuple = (),
             perf: dict | None = None, baseline: dict | None = None, rate: float = 0.10, ref_rate: float = 0.10,
             mean: float = 100.0, ref_mean: float = 100.0, version: str = "1", model: str = "churn",
             estimated: dict | None = None, prediction_drifted: bool | None = None) -> Snapshot:
    """A snapshot of week ``n`` with the given figures (four features a-d), read from a schema-1 document."""
    ts = week(n, hours)
    features = {c: {"kind": "numeric", "method": "psi", "statistic": 0.3 if c in drifted else 0.01, "threshold": 0.2,
                    "drifted": c in drifted} for c in ("a", "b", "c", "d")}
    counts = {"critical": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f["severity"]] += 1
    batch_id = f"{model}-w{n:02d}"
    drift = None if prediction_drifted is None else {"method": "wasserstein", "statistic": 0.3 if prediction_drifted
                                                     else 0.01, "threshold": 0.1, "drifted": prediction_drifted}
    return Snapshot.from_doc({
        "id": f"snapshot:{batch_id}", "kind": "snapshot", "model": model, "batch_id": batch_id, "ts": ts.isoformat(),
        "n_rows": rows, "model_version": version, "labels_at": None,
        "quality": {"findings": list(findings), "counts": counts},
        "drift": {"overall": {"n_features": 4, "n_drifted": len(drifted), "share_drifted": len(drifted) / 4,
                              "drifted": len(drifted) / 4 >= 0.5, "share_threshold": 0.5}, "features": features},
        "prediction": {"mean": mean if model != "churn" else rate, "positive_rate": rate,
                       "reference": {"mean": ref_mean if model != "churn" else ref_rate, "positive_rate": ref_rate},
                       "drift": drift},
        "performance": perf, "baseline": baseline, "estimated": estimated,
        "status": {"drifted": len(drifted) / 4 >= 0.5, "labelled": perf is not None},
    })


def finding(column: str, severity: str, check: str = "missing") -> dict:
    return {"check": check, "column": column, "severity": severity, "detail": f"{check} in {column}", "value": 0.25}


def run(n: int, minutes: float, status: str = "Succeeded", pipeline: str = "pl_ingest", hours: float = -1,
        message: str = "") -> PipelineRun:
    start = week(n, hours)
    return PipelineRun(run_id=f"{pipeline}-{n}-{status}", pipeline_name=pipeline, status=status,
                       run_start=start.isoformat(), run_end=(start + dt.timedelta(minutes=minutes)).isoformat(),
                       duration_ms=int(minutes * 60_000), message=message)
