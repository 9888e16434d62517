"""Snapshots turned into the tables the pages show. Pure functions of stored documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["drift_label", "overall_frame", "feature_table", "findings_frame", "importance_frame", "distribution_frame",
           "performance_frame", "PERFORMANCE_METRICS"]


def overall_frame(snapshots: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per batch: overall drift, prediction drift, attribution drift and where the verdict flipped."""
    rows = []
    for s in snapshots:
        overall = (s.get("drift") or {}).get("overall") or {}
        explain = s.get("explain") or {}
        pred = (s.get("prediction") or {}).get("drift") or {}
        rows.append({
            "batch_id": s["batch_id"], "batch_time": pd.Timestamp(s["ts"]), "model_version": s.get("model_version"),
            "n_rows": s.get("n_rows"), "share_drifted": overall.get("share_drifted"),
            "weighted_score": overall.get("weighted_score"), "n_drifted": overall.get("n_drifted"),
            "n_features": overall.get("n_features"), "drifted": bool(overall.get("drifted")),
            "share_threshold": overall.get("share_threshold"), "prediction_statistic": pred.get("statistic"),
            "prediction_drifted": bool(pred.get("drifted")), "ndcg": explain.get("ndcg"),
            "attribution_drift": bool(explain.get("attribution_drift")),
            "critical_findings": ((s.get("quality") or {}).get("counts") or {}).get("critical", 0),
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["flipped"] = frame["drifted"].ne(frame["drifted"].shift()) & frame.index.to_series().gt(0)
    return frame


def feature_table(snapshot: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Per-feature drift of one batch, with the change of the statistic since the previous batch."""
    features = (snapshot.get("drift") or {}).get("features") or {}
    before = ((previous or {}).get("drift") or {}).get("features") or {}
    importance = (snapshot.get("explain") or {}).get("importance") or {}
    rows = []
    for col, r in features.items():
        prev = (before.get(col) or {}).get("statistic")
        stat = r.get("statistic")
        rows.append({
            "feature": col, "kind": r.get("kind"), "method": r.get("method"), "statistic": stat,
            "threshold": r.get("threshold"), "drifted": bool(r.get("drifted")),
            "change": (stat - prev) if stat is not None and prev is not None else None,
            "p_value": r.get("p_value"), "missing_ref": r.get("missing_ref"), "missing_cur": r.get("missing_cur"),
            "unseen_share": r.get("unseen_share"), "importance": importance.get(col), "error": r.get("error"),
        })
    frame = pd.DataFrame(rows)
    return frame.sort_values(["drifted", "statistic"], ascending=[False, False], na_position="last").reset_index(drop=True) \
        if not frame.empty else frame


def distribution_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """Reference vs current proportions of one column's drift result, long format for a grouped bar chart."""
    dist = result.get("dist") or {}
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


def findings_frame(snapshots: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Every data-quality finding of the given snapshots, newest batch first."""
    rows = []
    for s in snapshots:
        for f in (s.get("quality") or {}).get("findings") or []:
            rows.append({"batch_time": pd.Timestamp(s["ts"]), "batch_id": s["batch_id"], **f})
    frame = pd.DataFrame(rows, columns=["batch_time", "batch_id", "check", "column", "severity", "detail", "value"])
    return frame.sort_values("batch_time", ascending=False).reset_index(drop=True)


def importance_frame(snapshots: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Long format: batch time, feature, mean |SHAP| (batches without explanations are left out)."""
    rows = []
    for s in snapshots:
        for col, v in ((s.get("explain") or {}).get("importance") or {}).items():
            rows.append({"batch_time": pd.Timestamp(s["ts"]), "batch_id": s["batch_id"], "feature": col, "importance": v})
    return pd.DataFrame(rows, columns=["batch_time", "batch_id", "feature", "importance"])


def drift_label(result: Mapping[str, Any]) -> str:
    """One line for a column's drift result: method, statistic and verdict (or why there is none)."""
    if result.get("error") or result.get("statistic") is None:
        return f"not computed: {result.get('error') or 'no statistic'}"
    return f"{result.get('method')} = {result['statistic']:.4f} ({'drift' if result.get('drifted') else 'no drift'})"


PERFORMANCE_METRICS = {
    "classification": ("auc", "accuracy", "precision", "recall", "f1", "log_loss"),
    "regression": ("mae", "rmse", "mape", "r2"),
}
"""The metrics the performance view offers, per task; the first is each task's main metric."""


def _band(block: Mapping[str, Any] | None, metric: str) -> tuple[Any, Any]:
    band = ((block or {}).get("bands") or {}).get(metric) or (None, None)
    return band[0], band[1]


def performance_frame(snapshots: Sequence[Mapping[str, Any]], metric: str) -> pd.DataFrame:
    """One row per batch: the realized ``metric`` (once labels arrived) and the estimated one, each with its band,
    and the baseline it is compared with."""
    rows = []
    for s in snapshots:
        realized = s.get("performance") or {}
        estimated = (s.get("estimated") or {}) if (s.get("estimated") or {}).get("metrics") else {}
        base = s.get("baseline") or {}
        r_low, r_high = _band(realized, metric)
        e_low, e_high = _band(estimated, metric)
        b_low, b_high = _band(base, metric)
        rows.append({
            "batch_id": s["batch_id"], "batch_time": pd.Timestamp(s["ts"]), "labelled": bool(realized),
            "realized": realized.get(metric), "realized_low": r_low, "realized_high": r_high,
            "estimated": (estimated.get("metrics") or {}).get(metric), "estimated_low": e_low, "estimated_high": e_high,
            "baseline": base.get(metric), "baseline_low": b_low, "baseline_high": b_high,
            "n_labelled": realized.get("n_labelled"), "labels_at": realized.get("labels_at"),
        })
    columns = ["batch_id", "batch_time", "labelled", "realized", "realized_low", "realized_high", "estimated",
               "estimated_low", "estimated_high", "baseline", "baseline_low", "baseline_high", "n_labelled", "labels_at"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["status"] = [_performance_status(metric, r if r is not None and not pd.isna(r) else e, b)
                       for r, e, b in zip(frame["realized"], frame["estimated"], frame["baseline"], strict=True)]
    return frame


def _performance_status(metric: str, value, baseline) -> str:
    """ok / warn / alert of one batch's (realized, else estimated) metric against the baseline, as on Model health."""
    from monitor.kpis import _HIGHER_BETTER, PERFORMANCE_LEVELS, _level, _relative_loss

    if metric not in _HIGHER_BETTER or value is None or pd.isna(value) or baseline is None or pd.isna(baseline):
        return "none"
    return _level(_relative_loss(metric, float(value), float(baseline)), PERFORMANCE_LEVELS)
