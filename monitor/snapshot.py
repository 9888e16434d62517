"""One snapshot per (model, batch): every figure the app shows, computed once and stored.

Pure computation: this module reads no backend. The job (``monitor.job``) loads the batch, its
labels and the model context, calls :func:`compute_snapshot`, and stores the result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from monitor.errors import BatchError
from monitor.performance import (
    EstimationError,
    baseline_performance,
    baseline_plan,
    estimate_performance,
    estimator_from_dict,
    fit_estimator,
    performance,
)
from monitor.spec import ModelSpec
from monitor.store.base import SCHEMA_VERSION, clean_json, to_iso

__all__ = ["ENGINE_VERSION", "ModelContext", "compute_snapshot", "fit_context", "snapshot_id", "profile_id",
           "fingerprint", "spec_digest", "explainer_plan", "explainer_sentence", "baseline_plan"]

# Bumped whenever what a snapshot holds changes, so `monitor run` recomputes old snapshots once.
ENGINE_VERSION = "5"


def snapshot_id(batch_id: str) -> str:
    return f"snapshot:{batch_id}"


def profile_id(version: str) -> str:
    return f"profile:v{version}"


def fingerprint(batch_digest: str | None, labels_digest: str | None, spec: ModelSpec) -> str:
    """What a snapshot was computed from: the batch, its labels, the model's settings and the engine version.

    A change to any of them (labels arriving, a threshold edited in monitor.toml) recomputes the snapshot once.
    """
    return f"{batch_digest or '-'}|{labels_digest or '-'}|{spec_digest(spec)}|{ENGINE_VERSION}"


def spec_digest(spec: ModelSpec) -> str:
    """A short stable digest of a model's onboarding settings."""
    return hashlib.sha256(json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclasses.dataclass
class ModelContext:
    """What is fitted once per model version and reused for every batch it scored."""

    spec: ModelSpec
    version: str
    profile: Any  # monitor.drift.ReferenceProfile
    reference_importance: dict[str, float] | None
    baseline: dict[str, Any]
    explainer: Any = None  # monitor.explain.ModelExplainer, or None when the model cannot be explained
    explain_error: str | None = None
    trained_at: str | None = None
    run_id: str | None = None
    background: pd.DataFrame | None = None
    estimator: Any = None  # monitor.performance.Estimator, or None when performance cannot be estimated
    estimator_note: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": profile_id(self.version), "kind": "profile", "model": self.spec.name,
            "ts": self.trained_at or dt.datetime.now(dt.timezone.utc).isoformat(), "schema_version": SCHEMA_VERSION,
            "engine": ENGINE_VERSION, "spec": spec_digest(self.spec), "version": self.version, "registered_model": self.spec.registered_model,
            "run_id": self.run_id, "profile": self.profile.to_dict(), "reference_importance": self.reference_importance,
            "baseline": self.baseline, "explain_error": self.explain_error, "trained_at": self.trained_at,
            "background": None if self.background is None else self.background.to_dict(orient="list"),
            "estimator": None if self.estimator is None else self.estimator.to_dict(), "estimator_note": self.estimator_note,
        }

    @classmethod
    def from_doc(cls, spec: ModelSpec, doc: Mapping[str, Any], model=None) -> ModelContext:
        """Rebuild a stored context; with the native ``model``, its explainer too."""
        from monitor.drift import ReferenceProfile

        background = pd.DataFrame(doc["background"]) if doc.get("background") else None
        explainer, error = None, doc.get("explain_error")
        if spec.explain.enabled and model is not None and not error:
            explainer, error = _explainer(spec, model, background)
        return cls(spec=spec, version=doc["version"], profile=ReferenceProfile.from_dict(doc["profile"]),
                   reference_importance=doc.get("reference_importance"), baseline=doc.get("baseline") or {},
                   explainer=explainer, explain_error=error, trained_at=doc.get("trained_at"),
                   run_id=doc.get("run_id"), background=background,
                   estimator=estimator_from_dict(doc["estimator"]) if doc.get("estimator") else None,
                   estimator_note=doc.get("estimator_note"))


def _explainer(spec: ModelSpec, model, background: pd.DataFrame | None):
    """(explainer, None) or (None, why the model cannot be explained)."""
    from monitor.explain import ExplainError, ModelExplainer

    try:
        return ModelExplainer(model, list(spec.features), spec.task, background=background, seed=spec.explain.seed,
                              name=spec.name), None
    except ExplainError as exc:
        return None, str(exc)


