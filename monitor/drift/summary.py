"""Mergeable summaries behind a reference profile, and the one-pass summary of a batch column.

Numeric columns keep exact moments (count, mean, sum of squared deviations, min, max) and a
weighted-points quantile sketch: the distinct values with their counts while there are at most
``max_points`` of them (then every statistic is exact), otherwise equal-weight centroids (each
holding at most ~1.6/max_points of the rows, fewer towards the tails; heavy atoms kept on their own). Categorical columns
keep counts per category, capped at ``max_categories`` with the rest counted as "other".
Everything is a sum, a min/max or a sorted merge, so chunks fitted apart (e.g. Spark partitions)
merge into the profile of the whole.

A batch column is held as a :class:`NumericBatch` (every sorted value, or the points of a
summary of the batch) or a :class:`CategoricalBatch` (counts); the drift methods read both alike.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift._sketch import (
    ColumnError,
    Scratch,
    aligned_counts,
    category_counts,
    compress,
    distinct,
    moments,
    sketch_sorted,
    sorted_finite,
    unique_weighted,
)

__all__ = ["NumericSummary", "CategoricalSummary", "NumericBatch", "CategoricalBatch", "ColumnError", "Scratch",
           "aligned_counts", "batch_of_summary", "MAX_POINTS", "MAX_CATEGORIES", "MAX_UNSEEN", "OTHER"]

MAX_POINTS = 1024
MAX_CATEGORIES = 1000
MAX_UNSEEN = 10_000
PLOT_BINS = 20
OTHER = "__other__"


@dataclasses.dataclass(frozen=True)
class NumericSummary:
    """Profile of one numeric column (see module docstring)."""

    n: int
    n_missing: int
    n_inf: int
    count: int
    mean: float
    m2: float
    min: float
    max: float
    values: np.ndarray
    weights: np.ndarray
    exact: bool
    dtype: str
    kind: str = "numeric"

    @classmethod
    def fit(cls, series: pd.Series, column: str, max_points: int = MAX_POINTS, scratch: Scratch | None = None) -> NumericSummary:
        s, n_missing, n_inf, n_unparsed = sorted_finite(series, column, scratch)
        v, w, exact = sketch_sorted(s, max_points)
        mean, m2 = moments(s)
        return cls(
            n=len(series), n_missing=n_missing + n_unparsed, n_inf=n_inf, count=len(s), mean=mean, m2=m2,
            min=float(v[0]) if len(v) else math.nan, max=float(v[-1]) if len(v) else math.nan,
            values=v, weights=w, exact=exact, dtype=str(series.dtype),
        )

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0), as numpy's default."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan

    @property
    def n_distinct(self) -> int | None:
        return len(self.values) if self.exact else None

    def merge(self, other: NumericSummary, max_points: int = MAX_POINTS) -> NumericSummary:
        return NumericSummary.merged([self, other], max_points)

    @staticmethod
    def merged(parts: Sequence[NumericSummary], max_points: int = MAX_POINTS) -> NumericSummary:
        """One summary of all ``parts`` (in order), compressed once: merging many chunks this way
        moves a CDF value by at most ~1.6/max_points beyond the chunks' own compression."""
        count, mean, m2 = 0, math.nan, 0.0
        for p in parts:
            if p.count == 0:
                continue
            if count == 0:
                count, mean, m2 = p.count, p.mean, p.m2
                continue
            total = count + p.count
            delta = p.mean - mean
            mean, m2 = mean + delta * p.count / total, m2 + p.m2 + delta * delta * count * p.count / total
            count = total
        full = [p for p in parts if len(p.values)]
        if len(full) > 1:
            v, w = unique_weighted(np.concatenate([p.values for p in full]), np.concatenate([p.weights for p in full]))
        else:
            v, w = (full[0].values, full[0].weights) if full else (np.empty(0), np.empty(0))
        v, w, exact = compress(v, w, max_points)
        return NumericSummary(
            n=sum(p.n for p in parts), n_missing=sum(p.n_missing for p in parts), n_inf=sum(p.n_inf for p in parts),
            count=count, mean=mean, m2=m2, min=float(v[0]) if len(v) else math.nan, max=float(v[-1]) if len(v) else math.nan,
            values=v, weights=w, exact=exact and all(p.exact for p in parts), dtype=parts[0].dtype,
        )

    def cdf_at(self, x: np.ndarray, side: str = "right") -> np.ndarray:
        """Reference count of values <= x (side="right") or < x (side="left")."""
        cum = np.concatenate(([0.0], np.cumsum(self.weights)))
        return cum[np.searchsorted(self.values, x, side=side)]

    def plot_edges(self) -> np.ndarray:
        """Shared bin edges for plots: reference quantiles (at most PLOT_BINS bins), min and max included."""
        if not len(self.values):
            return np.empty(0)
        if self.exact and len(self.values) <= PLOT_BINS:
            mids = (self.values[1:] + self.values[:-1]) / 2
            return np.concatenate(([self.min], mids, [self.max]))
        cum = np.cumsum(self.weights) / self.weights.sum()
        probs = np.linspace(0, 1, PLOT_BINS + 1)[1:-1]
        inner = self.values[np.minimum(np.searchsorted(cum, probs), len(self.values) - 1)]
        return np.unique(np.concatenate(([self.min], inner, [self.max])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "numeric", "n": self.n, "n_missing": self.n_missing, "n_inf": self.n_inf, "count": self.count,
            "mean": _num(self.mean), "m2": float(self.m2), "min": _num(self.min), "max": _num(self.max),
            "values": [float(x) for x in self.values], "weights": [int(x) for x in self.weights],
            "exact": self.exact, "dtype": self.dtype,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NumericSummary:
        return cls(
            n=int(d["n"]), n_missing=int(d["n_missing"]), n_inf=int(d["n_inf"]), count=int(d["count"]),
            mean=_nan(d["mean"]), m2=float(d["m2"]), min=_nan(d["min"]), max=_nan(d["max"]),
            values=np.asarray(d["values"], dtype="float64"), weights=np.asarray(d["weights"], dtype="float64"),
            exact=bool(d["exact"]), dtype=str(d["dtype"]),
        )


@dataclasses.dataclass(frozen=True)
class CategoricalSummary:
    """Profile of one categorical column: counts of the top categories plus an "other" count."""

    n: int
    n_missing: int
    counts: Mapping[str, int]
    other: int
    dtype: str
    kind: str = "categorical"

    @classmethod
    def fit(cls, series: pd.Series, column: str, max_categories: int = MAX_CATEGORIES) -> CategoricalSummary:
        counts, n_missing = category_counts(series)
        kept, other = _cap(counts, max_categories)
        return cls(n=len(series), n_missing=n_missing, counts=kept, other=other, dtype=str(series.dtype))

    @property
    def count(self) -> int:
        return self.n - self.n_missing

    @property
    def truncated(self) -> bool:
        return self.other > 0

    @property
    def n_distinct(self) -> int | None:
        return None if self.truncated else len(self.counts)

    def merge(self, other: CategoricalSummary, max_categories: int = MAX_CATEGORIES) -> CategoricalSummary:
        return CategoricalSummary.merged([self, other], max_categories)

    @staticmethod
    def merged(parts: Sequence[CategoricalSummary], max_categories: int = MAX_CATEGORIES) -> CategoricalSummary:
        """One summary of all ``parts``: counts added, then capped once."""
        counts: dict[str, int] = {}
        for p in parts:
            for k, c in p.counts.items():
                counts[k] = counts.get(k, 0) + c
        kept, spill = _cap(counts, max_categories)
        return CategoricalSummary(n=sum(p.n for p in parts), n_missing=sum(p.n_missing for p in parts), counts=kept,
                                  other=sum(p.other for p in parts) + spill, dtype=parts[0].dtype)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "categorical", "n": self.n, "n_missing": self.n_missing, "categories": list(self.counts),
            "counts": [int(c) for c in self.counts.values()], "other": self.other, "dtype": self.dtype,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CategoricalSummary:
        counts = {str(k): int(c) for k, c in zip(d["categories"], d["counts"], strict=True)}
        return cls(n=int(d["n"]), n_missing=int(d["n_missing"]), counts=counts, other=int(d["other"]), dtype=str(d["dtype"]))


def _cap(counts: Mapping[str, int] | pd.Series, cap: int) -> tuple[dict[str, int], int]:
    """The ``cap`` most frequent categories (ties by name while they all fit) and the count of the rest."""
    if len(counts) <= cap:
        items = counts.items() if isinstance(counts, Mapping) else zip(counts.index, counts.to_numpy(), strict=True)
        return {k: int(c) for k, c in sorted(items, key=lambda kv: (-kv[1], kv[0]))}, 0
    if isinstance(counts, Mapping):
        counts = pd.Series(list(counts.values()), index=pd.Index(list(counts), dtype=object), dtype="int64")
    ranked = counts.sort_values(ascending=False, kind="stable")
    head = ranked.iloc[:cap]
    return dict(zip(head.index, head.to_numpy().tolist(), strict=True)), int(ranked.iloc[cap:].sum())


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


# ----------------------------------------------------------------------------------------------
# batch side


@dataclasses.dataclass(frozen=True)
class NumericBatch:
    """A batch column: every finite value sorted, or, from a summary of the batch, its points
    (distinct values or centroids) with their counts in ``weights``; plus what was set aside."""

    values: np.ndarray
    n: int
    n_missing: int
    n_inf: int
    n_unparsed: int
    weights: np.ndarray | None = None
    exact: bool = True

    @classmethod
    def of(cls, series: pd.Series, column: str, scratch: Scratch | None = None) -> NumericBatch:
        values, n_missing, n_inf, n_unparsed = sorted_finite(series, column, scratch)
        return cls(values, len(series), n_missing + n_unparsed, n_inf, n_unparsed)

    @functools.cached_property
    def count(self) -> int:
        return len(self.values) if self.weights is None else int(round(float(self.weights.sum())))

    @property
    def min(self) -> float:
        return float(self.values[0])

    @property
    def max(self) -> float:
        return float(self.values[-1])

    @functools.cached_property
    def _cum(self) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(self.weights)))

    def count_at(self, x, side: str = "right") -> np.ndarray:
        """Batch values <= x (side="right") or < x (side="left")."""
        pos = np.searchsorted(self.values, x, side=side)
        return pos if self.weights is None else self._cum[pos]

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct values, counts); a summary must hold every distinct value for this."""
        if self.weights is None:
            return distinct(self.values)
        if not self.exact:
            raise ColumnError("treating values as categories needs every distinct value of the batch, and its summary "
                              f"keeps {len(self.values)} centroids instead")
        return self.values, self.weights


@dataclasses.dataclass(frozen=True)
class CategoricalBatch:
    """Counts of a batch column: every category the profile knows, and the MAX_UNSEEN most frequent
    new ones; ``unseen_rest`` counts the values of any further new categories."""

    counts: Mapping[str, int]
    n: int
    n_missing: int
    unseen_rest: int = 0
    n_unseen_categories: int | None = None

    @classmethod
    def of(cls, series: pd.Series, known: Mapping[str, int] | None = None) -> CategoricalBatch:
        vc, n_missing = category_counts(series)
        return cls._of_counts(vc, len(series), n_missing, known)

    @classmethod
    def _of_counts(cls, vc: pd.Series, n: int, n_missing: int, known: Mapping[str, int] | None,
                   rest: int = 0) -> CategoricalBatch:
        if known is None:
            return cls(dict(zip(vc.index, vc.to_numpy().tolist(), strict=True)), n, n_missing, rest)
        is_known = vc.index.isin(list(known))
        new = vc[~is_known]
        if len(new) > MAX_UNSEEN:
            new = new.sort_values(ascending=False, kind="stable")
            rest += int(new.iloc[MAX_UNSEEN:].sum())
            new = new.iloc[:MAX_UNSEEN]
        kept = pd.concat([vc[is_known], new])
        return cls(dict(zip(kept.index, kept.to_numpy().tolist(), strict=True)), n, n_missing, rest,
                   int((~is_known).sum()))

    @property
    def count(self) -> int:
        return self.n - self.n_missing

    def unseen(self, ref: CategoricalSummary) -> tuple[dict[str, int], int]:
        """New categories (largest first, at most MAX_UNSEEN) and the total count of unseen values."""
        new = {k: v for k, v in self.counts.items() if k not in ref.counts}
        return new, sum(new.values()) + self.unseen_rest


def batch_of_summary(ref: NumericSummary | CategoricalSummary, summary: NumericSummary | CategoricalSummary,
                     column: str) -> NumericBatch | CategoricalBatch:
    """The batch column held by a summary of the batch, as the reference's kind wants it.

    A numeric reference reads a categorical summary whose categories are numbers (each category a
    distinct value); a categorical reference reads a numeric summary that kept every distinct value.
    Values beyond a categorical summary's kept categories (its "other" count) are counted as unseen.
    """
    if ref.kind == "numeric":
        if summary.kind == "numeric":
            return NumericBatch(summary.values, summary.n, summary.n_missing, summary.n_inf, 0, summary.weights, summary.exact)
        if summary.other:
            raise ColumnError(f"column '{column}' is numeric in the reference but the batch summary holds it as categories "
                              f"and keeps only the top {len(summary.counts)} of them")
        parsed = pd.to_numeric(pd.Series(list(summary.counts), dtype=object), errors="coerce").to_numpy(dtype="float64")
        counts = np.asarray(list(summary.counts.values()), dtype="float64")
        ok, inf = np.isfinite(parsed), np.isinf(parsed)
        n_unparsed = int(counts[~ok & ~inf].sum())
        v, w = unique_weighted(parsed[ok], counts[ok]) if ok.any() else (np.empty(0), np.empty(0))
        return NumericBatch(v, summary.n, summary.n_missing + n_unparsed, int(counts[inf].sum()), n_unparsed, w, True)
    if summary.kind == "categorical":
        vc = pd.Series(list(summary.counts.values()), index=pd.Index(list(summary.counts), dtype=object), dtype="int64")
        return CategoricalBatch._of_counts(vc, summary.n, summary.n_missing, ref.counts, rest=summary.other)
    if not summary.exact:
        raise ColumnError(f"column '{column}' is categorical in the reference but the batch summary holds it as numbers "
                          f"with more than {len(summary.values)} distinct values")
    if summary.dtype.startswith("bool"):
        keys = [str(bool(v)) for v in summary.values]
    else:
        keys = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in summary.values]
    vc = pd.Series(summary.weights.astype("int64"), index=pd.Index(keys, dtype=object))
    if summary.n_inf:
        vc = pd.concat([vc, pd.Series([summary.n_inf], index=pd.Index(["inf"], dtype=object))])
    return CategoricalBatch._of_counts(vc, summary.n, summary.n_missing, ref.counts)
