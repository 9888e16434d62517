"""The snapshot of one batch: every figure the app shows, computed once by the job and stored.

Pure computation: this module reads no backend. The job (``monitor.job``) loads the batch, its
labels and the model context, calls :func:`compute_snapshot`, and stores ``snapshot.to_doc()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from monitor.errors import BatchError
from monitor.jsonsafe import clean_json
from monitor.performance import EstimationError, estimate_performance, performance
from monitor.snapshots.context import ENGINE_VERSION, ModelContext, explainer_sentence, fingerprint, prediction_levels
from monitor.snapshots.types import (
    Baseline,
    ColumnDriftResult,
    DriftSummary,
    Estimate,
    ExplanationSummary,
    Finding,
    Metrics,
    PredictionLevels,
    PredictionSummary,
    Quality,
    Snapshot,
)
from monitor.spec import ModelSpec
from monitor.timeutil import to_iso

__all__ = ["compute_snapshot"]


def _drift_result(column: str, result) -> ColumnDriftResult:
    return ColumnDriftResult.from_doc(column, clean_json(result.to_dict()))


def compute_snapshot(spec: ModelSpec, info, batch: pd.DataFrame, labels: pd.Series | None, ctx: ModelContext,
                     summary=None) -> Snapshot:
    """The snapshot of one batch. Problems with single columns become findings, not errors.

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
    findings = [Finding.from_doc(clean_json(f)) for f in data_quality(ctx.profile, whole, expected)]
    drift = DriftSummary.from_doc(clean_json(compute_drift(ctx.profile, whole, spec.drift,
                                                           weights=_normalised(ctx.reference_importance)).to_dict()))
    if summary is None:
        figures = prediction_levels(spec, batch)
        missing = {c: float(batch[c].isna().mean()) for c in expected if c in batch.columns}
    else:
        from monitor.spark import prediction_figures

        figures = prediction_figures(spec, summary)
        missing = {c: summary.columns[c].n_missing / summary.columns[c].n for c in expected
                   if c in summary.columns and summary.columns[c].n}
    prediction = PredictionSummary(
        current=PredictionLevels.from_doc(clean_json(figures)),
        reference=PredictionLevels.from_doc(ctx.baseline.get("prediction")),
        drift=_drift_result(spec.prediction, column_drift(ctx.profile, spec.prediction, column(spec.prediction))),
        score_drift=_drift_result(spec.score, column_drift(ctx.profile, spec.score, column(spec.score)))
        if spec.score and spec.score in columns else None)
    perf, target_drift = None, None
    if labels is not None and spec.target and summary is None:
        if len(labels) != len(batch):
            findings.append(Finding("labels", spec.target, "critical",
                                    f"{len(labels)} labels for {len(batch)} rows: labels ignored", len(labels)))
        else:
            measured = performance(spec.task, labels, batch[spec.prediction],
                                   batch[spec.score] if spec.score and spec.score in batch.columns else None)
            perf = _metrics(clean_json(measured), info.labels_at)
            target_drift = _drift_result(spec.target, column_drift(ctx.profile, spec.target, labels.reset_index(drop=True)))
    base = ctx.baseline.get("performance")
    baseline = None
    if base or ctx.baseline.get("performance_source"):
        block = _metrics(base or {}, None)
        baseline = Baseline(block.values, block.bands, ctx.baseline.get("performance_source"))
    return Snapshot(
        model=spec.name, batch_id=info.batch_id, ts=to_iso(info.batch_time), n_rows=int(n_rows), drift=drift,
        quality=Quality(tuple(findings)), prediction=prediction, registered_model=spec.registered_model,
        model_version=None if info.model_version is None else str(info.model_version), run_id=info.run_id,
        pipeline_run_id=info.pipeline_run_id, labels_at=info.labels_at,
        source=fingerprint(info.digest, info.labels_digest, spec), engine=ENGINE_VERSION,
        sample_rows=None if summary is None else len(batch), missing=missing, performance=perf, target_drift=target_drift,
        estimated=_estimate(spec, batch, ctx), baseline=baseline, explain=_explain(spec, batch, ctx),
    )


def _metrics(measured: Mapping[str, Any], labels_at: str | None) -> Metrics:
    values = {k: float(v) for k, v in measured.items()
              if k not in ("bands", "band_level", "n_labelled") and isinstance(v, int | float) and not isinstance(v, bool)}
    bands = {k: (v[0], v[1]) for k, v in (measured.get("bands") or {}).items() if v is not None}
    return Metrics(values, bands, measured.get("band_level"), int(measured.get("n_labelled") or 0), labels_at)


def _estimate(spec: ModelSpec, batch: pd.DataFrame, ctx: ModelContext) -> Estimate | None:
    """Estimated performance of the batch (marked as such), or a note saying why there is none."""
    if not spec.target:
        return None
    if ctx.estimator is None:
        return Estimate(note=ctx.estimator_note or "performance cannot be estimated for this model")
    missing = [c for c in spec.features if c not in batch.columns]
    if missing:
        return Estimate(note=f"feature column(s) {', '.join(missing)} missing from the batch; no estimate")
    score = batch[spec.score] if spec.score and spec.score in batch.columns else None
    try:
        result = clean_json(estimate_performance(ctx.estimator, batch[spec.prediction], score=score,
                                                 features=batch[list(spec.features)], seed=spec.explain.seed))
    except EstimationError as exc:
        return Estimate(note=str(exc))
    bands, level = result.pop("bands", {}) or {}, result.pop("band_level", None)
    method, n = result.pop("method", None), result.pop("n", None)
    return Estimate(values={k: float(v) for k, v in result.items() if v is not None},
                    bands={k: (v[0], v[1]) for k, v in bands.items() if v is not None}, band_level=level,
                    method=method, n=int(n or 0))


def _normalised(weights: Mapping[str, float] | None) -> dict[str, float] | None:
    if not weights:
        return None
    total = sum(max(v, 0.0) for v in weights.values())
    return {k: max(v, 0.0) / total for k, v in weights.items()} if total > 0 else None


def _explain(spec: ModelSpec, batch: pd.DataFrame, ctx: ModelContext) -> ExplanationSummary | None:
    if not spec.explain.enabled:
        return None
    if ctx.explainer is None:
        return ExplanationSummary(error=ctx.explain_error or "no explainer for this model")
    from monitor.explain import ExplainError, ndcg

    missing = [c for c in spec.features if c not in batch.columns]
    if missing:
        return ExplanationSummary(error=f"feature column(s) {', '.join(missing)} missing from the batch; no explanation")
    try:
        result = ctx.explainer.global_importance(batch[list(spec.features)], sample_size=spec.explain.sample_size,
                                                 seed=spec.explain.seed).to_dict()
    except ExplainError as exc:
        return ExplanationSummary(error=str(exc))
    score = ndcg(ctx.reference_importance, result["importance"]) if ctx.reference_importance else None
    return ExplanationSummary.from_doc(clean_json({
        **result, "ndcg": score, "ndcg_threshold": spec.explain.ndcg_threshold,
        "description": explainer_sentence(ctx.explainer), "fallback": bool(ctx.explainer.fallback_reason),
        "attribution_drift": bool(score is not None and score < spec.explain.ndcg_threshold),
        "reference_importance": ctx.reference_importance}))