def explainer_plan(spec: ModelSpec, model, reference: pd.DataFrame) -> tuple[bool, str]:
    """(is it a fallback, one sentence on which explainer the model gets and why), from a quick build."""
    background = reference[list(spec.features)].sample(min(len(reference), 100), random_state=spec.explain.seed)
    explainer, error = _explainer(spec, model, background.reset_index(drop=True))
    if explainer is None:
        return True, f"none: {error}"
    return bool(explainer.fallback_reason), explainer_sentence(explainer)


def explainer_sentence(explainer) -> str:
    """Which explainer a model gets and, for a fallback, why: one sentence for the job's output and the pages."""
    text = getattr(explainer, "description", None)
    if text:
        return text
    because = f" because {explainer.fallback_reason}" if explainer.fallback_reason else ""
    return f"{explainer.kind} explainer ({explainer.method}) of the {explainer.output}{because}"


def _extra_columns(spec: ModelSpec) -> tuple[list[str], list[str]]:
    """Prediction/score/target columns profiled alongside the features: (numeric, categorical)."""
    numeric, categorical = [], []
    if spec.task == "classification":
        categorical.append(spec.prediction)
        if spec.score:
            numeric.append(spec.score)
        if spec.target:
            categorical.append(spec.target)
    else:
        numeric.append(spec.prediction)
        if spec.target:
            numeric.append(spec.target)
    return numeric, categorical


def _predict(spec: ModelSpec, model, frame: pd.DataFrame) -> pd.DataFrame:
    X = frame[list(spec.features)]
    if spec.task == "classification":
        out = pd.DataFrame({spec.prediction: model.predict(X)})
        if spec.score and hasattr(model, "predict_proba"):
            out[spec.score] = model.predict_proba(X)[:, 1]
        return out
    return pd.DataFrame({spec.prediction: model.predict(X)})


def fit_context(spec: ModelSpec, version: str, reference: pd.DataFrame, model, *, trained_at: str | None = None,
                run_id: str | None = None, validation: pd.DataFrame | None = None) -> ModelContext:
    """Fit the reference profile, the explainer and the baseline of one model version.

    The performance baseline is measured on ``validation`` (labelled rows the model did not train
    on) when given, else by cross-validation on the reference (see :mod:`monitor.performance`).
    """
    from monitor.drift import ReferenceProfile

    missing = [c for c in spec.features if c not in reference.columns]
    if missing:
        raise BatchError(f"model '{spec.name}': reference data lacks feature column(s) {', '.join(missing)}")
    if reference.empty:
        raise BatchError(f"model '{spec.name}': reference data is empty")
    ref = reference.reset_index(drop=True)
    preds = _predict(spec, model, ref) if model is not None else pd.DataFrame(index=ref.index)
    ref = pd.concat([ref.drop(columns=[c for c in preds.columns if c in ref.columns]), preds], axis=1)
    extra_num, extra_cat = _extra_columns(spec)
    extra_num = [c for c in extra_num if c in ref.columns]
    extra_cat = [c for c in extra_cat if c in ref.columns]
    profile = ReferenceProfile.fit(ref, spec.numeric_features, spec.categorical_features,
                                   extra_numeric=extra_num, extra_categorical=extra_cat)
    baseline: dict[str, Any] = {"n_rows": len(ref), "prediction": _prediction_summary(spec, ref)}
    estimator, estimator_note = None, None
    if spec.target:
        honest = baseline_performance(spec, model, reference.reset_index(drop=True), validation, seed=spec.explain.seed)
        if honest.metrics is not None:
            baseline["performance"] = honest.metrics
        baseline["performance_source"] = honest.source
        estimator, estimator_note = _fit_estimator(spec, honest.unseen)
    explainer, importance, error, background = None, None, None, None
    if spec.explain.enabled and model is not None:
        from monitor.explain import ExplainError

        background = ref[list(spec.features)].sample(min(len(ref), 100), random_state=spec.explain.seed).reset_index(drop=True)
        explainer, error = _explainer(spec, model, background)
        if explainer is not None:
            try:
                importance = explainer.global_importance(ref[list(spec.features)], sample_size=spec.explain.sample_size,
                                                         seed=spec.explain.seed).to_dict()["importance"]
            except ExplainError as exc:
                explainer, error = None, str(exc)
    return ModelContext(spec, str(version), profile, importance, clean_json(baseline), explainer, error, trained_at, run_id,
                        background, estimator, estimator_note)


