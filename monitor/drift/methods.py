"""Drift methods: a registry of named statistics, each a pure function of (profile, batch).

Each method states its column kinds, what its statistic is and how the threshold reads:
``"p_value"`` methods flag drift when the p-value falls below the threshold, ``"distance"``
methods when the distance reaches it. The Evidently-named methods (``ks``, ``wasserstein``,
``psi``, ``jensenshannon``, ``chisquare``, ``z``) reproduce Evidently 0.7's definitions, so a
model configured with them gets the numbers Evidently would give. The ``*_guarded`` methods are
this package's defaults (see ``DEFAULTS``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from typing import Literal

import numpy as np
from scipy import stats
from scipy.spatial import distance as _distance

from monitor.drift._sketch import BLOCK
from monitor.drift.summary import (
    CategoricalBatch,
    CategoricalSummary,
    ColumnError,
    NumericBatch,
    NumericSummary,
    aligned_counts,
)

__all__ = ["Method", "Outcome", "register", "get_method", "method_names", "NOISE_ALPHA", "WASSERSTEIN_NOISE_Q"]

Summary = NumericSummary | CategoricalSummary
Batch = NumericBatch | CategoricalBatch

# Sampling-noise guard of the default methods: the distance that noise alone exceeds with
# probability ~0.1% at the batch's effective size n_ref*n_cur/(n_ref+n_cur).
NOISE_ALPHA = 0.001
# 99.9% quantile of sqrt(n_eff) * W1 / J under no drift, where J = integral sqrt(F(1-F)) dx; found
# by simulation over normal, log-normal, exponential, uniform, Student-t(3), bimodal and Poisson
# columns (1.9-2.6 across them; bench/false_alarms.py checks the resulting rates).
WASSERSTEIN_NOISE_Q = 2.4


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a method returns: the statistic, its p-value if any, and the threshold actually applied."""

    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    rule: str


@dataclasses.dataclass(frozen=True)
class Method:
    """A registered drift method."""

    name: str
    kinds: tuple[str, ...]
    statistic: str
    direction: Literal["p_value", "distance"]
    default_threshold: float
    description: str
    func: Callable[[Summary, Batch, float], Outcome] = dataclasses.field(repr=False, compare=False)

    def rule(self, threshold: float) -> str:
        if self.direction == "p_value":
            return f"drift if {self.statistic} < {threshold:g}"
        return f"drift if {self.statistic} >= {threshold:g}"


_REGISTRY: dict[str, Method] = {}


def register(name: str, kinds: tuple[str, ...], statistic: str, direction: Literal["p_value", "distance"],
             default_threshold: float, description: str) -> Callable:
    """Decorator registering ``func(profile, batch, threshold) -> Outcome`` under ``name``."""

    def deco(func: Callable[[Summary, Batch, float], Outcome]) -> Callable:
        _REGISTRY[name] = Method(name, kinds, statistic, direction, default_threshold, description, func)
        return func

    return deco


def method_names(kind: str) -> list[str]:
    """Names of the drift methods valid for a column kind ("numeric" or "categorical")."""
    if kind not in ("numeric", "categorical"):
        raise ValueError(f"unknown column kind '{kind}'; expected 'numeric' or 'categorical'")
    return sorted(n for n, m in _REGISTRY.items() if kind in m.kinds)


def get_method(name: str, kind: str | None = None) -> Method:
    """The registered method ``name``; the error lists valid names read from the registry."""
    method = _REGISTRY.get(name)
    if method is None:
        valid = method_names(kind) if kind else sorted(_REGISTRY)
        where = f" for {kind} columns" if kind else ""
        raise ValueError(f"unknown drift method '{name}'; valid methods{where}: {', '.join(valid)}")
    if kind is not None and kind not in method.kinds:
        raise ValueError(f"drift method '{name}' does not apply to {kind} columns; "
                         f"valid {kind} methods: {', '.join(method_names(kind))}")
    return method


def _outcome(name: str, statistic: float, threshold: float, p_value: float | None = None) -> Outcome:
    method = _REGISTRY[name]
    if method.direction == "p_value":
        drifted = statistic <= threshold if name == "ks" else statistic < threshold
    else:
        drifted = statistic >= threshold
    return Outcome(float(statistic), p_value, float(threshold), bool(drifted), method.rule(threshold))


