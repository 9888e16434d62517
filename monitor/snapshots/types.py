"""The typed snapshot of one (model, batch): what the job computed, as frozen records.

:meth:`Snapshot.to_doc` writes the stored document (schema :data:`SNAPSHOT_SCHEMA`) and
:meth:`Snapshot.from_doc` reads it back, upgrading documents written by earlier releases first
(:mod:`monitor.snapshots.upgrade`). Pages, exports, KPIs, alerts and the provenance graph read these
records, never the raw document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from monitor.drift.result import ColumnDriftResult, DriftSummary, Finding
from monitor.snapshots.metrics import Band, Baseline, Estimate, Metrics
from monitor.timeutil import parse_utc

__all__ = ["SNAPSHOT_SCHEMA", "ColumnDriftResult", "DriftSummary", "Finding", "Quality", "PredictionLevels",
           "PredictionSummary", "Band", "Metrics", "Estimate", "Baseline", "ExplanationSummary", "Status", "Snapshot"]

SNAPSHOT_SCHEMA = 2
"""Version of the snapshot document layout; :mod:`monitor.snapshots.upgrade` reads every earlier one."""

SEVERITIES = ("critical", "warning", "info")


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclasses.dataclass(frozen=True)
class Quality:
    """Data-quality findings of a batch."""

    findings: tuple[Finding, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    def to_doc(self) -> dict[str, Any]:
        return {"findings": [f.to_doc() for f in self.findings], "counts": self.counts}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Quality:
        return cls(tuple(Finding.from_doc(f) for f in (doc or {}).get("findings") or ()))


@dataclasses.dataclass(frozen=True)
class PredictionLevels:
    """Level of the predictions of a batch (or of the reference data)."""

    mean: float | None = None
    std: float | None = None
    n: int = 0
    positive_rate: float | None = None
    score_mean: float | None = None

    def to_doc(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> PredictionLevels:
        doc = doc or {}
        return cls(mean=_f(doc.get("mean")), std=_f(doc.get("std")), n=int(doc.get("n") or 0),
                   positive_rate=_f(doc.get("positive_rate")), score_mean=_f(doc.get("score_mean")))


@dataclasses.dataclass(frozen=True)
class PredictionSummary:
    """The batch's predictions: their level against the reference's, and the drift of their distribution."""

    current: PredictionLevels
    reference: PredictionLevels
    drift: ColumnDriftResult | None = None
    score_drift: ColumnDriftResult | None = None

    def to_doc(self) -> dict[str, Any]:
        return {**self.current.to_doc(), "reference": self.reference.to_doc(),
                "drift": self.drift.to_doc() if self.drift else None,
                "score_drift": self.score_drift.to_doc() if self.score_drift else None}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None, prediction: str = "prediction", score: str | None = None) -> PredictionSummary:
        doc = doc or {}
        drift, score_drift = doc.get("drift"), doc.get("score_drift")
        return cls(current=PredictionLevels.from_doc(doc), reference=PredictionLevels.from_doc(doc.get("reference")),
                   drift=ColumnDriftResult.from_doc(prediction, drift) if drift else None,
                   score_drift=ColumnDriftResult.from_doc(score or "score", score_drift) if score_drift else None)


@dataclasses.dataclass(frozen=True)
class ExplanationSummary:
    """Global importance (mean |SHAP|) of a batch and its attribution drift, or why there is none (``error``)."""

    importance: Mapping[str, float] = dataclasses.field(default_factory=dict)
    explainer: str | None = None
    output: str | None = None
    n_rows: int = 0
    seed: int | None = None
    method: str | None = None
    description: str | None = None
    fallback: bool = False
    ndcg: float | None = None
    ndcg_threshold: float | None = None
    attribution_drift: bool = False
    reference_importance: Mapping[str, float] | None = None
    error: str | None = None

    def to_doc(self) -> dict[str, Any]:
        doc = dataclasses.asdict(self)
        doc["importance"] = dict(self.importance)
        doc["reference_importance"] = dict(self.reference_importance) if self.reference_importance else None
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> ExplanationSummary | None:
        if not doc:
            return None
        ref = doc.get("reference_importance")
        return cls(importance={str(k): float(v) for k, v in (doc.get("importance") or {}).items()},
                   explainer=doc.get("explainer"), output=doc.get("output"), n_rows=int(doc.get("n_rows") or 0),
                   seed=doc.get("seed"), method=doc.get("method"), description=doc.get("description"),
                   fallback=bool(doc.get("fallback")), ndcg=_f(doc.get("ndcg")), ndcg_threshold=_f(doc.get("ndcg_threshold")),
                   attribution_drift=bool(doc.get("attribution_drift")),
                   reference_importance={str(k): float(v) for k, v in ref.items()} if ref else None,
                   error=doc.get("error"))


@dataclasses.dataclass(frozen=True)
class Status:
    """The batch's verdicts at a glance."""

    drifted: bool
    prediction_drifted: bool
    attribution_drift: bool
    critical_findings: int
    labelled: bool

    def to_doc(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Everything the monitor computed for one batch of one model."""

    model: str
    batch_id: str
    ts: str
    n_rows: int
    drift: DriftSummary
    quality: Quality
    prediction: PredictionSummary
    registered_model: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    pipeline_run_id: str | None = None
    labels_at: str | None = None
    source: str | None = None
    engine: str | None = None
    sample_rows: int | None = None
    missing: Mapping[str, float] = dataclasses.field(default_factory=dict)
    performance: Metrics | None = None
    target_drift: ColumnDriftResult | None = None
    estimated: Estimate | None = None
    baseline: Baseline | None = None
    explain: ExplanationSummary | None = None
    computed_at: str | None = None
    """When the store received it (its ``stored_at``); not part of the document's content."""

    @property
    def id(self) -> str:
        return f"snapshot:{self.batch_id}"

    @property
    def time(self) -> dt.datetime:
        return parse_utc(self.ts)

    @property
    def labelled(self) -> bool:
        return self.performance is not None

    @property
    def status(self) -> Status:
        return Status(drifted=self.drift.drifted,
                      prediction_drifted=bool(self.prediction.drift and self.prediction.drift.drifted),
                      attribution_drift=bool(self.explain and self.explain.attribution_drift),
                      critical_findings=self.quality.counts["critical"], labelled=self.labelled)

    def to_doc(self) -> dict[str, Any]:
        """The stored document (JSON-safe once passed through the store)."""
        return {
            "id": self.id, "kind": "snapshot", "model": self.model, "ts": self.ts, "schema_version": SNAPSHOT_SCHEMA,
            "engine": self.engine, "batch_id": self.batch_id, "run_id": self.run_id,
            "registered_model": self.registered_model, "model_version": self.model_version,
            "pipeline_run_id": self.pipeline_run_id, "n_rows": self.n_rows, "labels_at": self.labels_at,
            "source": self.source, "sample_rows": self.sample_rows, "missing": dict(self.missing),
            "quality": self.quality.to_doc(), "drift": self.drift.to_doc(), "prediction": self.prediction.to_doc(),
            "performance": self.performance.to_doc() if self.performance else None,
            "target_drift": self.target_drift.to_doc() if self.target_drift else None,
            "estimated": self.estimated.to_doc() if self.estimated else None,
            "baseline": self.baseline.to_doc() if self.baseline else None,
            "explain": self.explain.to_doc() if self.explain else None,
            "status": self.status.to_doc(),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Snapshot:
        """Read a stored document of any schema this release knows (see :mod:`monitor.snapshots.upgrade`)."""
        from monitor.snapshots.upgrade import upgrade

        d = upgrade(doc)
        prediction = d.get("prediction") or {}
        target = d.get("target_drift")
        return cls(
            model=str(d["model"]), batch_id=str(d["batch_id"]), ts=str(d["ts"]), n_rows=int(d.get("n_rows") or 0),
            drift=DriftSummary.from_doc(d.get("drift") or {}), quality=Quality.from_doc(d.get("quality")),
            prediction=PredictionSummary.from_doc(prediction, "prediction"),
            registered_model=d.get("registered_model"),
            model_version=None if d.get("model_version") is None else str(d["model_version"]),
            run_id=d.get("run_id"), pipeline_run_id=d.get("pipeline_run_id"), labels_at=d.get("labels_at"),
            source=d.get("source"), engine=None if d.get("engine") is None else str(d["engine"]),
            sample_rows=d.get("sample_rows"), missing={str(k): float(v) for k, v in (d.get("missing") or {}).items() if v is not None},
            performance=Metrics.from_doc(d.get("performance")),
            target_drift=ColumnDriftResult.from_doc("target", target) if target else None,
            estimated=Estimate.from_doc(d.get("estimated")), baseline=Baseline.from_doc(d.get("baseline")),
            explain=ExplanationSummary.from_doc(d.get("explain")), computed_at=d.get("computed_at") or d.get("stored_at"),
        )