def _fit_estimator(spec: ModelSpec, unseen: pd.DataFrame | None):
    """(estimator, None), or (None, why performance cannot be estimated before labels arrive)."""
    if unseen is None:
        return None, "no labelled rows the model did not train on (log validation data with the reference)"
    try:
        estimator = fit_estimator(spec.task, unseen[spec.target], unseen[spec.prediction],
                                  score=unseen[spec.score] if spec.score and spec.score in unseen.columns else None,
                                  features=unseen[list(spec.features)], seed=spec.explain.seed)
        return estimator, None
    except EstimationError as exc:
        return None, str(exc)


def _estimate(spec: ModelSpec, batch: pd.DataFrame, ctx: ModelContext) -> dict[str, Any] | None:
    """Estimated performance of the batch (marked as such), or a note saying why there is none."""
    if not spec.target:
        return None
    if ctx.estimator is None:
        return {"note": ctx.estimator_note or "performance cannot be estimated for this model"}
    missing = [c for c in spec.features if c not in batch.columns]
    if missing:
        return {"note": f"feature column(s) {', '.join(missing)} missing from the batch; no estimate"}
    score = batch[spec.score] if spec.score and spec.score in batch.columns else None
    try:
        result = estimate_performance(ctx.estimator, batch[spec.prediction], score=score,
                                      features=batch[list(spec.features)], seed=spec.explain.seed)
    except EstimationError as exc:
        return {"note": str(exc)}
    bands, level = result.pop("bands", {}), result.pop("band_level", None)
    method, n = result.pop("method", None), result.pop("n", None)
    return {"metrics": result, "bands": bands, "band_level": level, "method": method, "n": n}


def _prediction_summary(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, Any]:
    if spec.prediction not in frame.columns:
        return {}
    pred = pd.to_numeric(frame[spec.prediction], errors="coerce")
    out = {"mean": float(pred.mean()), "std": float(pred.std(ddof=0)), "n": int(pred.notna().sum())}
    if spec.task == "classification":
        out["positive_rate"] = float((pred == 1).mean())
        if spec.score and spec.score in frame.columns:
            out["score_mean"] = float(pd.to_numeric(frame[spec.score], errors="coerce").mean())
    return out


