"""Data-quality checks of a batch against the reference profile: a list of findings, never a crash."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from monitor.drift.profile import ReferenceProfile
from monitor.drift.report import batch_column, dtype_of, finding
from monitor.drift.summary import CategoricalSummary, ColumnError, NumericSummary, Scratch

__all__ = ["data_quality", "SEVERITIES"]

SEVERITIES = ("info", "warning", "critical")
# a missing-rate rise is reported when it is both this large and beyond binomial noise (3 s.e.)
MISSING_RISE = 0.05
# shares of out-of-range values / unseen categories at which a finding becomes a warning / critical
SHARE_WARNING, SHARE_CRITICAL = 0.01, 0.10


def data_quality(profile: ReferenceProfile, batch: pd.DataFrame | ReferenceProfile,
                 expected_columns: Sequence[str]) -> list[dict[str, Any]]:
    """Findings about ``batch``: schema mismatch, missing-rate change, out-of-range values, unseen categories.

    Each finding is ``{check, column, severity, detail, value}`` with severity "info",
    "warning" or "critical" and a sentence naming the column. Columns of the profile are
    checked against their reference summaries; ``expected_columns`` sets the schema.
    ``batch`` may be a summary of the batch (a :class:`ReferenceProfile` fitted on it).
    """
    out: list[dict[str, Any]] = []
    expected = list(dict.fromkeys(expected_columns))
    summary = isinstance(batch, ReferenceProfile)
    present = [str(c) for c in batch.columns]
    n_rows = batch.n_rows if summary else len(batch)
    scratch = Scratch()
    if n_rows == 0:
        out.append(finding("empty_batch", None, "critical", "the batch has no rows", 0))
    for c in expected:
        if c not in batch.columns:
            out.append(finding("missing_column", c, "critical", f"column '{c}' is expected but missing from the batch"))
    for c in present:
        if c not in expected:
            out.append(finding("extra_column", c, "info", f"column '{c}' is in the batch but not expected by the model"))
    if n_rows == 0:
        return out
    for c in expected:
        if c in batch.columns and c in profile.columns:
            try:
                out.extend(_column_checks(profile.columns[c], c, batch.columns[c] if summary else batch[c], scratch))
            except (ColumnError, TypeError, ValueError) as exc:
                out.append(finding("check_failed", c, "warning", f"column '{c}' could not be checked: {exc}"))
    return out


def _column_checks(ref: NumericSummary | CategoricalSummary, column: str, values, scratch: Scratch) -> list[dict[str, Any]]:
    out = []
    n = values.n if hasattr(values, "kind") else len(values)
    dtype, numeric_dtype = dtype_of(values)
    if isinstance(ref, NumericSummary):
        if dtype.startswith("datetime64"):
            return [finding("type_change", column, "critical",
                            f"column '{column}' is numeric in the reference but arrived as {dtype}")]
        cur = batch_column(ref, column, values, scratch)
        if not numeric_dtype:
            non_null = n - (values.n_missing if hasattr(values, "kind") else int(values.isna().sum()))
            parsed = non_null - cur.n_unparsed
            severity = "critical" if non_null and parsed == 0 else "warning"
            out.append(finding("type_change", column, severity,
                               f"column '{column}' is numeric in the reference ({ref.dtype}) but arrived as {dtype}; "
                               f"{parsed} of {non_null} non-missing values parse as numbers", cur.n_unparsed / n))
        missing_cur = cur.n_missing / n
    else:
        cur = batch_column(ref, column, values)
        if numeric_dtype != _numeric_dtype_name(ref.dtype):
            out.append(finding("type_change", column, "info",
                               f"column '{column}' was {ref.dtype} in the reference and is {dtype} in this batch; "
                               "categories are compared as text", None))
        missing_cur = cur.n_missing / n
    missing_ref = ref.n_missing / ref.n if ref.n else 0.0
    rise = missing_cur - missing_ref
    if missing_cur == 1.0:
        out.append(finding("missing_rate", column, "critical", f"column '{column}' is entirely missing in this batch ({n} rows)", 1.0))
    elif rise >= MISSING_RISE and rise > 3 * math.sqrt(max(missing_ref * (1 - missing_ref), 1e-12) / n):
        severity = "critical" if rise >= 0.5 else "warning"
        out.append(finding("missing_rate", column, severity,
                           f"column '{column}' is missing in {missing_cur:.1%} of rows, against {missing_ref:.1%} in the reference",
                           float(rise)))
    if isinstance(ref, NumericSummary):
        if cur.n_inf:
            out.append(finding("infinite_values", column, "warning",
                               f"column '{column}' has {cur.n_inf} infinite value(s) in this batch; they are left out of drift",
                               cur.n_inf / n))
        if cur.count and ref.count:
            below = int(cur.count_at(ref.min, "left"))
            above = cur.count - int(cur.count_at(ref.max, "right"))
            share = (below + above) / cur.count
            if share > 0:
                out.append(finding("out_of_range", column, _severity(share),
                                   f"{share:.2%} of values of column '{column}' fall outside the reference range "
                                   f"[{ref.min:g}, {ref.max:g}] (batch min {cur.min:g}, max {cur.max:g})", share))
    elif cur.count:
        if ref.truncated:
            return out
        new, unseen = cur.unseen(ref)
        if unseen:
            share = unseen / cur.count
            top = sorted(new.items(), key=lambda kv: -kv[1])[:5]
            n_new = cur.n_unseen_categories or len(new)
            names = ", ".join(repr(k) for k, _ in top) + (" ..." if n_new > 5 else "")
            out.append(finding("unseen_categories", column, _severity(share),
                               f"{share:.2%} of values of column '{column}' are categories never seen in the reference "
                               f"({n_new} new: {names})", share))
    return out


def _severity(share: float) -> str:
    return "critical" if share >= SHARE_CRITICAL else "warning" if share >= SHARE_WARNING else "info"


def _numeric_dtype_name(dtype: str) -> bool:
    return dtype.lower().startswith(("int", "uint", "float"))
