"""Sampling bands: a seeded, vectorised bootstrap of realized metrics, and the rank sums that AUC needs.

Each bootstrap resample is a row of multinomial counts (how often each labelled row is drawn), so
every metric of every resample is a matrix product over the same counts. Resamples are processed
in blocks so that a large batch never holds more than a few million counts at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["BAND_LEVEL", "BOOTSTRAP_RESAMPLES", "bootstrap_blocks", "percentile_band", "weighted_auc", "midranks"]

BAND_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 200
_BLOCK_CELLS = 1_000_000  # counts held at once: resamples per block x rows


def bootstrap_blocks(n: int, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> Iterator[np.ndarray]:
    """Blocks of bootstrap counts, shape (resamples in block, n); each row sums to ``n``."""
    rng = np.random.default_rng(seed)
    per_block = max(1, min(resamples, _BLOCK_CELLS // max(n, 1)))
    done = 0
    while done < resamples:
        b = min(per_block, resamples - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        done += b


def bootstrap(n: int, statistics: Callable[[np.ndarray], dict[str, np.ndarray]], resamples: int = BOOTSTRAP_RESAMPLES,
              seed: int = 0) -> dict[str, np.ndarray]:
    """Run ``statistics(counts)`` on every block of resamples and join the per-resample values by name."""
    parts: dict[str, list[np.ndarray]] = {}
    for counts in bootstrap_blocks(n, resamples, seed):
        for name, values in statistics(counts).items():
            parts.setdefault(name, []).append(np.asarray(values, dtype=float))
    return {name: np.concatenate(values) for name, values in parts.items()}


def percentile_band(values: np.ndarray, level: float = BAND_LEVEL) -> list[float] | None:
    """The central ``level`` interval of the finite values, or None when fewer than half are finite."""
    finite = values[np.isfinite(values)]
    if len(finite) < max(2, len(values) // 2):
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def midranks(score: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``score``, tied values sharing their average rank (as the Mann-Whitney statistic needs)."""
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_score)) + 1]
    ends = np.r_[starts[1:], len(score)]
    ranks = np.empty(len(score))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def weighted_auc(actual: np.ndarray, score: np.ndarray, weights: np.ndarray, presorted: bool = False) -> np.ndarray:
    """AUC of ``score`` for each row of row weights ``weights`` (shape (k, n)); ties count one half.

    With ``presorted``, ``score`` is already in ascending order (and ``actual`` and the weights with it),
    which saves reordering every block of weights.
    """
    if not presorted:
        order = np.argsort(score, kind="mergesort")
        actual, score, weights = actual[order], score[order], weights[:, order]
    neg = weights * ~actual
    pos = weights * actual
    starts = np.r_[0, np.flatnonzero(np.diff(score)) + 1]
    if len(starts) < len(score):  # tied scores: pool each run of ties first
        pos, neg = np.add.reduceat(pos, starts, axis=1), np.add.reduceat(neg, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    pairs = (pos * (below + 0.5 * neg)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pairs / (pos.sum(axis=1) * neg.sum(axis=1))