def _n_eff(n_ref: int, n_cur: int) -> float:
    return n_ref * n_cur / (n_ref + n_cur)


# ----------------------------------------------------------------------------------------------
# numeric: distances on the two empirical CDFs


def _cdf_gaps(ref: NumericSummary, cur: NumericBatch) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """|reference CDF - batch CDF| at every support point of either, and the width to the next point.

    Both CDFs are right-continuous, as scipy evaluates them; yields (gaps, widths) pairs whose
    concatenation covers the merged support in order. Linear in the (already sorted) batch: its
    distinct values come from one comparison pass, the reference CDF is constant between
    reference points so it is laid out with ``np.repeat``, and a long batch is cut into blocks at
    changes of value, so no temporary is longer than a block.
    """
    v, rv = cur.values, ref.values
    cum = np.concatenate(([0.0], np.cumsum(ref.weights)))
    total, n = cum[-1], len(v)
    weighted = cur.weights is not None
    cum_cur = np.cumsum(cur.weights) if weighted else None
    denom = cum_cur[-1] if weighted else n
    f_ref = cum / total  # reference CDF after the first j points
    gap_ref = np.abs(f_ref[np.searchsorted(rv, rv, side="right")] - cur.count_at(rv, "right") / denom)
    next_ref = np.append(rv[1:], np.inf)
    cuts = [0] if weighted else sorted({0, *np.searchsorted(v, v[BLOCK::BLOCK], "left").tolist()})
    bounds = [*cuts, n]
    r0 = 0
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        blk = v[a:b]
        last = np.empty(len(blk), dtype=bool)
        last[-1] = True
        np.not_equal(blk[1:], blk[:-1], out=last[:-1])
        if weighted:
            cu, fc = blk[last], cum_cur[a:b][last] / denom
        elif last.all():
            cu, fc = blk, np.arange(a + 1, b + 1, dtype=np.float64)
            fc /= denom
        else:
            cu, fc = blk[last], (np.flatnonzero(last) + (a + 1)) / denom
        nxt = float(v[b]) if b < n else np.inf
        r1 = len(rv) if b == n else int(np.searchsorted(rv, nxt, "left"))
        rb = rv[r0:r1]  # reference points in [v[a], v[b])
        q = np.searchsorted(cu, rb, side="left")  # batch values below each of them
        fr = np.repeat(f_ref[r0:r1 + 1], np.diff(np.concatenate(([0], q, [len(cu)]))))
        gaps = np.subtract(fr, fc, out=fr)
        np.abs(gaps, out=gaps)
        widths = np.diff(cu, append=nxt)
        uq, first = np.unique(q, return_index=True)  # the next knot of a batch value may be a reference point
        widths[uq[uq > 0] - 1] = rb[first[uq > 0]] - cu[uq[uq > 0] - 1]
        if b == n and np.isinf(widths[-1]):
            widths[-1] = 0.0
        yield gaps, widths
        if len(rb):
            after = np.where(q < len(cu), cu[np.minimum(q, len(cu) - 1)], nxt)
            w_ref = np.minimum(next_ref[r0:r1], after) - rb
            yield gap_ref[r0:r1], np.where(np.isfinite(w_ref), w_ref, 0.0)
        r0 = r1


def _ks_pvalue(d: float, n1: int, n2: int) -> float:
    # Same choice as scipy.stats.ks_2samp(method="auto"): exact below 10,000 rows, else Smirnov.
    if max(n1, n2) <= 10_000:
        try:
            from scipy.stats._stats_py import _attempt_exact_2kssamp

            ok, _, p = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
            if ok:
                return float(np.clip(p, 0, 1))
        except (ImportError, FloatingPointError, OverflowError):
            pass
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def ks_statistic(ref: NumericSummary, cur: NumericBatch) -> float:
    """Two-sample Kolmogorov-Smirnov distance D."""
    return max(float(np.max(gaps)) for gaps, _ in _cdf_gaps(ref, cur))


@register("ks", ("numeric",), "p_value", "p_value", 0.05,
          "Kolmogorov-Smirnov two-sample test; statistic is the p-value (as Evidently), drift if p <= threshold")
