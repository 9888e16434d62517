"""Column kernels behind the summaries: values as numbers or category keys, sorted in one copy, sketched.

A numeric column is converted and sorted once, into a buffer reused across the columns of one
call when the caller gives one (:class:`Scratch`); everything after the sort walks the sorted
copy in blocks or looks things up by binary search. So the time of a column grows with its
length (numpy's sort is the only step that is not linear, and it is the cheapest), and the extra
memory of a column is that one sorted copy, whatever its size.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pandas as pd

BLOCK = 1 << 20


class ColumnError(ValueError):
    """A column could not be summarised; the message names the column and the problem."""


class Scratch:
    """One reusable float64 buffer per thread, for the sorted copy of a column.

    Fresh memory is slow to touch the first time (the kernel zeroes and maps every page), so a
    call that sorts many columns of the same length reuses one buffer per worker thread instead
    of allocating a new array per column. Nothing returned to a caller may point into it.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, n: int) -> np.ndarray:
        buf = getattr(self._local, "buf", None)
        if buf is None or len(buf) < n:
            buf = self._local.buf = np.empty(n)
        return buf[:n]


# ----------------------------------------------------------------------------------------------
# value conversion


def _as_float(series: pd.Series, column: str) -> tuple[np.ndarray, int, bool]:
    """(values as float64, n_unparsed, whether the array is a fresh copy the caller may sort in place)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.astype("float64").to_numpy(), 0, True
    if pd.api.types.is_numeric_dtype(dtype):
        if isinstance(dtype, np.dtype):
            arr = series.to_numpy()
            return (arr, 0, False) if arr.dtype == np.float64 else (arr.astype("float64"), 0, True)
        return series.to_numpy(dtype="float64", na_value=np.nan), 0, True
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        raise ColumnError(f"column '{column}' holds dates ({dtype}); a numeric column was expected")
    present = series.notna()
    parsed = pd.to_numeric(series.astype(object), errors="coerce")
    n_unparsed = int((present & parsed.isna()).sum())
    return parsed.to_numpy(dtype="float64", na_value=np.nan), n_unparsed, True


def sorted_finite(series: pd.Series, column: str, scratch: Scratch | None = None) -> tuple[np.ndarray, int, int, int]:
    """Return (sorted finite values, n_missing, n_inf, n_unparsed) of a numeric column.

    Text that parses as numbers is accepted (a numeric column logged as strings); values that
    do not parse are counted in ``n_unparsed`` and as missing. The sorted values are a view of
    one copy (of ``scratch``'s buffer when given): the caller's data is never reordered.
    """
    arr, n_unparsed, fresh = _as_float(series, column)
    if fresh:
        s = arr
    elif scratch is not None:
        s = scratch.get(len(arr))
        np.copyto(s, arr)
    else:
        s = arr.copy()
    s.sort()  # NaN sort last, -inf first and +inf just before the NaN
    lo = int(np.searchsorted(s, -np.inf, "right"))
    hi = int(np.searchsorted(s, np.inf, "left"))
    end = int(np.searchsorted(s, np.inf, "right"))
    n_nan = len(s) - end
    return s[lo:hi], n_nan - n_unparsed, lo + end - hi, n_unparsed


def category_counts(series: pd.Series) -> tuple[pd.Series, int]:
    """Counts per category (index: keys as strings, integral floats written as integers) and n_missing."""
    counts = series.value_counts(dropna=True, sort=False)
    n_missing = len(series) - int(counts.sum())
    if counts.empty:
        return pd.Series([], index=pd.Index([], dtype=object), dtype="int64"), n_missing
    if counts.index.inferred_type == "string":
        return pd.Series(counts.to_numpy(dtype="int64"), index=counts.index.astype(object)), n_missing
    keys = category_keys(counts.index)
    out = pd.Series(counts.to_numpy(dtype="int64"), index=pd.Index(keys, dtype=object))
    if not out.index.is_unique:
        out = out.groupby(level=0, sort=False).sum()
    return out, n_missing


def category_keys(index: pd.Index) -> list[str]:
    """Category keys as text: a label logged as 1.0 in one batch and 1 in another is the same category."""
    if pd.api.types.is_bool_dtype(index.dtype):
        return [str(bool(v)) for v in index]
    if pd.api.types.is_integer_dtype(index.dtype):
        return [str(int(v)) for v in index]
    if pd.api.types.is_float_dtype(index.dtype):
        return [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in index]
    return [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in index]


# ----------------------------------------------------------------------------------------------
# sorted arrays


def _changes(s: np.ndarray) -> Iterator[np.ndarray]:
    """Positions i >= 1 where s[i] != s[i-1], block by block."""
    for a in range(1, len(s), BLOCK):
        b = min(a + BLOCK, len(s))
        yield np.flatnonzero(s[a:b] != s[a - 1:b - 1]) + a


def n_distinct(s: np.ndarray, limit: int | None = None) -> int:
    """Number of distinct values of a sorted array; counting stops once it exceeds ``limit``."""
    if not len(s):
        return 0
    n = 1
    for a in range(1, len(s), BLOCK):
        b = min(a + BLOCK, len(s))
        n += int(np.count_nonzero(s[a:b] != s[a - 1:b - 1]))
        if limit is not None and n > limit:
            break
    return n


def distinct(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, counts as float64) of a sorted array; fresh arrays."""
    if not len(s):
        return np.empty(0), np.empty(0)
    starts = np.concatenate([np.zeros(1, dtype=np.int64), *_changes(s)])
    return s[starts], np.diff(starts, append=len(s)).astype("float64")


def unique_weighted(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and their summed weights (counts when ``weights`` is None)."""
    if weights is None:
        v, w = np.unique(values, return_counts=True)
        return v.astype("float64"), w.astype("float64")
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
    return v[starts], np.add.reduceat(w, starts)


def _bucket(before: np.ndarray, k: int) -> np.ndarray:
    # t-digest's arcsine scale: centroids shrink towards the tails, where PSI/JS bins and the
    # out-of-range check need single values, and hold at most ~1.6/k of the rows in the middle
    return np.floor(k * (np.arcsin(2 * before - 1) / np.pi + 0.5)).astype(np.int64)


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
    bucket = _bucket((np.cumsum(mid_w) - mid_w) / total, k)
    heavy = mid_w >= 2 * total / k  # more than any centroid in the middle holds
    start = np.empty(len(mid_v), dtype=bool)
    start[0] = True
    start[1:] = (bucket[1:] != bucket[:-1]) | heavy[1:] | heavy[:-1]
    group = np.cumsum(start) - 1
    gw = np.bincount(group, weights=mid_w)
    gv = np.bincount(group, weights=mid_w * mid_v) / gw
    gv = np.clip(gv, values[0], values[-1])
    return (np.concatenate(([values[0]], gv, [values[-1]])), np.concatenate(([weights[0]], gw, [weights[-1]])), False)


def sketch_sorted(s: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """``compress(*distinct(s), max_points)`` for a sorted array, without listing every distinct value.

    A distinct value is a run of equal values in ``s``; its rank is where the run starts, so the
    bucket of every run follows from the ``max_points`` rank thresholds where the bucket number
    rises (found by bisection on the same formula), heavy runs from a sample of ~max_points
    positions, and each centroid is the mean of a slice of ``s``.
    """
    if n_distinct(s, max_points) <= max_points:
        v, w = distinct(s)
        return v, w, True
    m = len(s)
    lo = int(np.searchsorted(s, s[0], "right"))  # the middle runs span s[lo:hi]
    hi = int(np.searchsorted(s, s[-1], "left"))
    total, k = float(hi - lo), max_points - 2

    def bucket_at(p: np.ndarray) -> np.ndarray:
        return _bucket((p - lo).astype("float64") / total, k)

    targets = np.arange(1, k + 1)
    left, right = np.full(k, lo, dtype=np.int64), np.full(k, hi, dtype=np.int64)
    while (left < right).any():
        mid = (left + right) // 2
        ok = bucket_at(mid) >= targets
        right, left = np.where(ok, mid, right), np.where(ok, left, mid + 1)
    cuts = [np.array([lo])]
    p = left[left < hi]
    if len(p):  # the first run starting at or after each threshold
        inside = s[p] == s[p - 1]
        p[inside] = np.searchsorted(s, s[p[inside]], "right")
        cuts.append(p)
    step = max(1, int(2 * total / k) // 2)
    probe = np.arange(lo, hi, step)
    sample = s[probe]
    candidates = np.unique(sample[1:][sample[1:] == sample[:-1]])
    if len(candidates):  # every run of at least 2*step values covers two probes
        a = np.searchsorted(s, candidates, "left")
        b = np.searchsorted(s, candidates, "right")
        heavy = (b - a).astype("float64") >= 2 * total / k
        cuts += [a[heavy], b[heavy]]
    starts = np.unique(np.concatenate(cuts))
    starts = starts[(starts >= lo) & (starts < hi)]
    gw = np.diff(starts, append=hi).astype("float64")
    gv = np.clip(np.add.reduceat(s[lo:hi], starts - lo) / gw, s[0], s[-1])
    return (np.concatenate(([s[0]], gv, [s[-1]])), np.concatenate(([float(lo)], gw, [float(m - hi)])), False)


def moments(s: np.ndarray) -> tuple[float, float]:
    """(mean, sum of squared deviations) of an array, in blocks (no full-size temporaries)."""
    if not len(s):
        return float("nan"), 0.0
    mean = float(s.mean())
    m2 = 0.0
    for a in range(0, len(s), BLOCK):
        d = s[a:a + BLOCK] - mean
        m2 += float(np.dot(d, d))
    return mean, m2


def aligned_counts(ref, cur, unseen_as_one: bool = False) -> tuple[list, np.ndarray, np.ndarray, float]:
    """Counts of reference and batch over the union of their categories (or distinct values).

    Batch values outside a truncated profile's kept categories go to "other". Unseen values keep
    their own key (up to MAX_UNSEEN of them) unless ``unseen_as_one``. Returns (keys, ref, cur,
    unseen_count).
    """
    from monitor.drift.summary import MAX_UNSEEN, OTHER

    if ref.kind == "numeric":
        if not ref.exact:
            raise ColumnError("treating values as categories needs a profile with every distinct value "
                              f"(this column has more than {len(ref.values)} distinct values)")
        cur_v, cur_c = cur.distinct()
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
