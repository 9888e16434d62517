"""Mergeable summaries behind a reference profile, and the one-pass summary of a batch column.

Numeric columns keep exact moments (count, mean, sum of squared deviations, min, max) and a
weighted-points quantile sketch: the distinct values with their counts while there are at most
``max_points`` of them (then every statistic is exact), otherwise equal-weight centroids (each
holding at most ~1.6/max_points of the rows, fewer towards the tails; heavy atoms kept on their own). Categorical columns
keep counts per category, capped at ``max_categories`` with the rest counted as "other".
Everything is a sum, a min/max or a sorted merge, so chunks fitted apart (e.g. Spark partitions)
merge into the profile of the whole.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MAX_POINTS = 1024
MAX_CATEGORIES = 1000
MAX_UNSEEN = 10_000
PLOT_BINS = 20
OTHER = "__other__"


class ColumnError(ValueError):
    """A column could not be summarised; the message names the column and the problem."""


# ----------------------------------------------------------------------------------------------
# value conversion


def numeric_values(series: pd.Series, column: str) -> tuple[np.ndarray, int, int, int]:
    """Return (finite values as float64, n_missing, n_inf, n_unparsed) for a numeric column.

    Text that parses as numbers is accepted (a numeric column logged as strings); values that
    do not parse are counted in ``n_unparsed`` and treated as missing.
    """
    n_unparsed = 0
    if pd.api.types.is_bool_dtype(series.dtype):
        arr = series.astype("float64").to_numpy()
    elif pd.api.types.is_numeric_dtype(series.dtype):
        arr = series.to_numpy(dtype="float64", na_value=np.nan)
    elif pd.api.types.is_datetime64_any_dtype(series.dtype) or isinstance(series.dtype, pd.PeriodDtype):
        raise ColumnError(f"column '{column}' holds dates ({series.dtype}); a numeric column was expected")
    else:
        present = series.notna()
        parsed = pd.to_numeric(series.astype(object), errors="coerce")
        n_unparsed = int((present & parsed.isna()).sum())
        arr = parsed.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(arr)
    n_ok = int(np.count_nonzero(ok))
    if n_ok == len(arr):
        return arr, 0, 0, n_unparsed
    n_nan = int(np.count_nonzero(np.isnan(arr)))
    return arr[ok], n_nan - n_unparsed, len(arr) - n_ok - n_nan, n_unparsed


def category_counts(series: pd.Series) -> tuple[pd.Series, int]:
    """Counts per category (index: keys as strings, integral floats written as integers) and n_missing."""
    n_missing = int(series.isna().sum())
    counts = series.value_counts(dropna=True, sort=False)
    if counts.empty:
        return pd.Series([], index=pd.Index([], dtype=object), dtype="int64"), n_missing
    if counts.index.inferred_type == "string":
        return pd.Series(counts.to_numpy(dtype="int64"), index=counts.index.astype(object)), n_missing
    keys = _category_keys(counts.index)
    out = pd.Series(counts.to_numpy(dtype="int64"), index=pd.Index(keys, dtype=object))
    if not out.index.is_unique:
        out = out.groupby(level=0, sort=False).sum()
    return out, n_missing


def _category_keys(index: pd.Index) -> list[str]:
    if pd.api.types.is_bool_dtype(index.dtype):
        return [str(bool(v)) for v in index]
    if pd.api.types.is_integer_dtype(index.dtype):
        return [str(int(v)) for v in index]
    if pd.api.types.is_float_dtype(index.dtype):
        return [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in index]
    # object columns may mix numbers and text: a label logged as 1.0 in one batch and 1 in
    # another must land in the same category
    return [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in index]


# ----------------------------------------------------------------------------------------------
# numeric sketch


def _unique_weighted(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    if weights is None:
        v, w = np.unique(values, return_counts=True)
        return v.astype("float64"), w.astype("float64")
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
    return v[starts], np.add.reduceat(w, starts)


def compress(values: np.ndarray, weights: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Compress sorted distinct weighted points to at most ~max_points centroids.

    Returns (values, weights, exact). The extremes stay exact; a point heavier than one
    bucket stays alone so atoms (e.g. a spike at zero) are not smeared.
    """
    if len(values) <= max_points:
        return values, weights, True
    total = weights[1:-1].sum()
    k = max_points - 2
    mid_v, mid_w = values[1:-1], weights[1:-1]
    before = (np.cumsum(mid_w) - mid_w) / total
    # t-digest's arcsine scale: centroids shrink towards the tails, where PSI/JS bins and the
    # out-of-range check need single values, and hold at most ~1.6/k of the rows in the middle
    bucket = np.floor(k * (np.arcsin(2 * before - 1) / np.pi + 0.5)).astype(np.int64)
    heavy = mid_w >= 2 * total / k  # more than any centroid in the middle holds
    start = np.empty(len(mid_v), dtype=bool)
    start[0] = True
    start[1:] = (bucket[1:] != bucket[:-1]) | heavy[1:] | heavy[:-1]
    group = np.cumsum(start) - 1
    gw = np.bincount(group, weights=mid_w)
    gv = np.bincount(group, weights=mid_w * mid_v) / gw
    gv = np.clip(gv, values[0], values[-1])
    return (np.concatenate(([values[0]], gv, [values[-1]])), np.concatenate(([weights[0]], gw, [weights[-1]])), False)


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
    def fit(cls, series: pd.Series, column: str, max_points: int = MAX_POINTS) -> NumericSummary:
        finite, n_missing, n_inf, n_unparsed = numeric_values(series, column)
        v, w = _unique_weighted(finite) if len(finite) else (np.empty(0), np.empty(0))
        v, w, exact = compress(v, w, max_points)
        mean = float(finite.mean()) if len(finite) else math.nan
        m2 = float(((finite - mean) ** 2).sum()) if len(finite) else 0.0
        return cls(
            n=len(series), n_missing=n_missing + n_unparsed, n_inf=n_inf, count=len(finite), mean=mean, m2=m2,
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
        count = self.count + other.count
        if count == 0:
            mean, m2 = math.nan, 0.0
        elif self.count == 0 or other.count == 0:
            src = self if self.count else other
            mean, m2 = src.mean, src.m2
        else:
            delta = other.mean - self.mean
            mean = self.mean + delta * other.count / count
            m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / count
        if len(self.values) and len(other.values):
            v, w = _unique_weighted(np.concatenate([self.values, other.values]), np.concatenate([self.weights, other.weights]))
        else:
            v, w = (self.values, self.weights) if len(self.values) else (other.values, other.weights)
        v, w, exact = compress(v, w, max_points)
        return NumericSummary(
            n=self.n + other.n, n_missing=self.n_missing + other.n_missing, n_inf=self.n_inf + other.n_inf, count=count,
            mean=mean, m2=m2, min=float(v[0]) if len(v) else math.nan, max=float(v[-1]) if len(v) else math.nan,
            values=v, weights=w, exact=exact and self.exact and other.exact, dtype=self.dtype,
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
        counts = dict(self.counts)
        for k, c in other.counts.items():
            counts[k] = counts.get(k, 0) + c
        kept, spill = _cap(counts, max_categories)
        return CategoricalSummary(
            n=self.n + other.n, n_missing=self.n_missing + other.n_missing, counts=kept,
            other=self.other + other.other + spill, dtype=self.dtype,
        )

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
    """Sorted finite values of a batch column plus what was set aside."""

    values: np.ndarray
    n: int
    n_missing: int
    n_inf: int
    n_unparsed: int

    @classmethod
    def of(cls, series: pd.Series, column: str) -> NumericBatch:
        finite, n_missing, n_inf, n_unparsed = numeric_values(series, column)
        finite = np.sort(finite)  # a copy: the input may be a view of the caller's frame
        return cls(finite, len(series), n_missing + n_unparsed, n_inf, n_unparsed)

    @property
    def count(self) -> int:
        return len(self.values)


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
        if known is None:
            return cls(dict(zip(vc.index, vc.to_numpy().tolist(), strict=True)), len(series), n_missing)
        is_known = vc.index.isin(list(known))
        new = vc[~is_known]
        rest = 0
        if len(new) > MAX_UNSEEN:
            new = new.sort_values(ascending=False, kind="stable")
            rest = int(new.iloc[MAX_UNSEEN:].sum())
            new = new.iloc[:MAX_UNSEEN]
        kept = pd.concat([vc[is_known], new])
        return cls(dict(zip(kept.index, kept.to_numpy().tolist(), strict=True)), len(series), n_missing, rest,
                   int((~is_known).sum()))

    @property
    def count(self) -> int:
        return self.n - self.n_missing

    def unseen(self, ref: CategoricalSummary) -> tuple[dict[str, int], int]:
        """New categories (largest first, at most MAX_UNSEEN) and the total count of unseen values."""
        new = {k: v for k, v in self.counts.items() if k not in ref.counts}
        return new, sum(new.values()) + self.unseen_rest


def aligned_counts(ref: CategoricalSummary | NumericSummary, cur: CategoricalBatch | NumericBatch,
                   unseen_as_one: bool = False) -> tuple[list, np.ndarray, np.ndarray, float]:
    """Counts of reference and batch over the union of their categories (or distinct values).

    Batch values outside a truncated profile's kept categories go to "other". Unseen values keep
    their own key (up to MAX_UNSEEN of them) unless ``unseen_as_one``. Returns (keys, ref, cur,
    unseen_count).
    """
    if isinstance(ref, NumericSummary):
        if not ref.exact:
            raise ColumnError("treating values as categories needs a profile with every distinct value "
                              f"(this column has more than {len(ref.values)} distinct values)")
        cur_v, cur_c = np.unique(cur.values, return_counts=True)
        keys_arr = np.union1d(ref.values, cur_v)
        r = np.zeros(len(keys_arr))
        c = np.zeros(len(keys_arr))
        r[np.searchsorted(keys_arr, ref.values)] = ref.weights
        c[np.searchsorted(keys_arr, cur_v)] = cur_c
        unseen = float(c[r == 0].sum())
        if unseen_as_one and unseen:
            seen = r > 0
            return [*keys_arr[seen].tolist(), "__unseen__"], np.append(r[seen], 0.0), np.append(c[seen], unseen), unseen
        return keys_arr.tolist(), r, c, unseen
    keys = list(ref.counts)
    r = [ref.counts[k] for k in keys]
    c = [cur.counts.get(k, 0) for k in keys]
    new, unseen = cur.unseen(ref)
    if ref.truncated:
        keys.append(OTHER)
        r.append(ref.other)
        c.append(unseen)
        return keys, np.asarray(r, float), np.asarray(c, float), 0.0
    if unseen:
        if unseen_as_one:
            keys.append("__unseen__")
            r.append(0)
            c.append(unseen)
        else:
            items = sorted(new.items(), key=lambda kv: -kv[1])[:MAX_UNSEEN]
            keys += [k for k, _ in items]
            r += [0] * len(items)
            c += [v for _, v in items]
            rest = unseen - sum(v for _, v in items)
            if rest:
                keys.append("__unseen_rest__")
                r.append(0)
                c.append(rest)
    return keys, np.asarray(r, float), np.asarray(c, float), float(unseen)