def _ks(ref: NumericSummary, cur: NumericBatch, threshold: float) -> Outcome:
    d = ks_statistic(ref, cur)
    p = _ks_pvalue(d, ref.count, cur.count)
    return _outcome("ks", p, threshold, p)


def wasserstein_norm(ref: NumericSummary, cur: NumericBatch) -> float:
    """First Wasserstein distance divided by the reference's standard deviation (floored at 0.001)."""
    w = sum(float(np.dot(gaps, widths)) for gaps, widths in _cdf_gaps(ref, cur))
    return w / max(ref.std, 0.001)


@register("wasserstein", ("numeric",), "normalized Wasserstein distance", "distance", 0.1,
          "Wasserstein-1 distance divided by the reference standard deviation (Evidently's 'wasserstein')")
def _wasserstein(ref: NumericSummary, cur: NumericBatch, threshold: float) -> Outcome:
    return _outcome("wasserstein", wasserstein_norm(ref, cur), threshold)


def wasserstein_noise_floor(ref: NumericSummary, n_cur: int, q: float = WASSERSTEIN_NOISE_Q) -> float:
    """Normalized Wasserstein distance that sampling noise alone exceeds with probability ~NOISE_ALPHA."""
    if ref.count == 0 or n_cur == 0 or len(ref.values) < 2:
        return 0.0
    cum = np.cumsum(ref.weights)[:-1] / ref.weights.sum()
    j = float(np.sum(np.sqrt(cum * (1 - cum)) * np.diff(ref.values)))
    return q * j / math.sqrt(_n_eff(ref.count, n_cur)) / max(ref.std, 0.001)


@register("wasserstein_guarded", ("numeric",), "normalized Wasserstein distance", "distance", 0.1,
          "normalized Wasserstein distance; drift if it reaches the threshold and also the distance that "
          "sampling noise exceeds with probability 0.1% at this batch size (default for numeric columns)")
def _wasserstein_guarded(ref: NumericSummary, cur: NumericBatch, threshold: float) -> Outcome:
    stat = wasserstein_norm(ref, cur)
    floor = wasserstein_noise_floor(ref, cur.count)
    applied = max(threshold, floor)
    rule = (f"drift if normalized Wasserstein >= {applied:.4g} (effect threshold {threshold:g}; "
            f"sampling-noise bound {floor:.4g} at n={cur.count})")
    return Outcome(stat, None, applied, stat >= applied, rule)


# ----------------------------------------------------------------------------------------------
# binned (Evidently's get_binned_data) for PSI and Jensen-Shannon