def compute_snapshot(spec: ModelSpec, info, batch: pd.DataFrame, labels: pd.Series | None, ctx: ModelContext,
                     summary=None) -> dict[str, Any]:
    """The snapshot document of one batch. Problems with single columns become findings, not errors.

    For a batch logged from Spark, ``summary`` is its stored summary (``monitor.spark.summary_of``) and
    ``batch`` its row sample: drift, data quality and the prediction figures come from the summary of the
    whole batch, explanations and estimates from the sample.
    """
    from monitor.drift import column_drift, compute_drift, data_quality

    n_rows = len(batch) if summary is None else summary.n_rows
    columns = batch.columns if summary is None else summary.columns
    if n_rows == 0:
        raise BatchError(f"model '{spec.name}' batch '{info.batch_id}': the batch is empty")
    if spec.prediction not in columns:
        raise BatchError(f"model '{spec.name}' batch '{info.batch_id}': prediction column '{spec.prediction}' is missing "
                         f"(logged columns: {', '.join(map(str, columns))})")
    whole = batch if summary is None else summary
    column = (lambda c: batch[c]) if summary is None else (lambda c: summary.columns[c])
    expected = list(spec.batch_columns)
    findings = list(data_quality(ctx.profile, whole, expected))
    weights = _normalised(ctx.reference_importance)
    report = compute_drift(ctx.profile, whole, spec.drift, weights=weights).to_dict()
    if summary is None:
        figures = _prediction_summary(spec, batch)
        missing = {c: float(batch[c].isna().mean()) for c in expected if c in batch.columns}
    else:
        from monitor.spark import prediction_figures

        figures = prediction_figures(spec, summary)
        missing = {c: summary.columns[c].n_missing / summary.columns[c].n for c in expected
                   if c in summary.columns and summary.columns[c].n}
    prediction: dict[str, Any] = {**figures, "reference": ctx.baseline.get("prediction", {})}
    prediction["drift"] = column_drift(ctx.profile, spec.prediction, column(spec.prediction)).to_dict()
    if spec.score and spec.score in columns:
        prediction["score_drift"] = column_drift(ctx.profile, spec.score, column(spec.score)).to_dict()
    perf, target_drift = None, None
    if labels is not None and spec.target and summary is None:
        if len(labels) != len(batch):
            findings.append({"check": "labels", "column": spec.target, "severity": "critical", "value": len(labels),
                             "detail": f"{len(labels)} labels for {len(batch)} rows: labels ignored"})
        else:
            perf = performance(spec.task, labels, batch[spec.prediction],
                               batch[spec.score] if spec.score and spec.score in batch.columns else None)
            perf["labels_at"] = info.labels_at
            target_drift = column_drift(ctx.profile, spec.target, labels.reset_index(drop=True)).to_dict()
    explain = _explain(spec, batch, ctx)
    estimated = _estimate(spec, batch, ctx)
    doc = {
        "id": snapshot_id(info.batch_id), "kind": "snapshot", "model": spec.name, "ts": to_iso(info.batch_time),
        "schema_version": SCHEMA_VERSION, "engine": ENGINE_VERSION, "batch_id": info.batch_id, "run_id": info.run_id,
        "registered_model": spec.registered_model, "model_version": info.model_version,
        "pipeline_run_id": info.pipeline_run_id, "n_rows": n_rows, "labels_at": info.labels_at,
        "source": fingerprint(info.digest, info.labels_digest, spec), "sample_rows": None if summary is None else len(batch),
        "missing": missing,
        "quality": {"findings": findings, "counts": _severity_counts(findings)},
        "drift": report, "prediction": prediction, "performance": perf, "target_drift": target_drift,
        "estimated": estimated,
        "baseline": ctx.baseline.get("performance"), "baseline_source": ctx.baseline.get("performance_source"),
        "explain": explain,
    }
    doc["status"] = _status(doc, spec)
    return clean_json(doc)


def _normalised(weights: Mapping[str, float] | None) -> dict[str, float] | None:
    if not weights:
        return None
    total = sum(max(v, 0.0) for v in weights.values())
    return {k: max(v, 0.0) / total for k, v in weights.items()} if total > 0 else None


def _severity_counts(findings: list[Mapping[str, Any]]) -> dict[str, int]:
    counts = {"critical": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.get("severity", "info")] = counts.get(f.get("severity", "info"), 0) + 1
    return counts


def _explain(spec: ModelSpec, batch: pd.DataFrame, ctx: ModelContext) -> dict[str, Any] | None:
    if not spec.explain.enabled:
        return None
    if ctx.explainer is None:
        return {"error": ctx.explain_error or "no explainer for this model"}
    from monitor.explain import ExplainError, ndcg

    missing = [c for c in spec.features if c not in batch.columns]
    if missing:
        return {"error": f"feature column(s) {', '.join(missing)} missing from the batch; no explanation"}
    try:
        result = ctx.explainer.global_importance(batch[list(spec.features)], sample_size=spec.explain.sample_size,
                                                 seed=spec.explain.seed).to_dict()
    except ExplainError as exc:
        return {"error": str(exc)}
    score = ndcg(ctx.reference_importance, result["importance"]) if ctx.reference_importance else None
    result.update({"ndcg": score, "ndcg_threshold": spec.explain.ndcg_threshold, "description": explainer_sentence(ctx.explainer),
                   "fallback": bool(ctx.explainer.fallback_reason),
                   "attribution_drift": bool(score is not None and score < spec.explain.ndcg_threshold),
                   "reference_importance": ctx.reference_importance})
    return result


def _status(doc: Mapping[str, Any], spec: ModelSpec) -> dict[str, Any]:
    overall = (doc.get("drift") or {}).get("overall", {})
    explain = doc.get("explain") or {}
    return {
        "drifted": bool(overall.get("drifted")),
        "prediction_drifted": bool((doc["prediction"].get("drift") or {}).get("drifted")),
        "attribution_drift": bool(explain.get("attribution_drift")),
        "critical_findings": doc["quality"]["counts"].get("critical", 0),
        "labelled": doc.get("performance") is not None,
    }
