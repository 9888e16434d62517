"""Drift of a batch against a reference profile: per column, and for the whole batch."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.config import DEFAULTS, DriftSpec, default_method
from monitor.drift.methods import get_method
from monitor.drift.profile import ReferenceProfile
from monitor.drift.result import ColumnDriftResult, DriftSummary, Finding
from monitor.drift.summary import (
    CategoricalBatch,
    CategoricalSummary,
    ColumnError,
    NumericBatch,
    NumericSummary,
    Scratch,
    aligned_counts,
    batch_of_summary,
)

Summary = NumericSummary | CategoricalSummary
Batch = NumericBatch | CategoricalBatch

__all__ = ["ColumnDrift", "DriftReport", "compute_drift", "column_drift", "default_method", "DEFAULTS",
           "MIN_REFERENCE_VALUES"]

DIST_CATEGORIES = 30
MIN_REFERENCE_VALUES = 30
"""Fewer usable reference values than this say nothing about drift: the column gets an error, not a verdict."""


@dataclasses.dataclass(frozen=True)
class ColumnDrift(ColumnDriftResult):
    """Drift of one column. ``statistic``/``threshold`` read as the method's rule says; ``notes`` are the data
    problems met on the way, which :func:`compute_drift` turns into findings."""

    notes: tuple[tuple[str, str, str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The stored form (see :meth:`ColumnDriftResult.to_doc`), finite numbers only."""
        return self.to_doc()


@dataclasses.dataclass(frozen=True)
class DriftReport(DriftSummary):
    """Drift of a batch as the engine computes it: per-feature results (with their notes), the dataset verdict and
    the problems met on the way, as :class:`monitor.drift.result.Finding` records."""

    def to_dict(self) -> dict[str, Any]:
        """The stored form (see :meth:`DriftSummary.to_doc`)."""
        return self.to_doc()