def _binned(ref: Summary, cur: Batch, fill_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(ref, NumericSummary) and not (ref.exact and len(ref.values) <= 20):
        lo, hi = min(ref.min, cur.min), max(ref.max, cur.max)
        edges = np.histogram_bin_edges(np.array([lo, hi]), bins=_sturges_bins(lo, hi, ref.count + cur.count),
                                       range=(lo, hi))
        r = np.diff(np.concatenate((ref.cdf_at(edges[:-1], "left"), ref.cdf_at(edges[-1:], "right"))))
        c = np.diff(np.concatenate((cur.count_at(edges[:-1], "left"), cur.count_at(edges[-1:], "right"))))
        r_pct, c_pct = r / ref.count, c / cur.count
    else:
        _, r, c, _ = aligned_counts(ref, cur)
        r_pct, c_pct = r / ref.count, c / cur.count
    if fill_zeros:
        r_pct, c_pct = _fill_zeros(r_pct), _fill_zeros(c_pct)
    return r_pct, c_pct


def _sturges_bins(lo: float, hi: float, n: int) -> int:
    # numpy's 'sturges' rule as np.histogram_bin_edges computes it for n points spanning [lo, hi]
    ptp = hi - lo
    if ptp == 0:
        return 1
    width = ptp / (np.log2(n) + 1.0)
    return int(np.ceil(ptp / width))


def _fill_zeros(pct: np.ndarray) -> np.ndarray:
    nz = pct[pct != 0]
    if not len(nz):
        return pct
    fill = nz.min() / 10**6 if nz.min() <= 0.0001 else 0.0001
    return np.where(pct == 0, fill, pct)


def psi_value(r: np.ndarray, c: np.ndarray) -> float:
    return float(np.sum((r - c) * np.log(r / c)))


@register("psi", ("numeric", "categorical"), "PSI", "distance", 0.1,
          "population stability index on Sturges bins over reference+batch (numeric with >20 values) or "
          "on categories, empty bins filled as Evidently does")
def _psi(ref: Summary, cur: Batch, threshold: float) -> Outcome:
    r, c = _binned(ref, cur, fill_zeros=True)
    return _outcome("psi", psi_value(r, c), threshold)


@register("jensenshannon", ("numeric", "categorical"), "Jensen-Shannon distance", "distance", 0.1,
          "Jensen-Shannon distance (natural log) on Sturges bins (numeric with >20 values) or categories")
def _jensenshannon(ref: Summary, cur: Batch, threshold: float) -> Outcome:
    r, c = _binned(ref, cur, fill_zeros=False)
    return _outcome("jensenshannon", float(_distance.jensenshannon(r, c)), threshold)


@register("jensenshannon_guarded", ("categorical",), "Jensen-Shannon distance", "distance", 0.04,
          "Jensen-Shannon distance over categories (unseen ones pooled); drift if it reaches the threshold and "
          "also the distance that sampling noise exceeds with probability 0.1% at this batch size "
          "(default for categorical columns)")
def _jensenshannon_guarded(ref: Summary, cur: Batch, threshold: float) -> Outcome:
    _, r, c, _ = aligned_counts(ref, cur, unseen_as_one=True)
    stat = float(_distance.jensenshannon(r / r.sum(), c / c.sum()))
    # JS divergence ~ chi2_{k-1} / (8 n_eff) when nothing drifted (Pearson's chi-square in disguise)
    k = int(np.count_nonzero(r + c))
    floor = math.sqrt(stats.chi2.isf(NOISE_ALPHA, max(k - 1, 1)) / (8 * _n_eff(r.sum(), c.sum())))
    applied = max(threshold, floor)
    rule = (f"drift if Jensen-Shannon distance >= {applied:.4g} (effect threshold {threshold:g}; "
            f"sampling-noise bound {floor:.4g} at n={int(c.sum())})")
    return Outcome(stat, None, applied, stat >= applied, rule)


# ----------------------------------------------------------------------------------------------
# categorical tests


@register("chisquare", ("categorical", "numeric"), "p_value", "p_value", 0.05,
          "chi-square goodness of fit of batch counts against reference shares (Evidently's 'chisquare'); "
          "on a numeric column each distinct value is a category")
def _chisquare(ref: Summary, cur: Batch, threshold: float) -> Outcome:
    _, r, c, _ = aligned_counts(ref, cur)
    expected = r * (c.sum() / r.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (c - expected) ** 2 / expected, np.where(c > 0, np.inf, 0.0))
    stat = float(terms.sum())
    p = float(stats.chi2.sf(stat, len(r) - 1)) if len(r) > 1 else 1.0
    return _outcome("chisquare", p, threshold, p)


@register("z", ("categorical", "numeric"), "p_value", "p_value", 0.05,
          "two-proportion z-test for binary columns (Evidently's 'z'): share of the first category, sorted")
def _z(ref: Summary, cur: Batch, threshold: float) -> Outcome:
    keys, r, c, _ = aligned_counts(ref, cur)
    if len(keys) == 1:
        return _outcome("z", 1.0, threshold, 1.0)
    first = min(range(len(keys)), key=lambda i: keys[i])
    n1, n2 = r.sum(), c.sum()
    p1, p2 = 1 - r[first] / n1, 1 - c[first] / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = float(2 * (1 - stats.norm.cdf(abs(z)))) if np.isfinite(z) else (1.0 if p1 == p2 else 0.0)
    return _outcome("z", p, threshold, p)


@register("unseen_share", ("categorical",), "share of unseen categories", "distance", 0.01,
          "share of the batch's non-missing values in categories the reference never saw")
def _unseen_share(ref: Summary, cur: Batch, threshold: float) -> Outcome:
    if isinstance(ref, CategoricalSummary) and ref.truncated:
        raise ColumnError(f"the reference keeps only its top {len(ref.counts)} categories, so unseen ones "
                          "cannot be told apart from rare ones")
    _, _, c, unseen = aligned_counts(ref, cur)
    return _outcome("unseen_share", unseen / c.sum(), threshold)
