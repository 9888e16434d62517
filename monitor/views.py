"""Snapshots turned into the tables the pages show and export. Pure functions of typed snapshots."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from monitor.figures import performance_status
from monitor.snapshots.types import ColumnDriftResult, Snapshot

__all__ = ["drift_label", "overall_frame", "feature_table", "findings_frame", "importance_frame", "distribution_frame",
           "performance_frame", "drift_matrix", "drifting_since", "drifting_since_frame", "PERFORMANCE_METRICS", "FEATURE_COLUMNS"]


def overall_frame(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """One row per batch: dataset drift, prediction drift, attribution drift and where the verdict flipped."""
    rows = []
    for s in snapshots:
        pred = s.prediction.drift
        rows.append({
            "batch_id": s.batch_id, "batch_time": pd.Timestamp(s.ts), "model_version": s.model_version,
            "n_rows": s.n_rows, "share_drifted": s.drift.share_drifted, "weighted_score": s.drift.weighted_score,
            "n_drifted": s.drift.n_drifted, "n_features": s.drift.n_features, "drifted": s.drift.drifted,
            "share_threshold": s.drift.share_threshold, "drifted_features": ", ".join(s.drift.drifted_features),
            "prediction_statistic": pred.statistic if pred else None, "prediction_drifted": bool(pred and pred.drifted),
            "positive_rate": s.prediction.current.positive_rate, "prediction_mean": s.prediction.current.mean,
            "ndcg": s.explain.ndcg if s.explain else None,
            "attribution_drift": bool(s.explain and s.explain.attribution_drift),
            "critical_findings": s.quality.counts["critical"],
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["flipped"] = frame["drifted"].ne(frame["drifted"].shift()) & frame.index.to_series().gt(0)
    return frame


FEATURE_COLUMNS = {
    "feature": "Feature", "drifted": "Drifted", "importance": "Importance (mean |SHAP|)", "statistic": "Drift statistic",
    "threshold": "Threshold", "change": "Change since previous batch", "method": "Method", "kind": "Kind",
    "p_value": "p-value", "missing_ref": "Missing (reference)", "missing_cur": "Missing (this batch)",
    "unseen_share": "Unseen categories", "error": "Problem",
}
"""Column names of the feature table as the page shows them (the CSV keeps the short names)."""


def feature_table(snapshot: Snapshot, previous: Snapshot | None = None) -> pd.DataFrame:
    """Per-feature drift of one batch, drifted first, with the change of the statistic since the previous batch."""
    before = previous.drift.features if previous is not None else {}
    importance = snapshot.explain.importance if snapshot.explain else {}
    rows = []
    for col, r in snapshot.drift.features.items():
        prev = before[col].statistic if col in before else None
        rows.append({
            "feature": col, "drifted": r.drifted, "importance": importance.get(col), "statistic": r.statistic,
            "threshold": r.threshold, "change": (r.statistic - prev) if r.statistic is not None and prev is not None else None,
            "method": r.method, "kind": r.kind, "p_value": r.p_value, "missing_ref": r.missing_ref,
            "missing_cur": r.missing_cur, "unseen_share": r.unseen_share, "error": r.error or "",
        })
    frame = pd.DataFrame(rows, columns=list(FEATURE_COLUMNS))
    return frame.sort_values(["drifted", "statistic"], ascending=[False, False], na_position="last").reset_index(drop=True)


def drift_matrix(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """Long format, one row per (batch, feature): the drift statistic relative to its threshold and the verdict.

    ``relative`` is statistic / threshold for methods that flag a statistic at or above the threshold, and
    threshold / p-value for p-value tests, so 1 is the line in both cases and above 1 is drift.
    """
    rows = []
    for s in snapshots:
        for col, r in s.drift.features.items():
            rows.append({"batch_id": s.batch_id, "batch_time": pd.Timestamp(s.ts), "feature": col,
                         "statistic": r.statistic, "threshold": r.threshold, "drifted": r.drifted,
                         "relative": _relative(r)})
    return pd.DataFrame(rows, columns=["batch_id", "batch_time", "feature", "statistic", "threshold", "drifted", "relative"])


def _relative(r: ColumnDriftResult) -> float | None:
    if r.statistic is None or not r.threshold:
        return None
    if " < " in r.rule:  # a p-value test: drift when p < threshold
        return r.threshold / r.statistic if r.statistic > 0 else float("inf")
    return r.statistic / r.threshold


def drifting_since(snapshots: Sequence[Snapshot]) -> dict[str, Snapshot]:
    """For each feature drifted in the latest batch: the first batch of its unbroken run of drifted batches."""
    if not snapshots:
        return {}
    since: dict[str, Snapshot] = {}
    for col in snapshots[-1].drift.drifted_features:
        first = snapshots[-1]
        for s in reversed(snapshots):
            r = s.drift.features.get(col)
            if r is None or not r.drifted:
                break
            first = s
        since[col] = first
    return since


def drifting_since_frame(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """:func:`drifting_since` of the last batch as a table: feature, first day of its run, and how many batches long."""
    ids = [s.batch_id for s in snapshots]
    rows = [{"feature": c, "since": s.ts[:10], "batches": len(ids) - ids.index(s.batch_id)}
            for c, s in drifting_since(snapshots).items()]
    return pd.DataFrame(rows, columns=["feature", "since", "batches"])


def distribution_frame(result: ColumnDriftResult | None) -> pd.DataFrame:
    """Reference vs current proportions of one column's drift result, long format for a grouped bar chart."""
    dist = result.dist if result is not None else {}
    labels = dist.get("labels") or dist.get("categories")
    if labels is None and dist.get("edges") is not None:
        edges = dist["edges"]
        n = len(dist.get("ref") or [])
        if n == len(edges) + 1:  # under/overflow bins at both ends
            labels = [f"< {edges[0]:.4g}"] + [f"{a:.4g} – {b:.4g}" for a, b in zip(edges[:-1], edges[1:], strict=False)] + [f"≥ {edges[-1]:.4g}"]
        else:
            labels = [f"{a:.4g} – {b:.4g}" for a, b in zip(edges[:-1], edges[1:], strict=False)]
    if not labels:
        return pd.DataFrame(columns=["bin", "sample", "share"])
    ref, cur = dist.get("ref") or [], dist.get("cur") or []
    rows = [{"bin": str(b), "sample": "reference", "share": v} for b, v in zip(labels, ref, strict=False)]
    rows += [{"bin": str(b), "sample": "current", "share": v} for b, v in zip(labels, cur, strict=False)]
    return pd.DataFrame(rows)


SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def findings_frame(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """Every data-quality finding of the given snapshots: critical first, then by column, newest batch first."""
    rows = [{"batch_time": pd.Timestamp(s.ts), "batch_id": s.batch_id, "check": f.check, "column": f.column,
             "severity": f.severity, "detail": f.detail, "value": f.value}
            for s in snapshots for f in s.quality.findings]
    frame = pd.DataFrame(rows, columns=["batch_time", "batch_id", "check", "column", "severity", "detail", "value"])
    if frame.empty:
        return frame
    frame["_rank"] = frame["severity"].map(SEVERITY_ORDER).fillna(3)
    frame = frame.sort_values(["_rank", "column", "batch_time"], ascending=[True, True, False], na_position="last")
    return frame.drop(columns="_rank").reset_index(drop=True)


def importance_frame(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """Long format: batch time, feature, mean |SHAP| (batches without explanations are left out)."""
    rows = [{"batch_time": pd.Timestamp(s.ts), "batch_id": s.batch_id, "feature": col, "importance": v}
            for s in snapshots if s.explain for col, v in s.explain.importance.items()]
    return pd.DataFrame(rows, columns=["batch_time", "batch_id", "feature", "importance"])


def drift_label(result: ColumnDriftResult | None) -> str:
    """One line for a column's drift result: method, statistic and verdict (or why there is none)."""
    if result is None:
        return "not computed: no drift result stored for this column"
    if not result.computed:
        return f"not computed: {result.error or 'no statistic'}"
    return f"{result.method} = {result.statistic:.4f} ({'drift' if result.drifted else 'no drift'})"


PERFORMANCE_METRICS = {
    "classification": ("auc", "accuracy", "precision", "recall", "f1", "log_loss"),
    "regression": ("mae", "rmse", "mape", "r2"),
}
"""The metrics the performance view offers, per task; the first is each task's main metric."""


def performance_frame(snapshots: Sequence[Snapshot], metric: str) -> pd.DataFrame:
    """One row per batch: the realized ``metric`` (once labels arrived) and the estimated one, each with its band,
    the baseline it is compared with, and the batch's status against it (as on Model health)."""
    rows = []
    for s in snapshots:
        realized, estimated, base = s.performance, s.estimated, s.baseline
        r_band = realized.bands.get(metric, (None, None)) if realized else (None, None)
        e_band = estimated.bands.get(metric, (None, None)) if estimated and estimated.values else (None, None)
        b_band = base.bands.get(metric, (None, None)) if base else (None, None)
        value_r = realized.get(metric) if realized else None
        value_e = estimated.get(metric) if estimated else None
        value_b = base.get(metric) if base else None
        rows.append({
            "batch_id": s.batch_id, "batch_time": pd.Timestamp(s.ts), "labelled": realized is not None,
            "realized": value_r, "realized_low": r_band[0], "realized_high": r_band[1],
            "estimated": value_e, "estimated_low": e_band[0], "estimated_high": e_band[1],
            "baseline": value_b, "baseline_low": b_band[0], "baseline_high": b_band[1],
            "n_labelled": realized.n_labelled if realized else None, "labels_at": realized.labels_at if realized else None,
            "status": performance_status(metric, value_r if value_r is not None else value_e, value_b),
        })
    columns = ["batch_id", "batch_time", "labelled", "realized", "realized_low", "realized_high", "estimated",
               "estimated_low", "estimated_high", "baseline", "baseline_low", "baseline_high", "n_labelled", "labels_at",
               "status"]
    return pd.DataFrame(rows, columns=columns)