def _f(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def finding(check: str, column: str | None, severity: str, detail: str, value: Any = None) -> dict[str, Any]:
    """A data-quality or computation finding, JSON-safe."""
    return {"check": check, "column": column, "severity": severity, "detail": detail, "value": _f(value) if isinstance(value, float) else value}


# ----------------------------------------------------------------------------------------------


def _resolve(profile: ReferenceProfile, column: str, spec: DriftSpec) -> tuple[str, float | None]:
    return spec.method_for(column, profile.kind_of(column))


def column_drift(profile: ReferenceProfile, column: str, values: pd.Series | Summary, method: str | None = None,
                 threshold: float | None = None) -> ColumnDrift:
    """Drift of one column (a feature, the prediction or the target) against its profile.

    ``values`` is the batch column, or its summary: the column's entry of a
    :class:`ReferenceProfile` fitted on the batch (as a batch logged from Spark stores it).
    Raises ``KeyError`` for a column absent from the profile and ``ValueError`` for an unknown
    method; problems with the data itself come back in ``ColumnDrift.error``.
    """
    return _column_drift(profile, column, values, method, threshold)


def batch_column(ref: Summary, column: str, values: pd.Series | Summary, scratch: Scratch | None = None) -> Batch:
    """The batch column as the drift methods read it, from the values or from a summary of them."""
    if isinstance(values, NumericSummary | CategoricalSummary):
        return batch_of_summary(ref, values, column)
    return NumericBatch.of(values, column, scratch) if ref.kind == "numeric" else CategoricalBatch.of(values, ref.counts)


def dtype_of(values: pd.Series | Summary) -> tuple[str, bool]:
    """(dtype name, whether it is a numeric dtype) of a batch column or of its summary."""
    if isinstance(values, NumericSummary | CategoricalSummary):
        try:
            return values.dtype, pd.api.types.is_numeric_dtype(np.dtype(values.dtype))
        except TypeError:
            return values.dtype, False
    return str(values.dtype), pd.api.types.is_numeric_dtype(values.dtype)


def _column_drift(profile: ReferenceProfile, column: str, values: pd.Series | Summary, method: str | None,
                  threshold: float | None, scratch: Scratch | None = None) -> ColumnDrift:
    kind = profile.kind_of(column)
    if method is None:
        method, default_threshold = default_method(kind)
        threshold = default_threshold if threshold is None else threshold
    m = get_method(method, kind)
    threshold = m.default_threshold if threshold is None else float(threshold)
    ref = profile.columns[column]
    notes: list[tuple[str, str, str, Any]] = []
    try:
        cur = batch_column(ref, column, values, scratch)
    except ColumnError as exc:
        return _failed(column, kind, method, threshold, ref, values.n if hasattr(values, "kind") else len(values), str(exc),
                       m.rule(threshold))
    dtype, numeric_dtype = dtype_of(values)
    missing_ref = ref.n_missing / ref.n if ref.n else None
    missing_cur = cur.n_missing / cur.n if cur.n else None
    if isinstance(cur, NumericBatch) and cur.n_unparsed:
        notes.append(("type_change", "warning",
                      f"column '{column}' is numeric in the reference but arrived as {dtype}; "
                      f"{cur.n_unparsed} of {cur.n} values did not parse as numbers and count as missing", cur.n_unparsed / cur.n))
    elif isinstance(cur, NumericBatch) and not numeric_dtype and cur.count:
        notes.append(("type_change", "warning",
                      f"column '{column}' is numeric in the reference but arrived as {dtype}; its values were parsed as numbers", 0.0))
    unseen = _unseen(ref, cur)
    dist = _dist(ref, cur)
    error = None
    if ref.count == 0:
        error = f"column '{column}' has no usable values in the reference (all missing or infinite)"
    elif ref.count < MIN_REFERENCE_VALUES:
        error = (f"column '{column}' has only {ref.count} usable value(s) in the reference; at least "
                 f"{MIN_REFERENCE_VALUES} are needed to judge drift, so no verdict was made")
    elif cur.n == 0:
        error = f"column '{column}': the batch is empty"
    elif cur.count == 0:
        error = f"column '{column}' has no usable values in this batch ({cur.n} rows, all missing or infinite)"
    if error is not None:
        return _failed(column, kind, method, threshold, ref, cur.n, error, m.rule(threshold), missing_cur, dist, unseen, notes)
    if isinstance(ref, NumericSummary) and ref.std == 0:
        notes.append(("constant_reference", "info",
                      f"column '{column}' is constant in the reference (every value {ref.min:g}); distances are "
                      "divided by 0.001 instead of its zero standard deviation", 0.0))
    try:
        out = m.func(ref, cur, threshold)
    except ColumnError as exc:
        return _failed(column, kind, method, threshold, ref, cur.n, f"column '{column}': {exc}", m.rule(threshold),
                       missing_cur, dist, unseen, notes)
    return ColumnDrift(column=column, kind=kind, method=method, statistic=out.statistic, threshold=out.threshold,
                       drifted=out.drifted, rule=out.rule, p_value=out.p_value, missing_ref=missing_ref,
                       missing_cur=missing_cur, n_cur=cur.n, unseen_share=unseen, dist=dist, notes=tuple(notes))


def _failed(column, kind, method, threshold, ref, n_cur, error, rule, missing_cur=None, dist=None, unseen=None, notes=()):
    missing_ref = ref.n_missing / ref.n if ref.n else None
    return ColumnDrift(column=column, kind=kind, method=method, statistic=None, threshold=threshold, drifted=False,
                       rule=rule, missing_ref=missing_ref, missing_cur=missing_cur, n_cur=n_cur, unseen_share=unseen,
                       error=error, dist=dist or {}, notes=tuple(notes))


def _unseen(ref, cur) -> float | None:
    if not isinstance(ref, CategoricalSummary) or ref.truncated or cur.count == 0:
        return None
    return cur.unseen(ref)[1] / cur.count


def _round(a: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in a]


def _dist(ref, cur) -> dict[str, Any]:
    """Compact distributions of reference and batch on shared bins, for plotting."""
    if isinstance(ref, NumericSummary):
        edges = ref.plot_edges()
        if not len(edges):
            return {}
        total = ref.weights.sum()
        r = np.diff(np.concatenate(([0.0], ref.cdf_at(edges[:-1], "left"), ref.cdf_at(edges[-1:], "right"), [total])))
        c = np.diff(np.concatenate(([0], cur.count_at(edges[:-1], "left"), cur.count_at(edges[-1:], "right"), [cur.count])))
        return {"type": "numeric", "edges": [float(e) for e in edges], "ref": _round(r / total),
                "cur": _round(c / cur.count) if cur.count else [0.0] * len(r)}
    keys, r, c, _ = aligned_counts(ref, cur, unseen_as_one=False)
    r_pct = r / r.sum() if r.sum() else r
    c_pct = c / c.sum() if c.sum() else c
    order = np.argsort(-np.maximum(r_pct, c_pct), kind="stable")
    top = order[:DIST_CATEGORIES]
    rest = order[DIST_CATEGORIES:]
    cats = [str(keys[i]) for i in top]
    rr, cc = list(r_pct[top]), list(c_pct[top])
    if len(rest):
        cats.append("other")
        rr.append(r_pct[rest].sum())
        cc.append(c_pct[rest].sum())
    return {"type": "categorical", "categories": cats, "ref": _round(np.asarray(rr)), "cur": _round(np.asarray(cc))}


# ----------------------------------------------------------------------------------------------


def compute_drift(profile: ReferenceProfile, batch: pd.DataFrame | ReferenceProfile, spec: DriftSpec | None = None,
                  weights: Mapping[str, float] | None = None, workers: int | None = None) -> DriftReport:
    """Drift of every feature of ``profile`` in ``batch`` and the dataset verdict.

    ``batch`` is the batch itself or a summary of it (``ReferenceProfile.fit`` on the batch, or
    :func:`monitor.spark.summarise_batch` on a Spark DataFrame): the report has the same form,
    exact for categories and for numeric columns with few distinct values, within the sketch's
    bound otherwise. One pass over the batch per column (columns run on a small thread pool:
    numpy releases the GIL while sorting; each thread sorts into one reused buffer). A column that is missing or unusable gets an ``error`` and a finding;
    the other columns are still computed. ``weights`` (e.g. mean |SHAP| per feature) give the
    weighted score, the share of total weight carried by drifted features; equal when ``None``.
    """
    spec = spec if spec is not None else DriftSpec()
    findings: list[dict[str, Any]] = []
    summary = isinstance(batch, ReferenceProfile)
    n_rows = batch.n_rows if summary else len(batch)
    if n_rows == 0:
        findings.append(finding("empty_batch", None, "critical", "the batch has no rows; no drift could be computed", 0))
    if profile.n_rows < MIN_REFERENCE_VALUES:
        findings.append(finding(
            "small_reference", None, "warning",
            f"the reference data has only {profile.n_rows} row(s); at least {MIN_REFERENCE_VALUES} are needed to judge drift, "
            "so features with fewer reference values get no verdict (log a larger reference with monitor.log_reference)",
            profile.n_rows))

    def one(column: str) -> ColumnDrift:
        try:
            method, threshold = _resolve(profile, column, spec)
        except (KeyError, ValueError) as exc:
            return _config_error(profile, column, str(exc))
        if column not in batch.columns:
            kind = profile.kind_of(column)
            return _failed(column, kind, method, threshold, profile.columns[column], 0,
                           f"column '{column}' is missing from the batch", "")
        try:
            return _column_drift(profile, column, batch.columns[column] if summary else batch[column], method, threshold,
                                 scratch)
        except (KeyError, ValueError) as exc:
            return _config_error(profile, column, str(exc), method, threshold)
        except Exception as exc:  # one bad column must not take the whole report down
            return _config_error(profile, column, f"drift could not be computed ({type(exc).__name__}: {exc})", method, threshold)

    columns = list(profile.features)
    scratch = Scratch()
    n_workers = workers or min(4, os.cpu_count() or 1)
    if n_workers > 1 and not summary and n_rows * len(columns) > 200_000:
        with ThreadPoolExecutor(n_workers) as pool:
            results = list(pool.map(one, columns))
    else:
        results = [one(c) for c in columns]
    features = {r.column: r for r in results}
    for r in results:
        for check, severity, detail, value in r.notes:
            findings.append(finding(check, r.column, severity, detail, value))
        if r.error:
            check = "missing_column" if "missing from the batch" in r.error else "drift_error"
            findings.append(finding(check, r.column, "critical" if check == "missing_column" else "warning", r.error))

    ok = [r for r in results if r.error is None]
    n_drifted = sum(r.drifted for r in ok)
    share = n_drifted / len(ok) if ok else None
    weighted = _weighted_score(ok, weights)
    drifted = share is not None and share >= spec.share
    rule = (f"dataset drift if the share of drifted features >= {spec.share:g}: {n_drifted} of {len(ok)} features drifted"
            + (f" ({share:.0%})" if share is not None else "")
            + (f"; {len(results) - len(ok)} feature(s) could not be checked" if len(ok) < len(results) else ""))
    return DriftReport(features, len(ok), n_drifted, share, weighted, drifted, spec.share, rule,
                       tuple(Finding.from_doc(f) for f in findings))


def _config_error(profile, column, message, method=None, threshold=None) -> ColumnDrift:
    kind = profile.columns[column].kind if column in profile.columns else "numeric"
    ref = profile.columns[column]
    return _failed(column, kind, method or "", threshold, ref, 0, f"column '{column}': {message}", "")


def _weighted_score(results: Sequence[ColumnDrift], weights: Mapping[str, float] | None) -> float | None:
    if not results:
        return None
    w = np.array([abs(float(weights.get(r.column, 0.0))) if weights else 1.0 for r in results])
    w = np.where(np.isfinite(w), w, 0.0)
    if w.sum() == 0:
        w = np.ones(len(results))
    d = np.array([r.drifted for r in results], dtype=float)
    return float((w * d).sum() / w.sum())
