"""Model-agnostic interventional Shapley values on the original input columns, within a budget.

The value of a coalition S for a row x is the model output averaged over background rows whose
columns in S are replaced by x's. Each sample pairs one background row z with one random
permutation of the features and walks from z to x one feature at a time; a feature's
contribution is the change in output at its step, so every sample adds up to f(x) - f(z)
exactly. Samples come in antithetic pairs (a permutation and its reverse) and every background row
is used equally often, so the values of a row add up exactly to f(x) minus the background mean.

The cost is bounded by a budget of model evaluations per explained row (``max_evaluations``)
and, optionally, a time budget per 300 explained rows measured once on the model when the sampler
is built. The plan (background rows, permutations) is fixed at build time and the permutations
come from ``seed``, so a sampler gives the same values for a row every time, alone or in a batch.
All coalitions are enumerated (exact values) only when that fits the same budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

DEFAULT_MAX_EVALUATIONS = 2048
DEFAULT_TIME_BUDGET = 5.0
TIME_BUDGET_ROWS = 300
MIN_BACKGROUND_ROWS = 4
_CALIBRATION_ROWS = 1024
_CALIBRATION_SECONDS = 0.5
# Share of the time budget planned for model calls; the rest covers building the hybrid rows.
_MODEL_SHARE = 0.8
_MAX_ROWS_PER_CALL = 100_000


class ShapleySampler:
    """Interventional Shapley values of ``predict`` (a DataFrame -> 1-D array function).

    ``max_evaluations`` caps the model evaluations (rows passed to ``predict``) spent per explained
    row. ``time_budget`` (seconds per 300 explained rows, or None) lowers that cap when a timed
    call shows the model is too slow for it; the plan then depends on the machine's speed, so pass
    None for a plan that depends on the budget and seed alone.
    """

    def __init__(
        self,
        predict: Callable[[pd.DataFrame], np.ndarray],
        background: pd.DataFrame,
        seed: int = 0,
        *,
        max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
        time_budget: float | None = DEFAULT_TIME_BUDGET,
    ):
        if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, int) or max_evaluations < 1:
            raise ValueError(f"max_evaluations must be a positive integer, got {max_evaluations!r}")
        if time_budget is not None and not time_budget > 0:
            raise ValueError(f"time_budget must be a positive number of seconds or None, got {time_budget!r}")
        self.predict = predict
        self.columns = list(background.columns)
        background = background.reset_index(drop=True)
        start = time.perf_counter()
        outputs = self._call(background)
        self.seconds_per_evaluation: float | None = None
        budget = max_evaluations
        if time_budget is not None:
            self.seconds_per_evaluation = self._calibrate(background, (time.perf_counter() - start) / len(background))
            model_seconds = _MODEL_SHARE * time_budget
            budget = min(budget, int(model_seconds / (TIME_BUDGET_ROWS * self.seconds_per_evaluation)))
        p = len(self.columns)
        self.exact, rounds, n_bg = _plan(budget, p, len(background))
        self.time_limited = (self.exact, rounds, n_bg) != _plan(max_evaluations, p, len(background))
        self.background = background.head(n_bg)
        self.background_outputs = outputs[:n_bg]
        self.base_value = float(np.mean(self.background_outputs))
        self.rounds = rounds
        if self.exact:
            codes = np.arange(1, 2**p - 1)
            self.coalitions = ((codes[:, None] >> np.arange(p)) & 1).astype(bool)
            self.evaluations_per_row = len(self.coalitions) * n_bg + 1
        else:
            self._plan_permutations(np.random.default_rng(seed), rounds, n_bg, p)
            self.evaluations_per_row = len(self.coalitions) + 1

    def _plan_permutations(self, rng: np.random.Generator, rounds: int, n_bg: int, p: int) -> None:
        perms = []
        for _ in range(rounds):
            for _ in range(n_bg):
                perm = rng.permutation(p)
                perms += [perm, perm[::-1]]
        self.permutations = np.array(perms)
        # Step t of permutation k adds feature permutations[k, t].
        self.step_feature = np.zeros((len(perms) * p, p))
        self.step_feature[np.arange(len(perms) * p), self.permutations.reshape(-1)] = 1.0
        self.sample_rows = np.tile(np.repeat(np.arange(n_bg), 2), rounds)
        # Interior steps only: step 0 is the background row itself and step p is x.
        rank = np.argsort(self.permutations, axis=1)
        steps = rank[:, None, :] < np.arange(1, p)[None, :, None]
        self.coalitions = steps.reshape(-1, p)
        self.coalition_rows = np.repeat(self.sample_rows, p - 1)

    @property
    def method(self) -> str:
        n_bg = len(self.background)
        if self.exact:
            return f"exact interventional Shapley values over {n_bg} background rows"
        return (
            f"interventional Shapley values sampled from {len(self.permutations)} permutations in antithetic pairs "
            f"over {n_bg} background rows"
        )

    @property
    def expected_seconds(self) -> float | None:
        """Estimated seconds to explain 300 rows, when the model was timed."""
        if self.seconds_per_evaluation is None:
            return None
        return TIME_BUDGET_ROWS * self.evaluations_per_row * self.seconds_per_evaluation

    def shap_values(self, X: pd.DataFrame) -> np.ndarray:
        """One row of contributions per row of ``X``, columns in ``self.columns`` order."""
        X = X[self.columns]
        p = len(self.columns)
        if len(X) == 0:
            return np.zeros((0, p))
        own = self._call(X)
        inner = self._coalition_values(X)
        if self.exact:
            values = np.empty((len(X), 2**p))
            values[:, 0], values[:, -1], values[:, 1:-1] = self.base_value, own, inner
            return _exact_from_values(values, p)
        n, m = len(X), len(self.permutations)
        path = np.empty((n, m, p + 1))
        path[:, :, 0] = self.background_outputs[self.sample_rows]
        path[:, :, 1:p] = inner.reshape(n, m, p - 1)
        path[:, :, p] = own[:, None]
        deltas = np.diff(path, axis=2).reshape(n, m * p)
        return deltas @ self.step_feature / m

    def _call(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.asarray(self.predict(frame), dtype=float)
        if out.shape != (len(frame),):
            raise ValueError(f"expected one output per row, got an array of shape {out.shape}")
        return out

    def _calibrate(self, background: pd.DataFrame, first: float) -> float:
        """Seconds per evaluated row: an overestimate for the large calls the sampler makes.

        ``first`` is the per-row time of the call on the background; a model slow enough for a
        calibration call to take long is planned from that figure alone.
        """
        if first * _CALIBRATION_ROWS > _CALIBRATION_SECONDS:
            return max(first, 1e-9)
        reps = max(1, _CALIBRATION_ROWS // len(background))
        frame = background.iloc[np.tile(np.arange(len(background)), reps)].reset_index(drop=True)
        start = time.perf_counter()
        self._call(frame)
        return max(time.perf_counter() - start, 1e-9) / len(frame)

    def _coalition_values(self, X: pd.DataFrame) -> np.ndarray:
        """(rows, coalitions) model values; averaged over the background for exact values."""
        if self.exact and len(self.coalitions) == 0:
            return np.zeros((len(X), 0))
        per_row = len(self.coalitions) * (len(self.background) if self.exact else 1)
        chunk = max(1, _MAX_ROWS_PER_CALL // per_row)
        parts = [self._chunk_values(X.iloc[start : start + chunk]) for start in range(0, len(X), chunk)]
        return np.concatenate(parts, axis=0)

    def _chunk_values(self, X: pd.DataFrame) -> np.ndarray:
        n, m, n_bg = len(X), len(self.coalitions), len(self.background)
        if self.exact:
            mask, rows = np.repeat(self.coalitions, n_bg, axis=0), np.tile(np.arange(n_bg), m)
        else:
            mask, rows = self.coalitions, self.coalition_rows
        hybrid = {}
        for j, col in enumerate(self.columns):
            x, b = X[col], self.background[col]
            mixed = np.where(mask[None, :, j], x.to_numpy()[:, None], b.to_numpy()[rows][None, :]).reshape(-1)
            hybrid[col] = _like(mixed, x, b)
        out = self._call(pd.DataFrame(hybrid))
        if self.exact:
            return out.reshape(n, m, n_bg).mean(axis=2)
        return out.reshape(n, m)


def _plan(budget: int, p: int, n_bg: int) -> tuple[bool, int, int]:
    """(exact, rounds, background rows) of the largest plan within ``budget`` evaluations per row."""
    if p == 1 or (2**p - 2) * n_bg + 1 <= budget:
        return True, 0, n_bg
    if 2 * n_bg * (p - 1) + 1 <= budget:
        return False, (budget - 1) // (2 * n_bg * (p - 1)), n_bg
    return False, 1, min(n_bg, max(MIN_BACKGROUND_ROWS, (budget - 1) // (2 * (p - 1))))


def _like(values: np.ndarray, x: pd.Series, b: pd.Series) -> pd.Series:
    """A hybrid column with the batch column's categorical dtype (widened to the background's categories)."""
    if isinstance(x.dtype, pd.CategoricalDtype):
        categories = list(x.dtype.categories)
        if isinstance(b.dtype, pd.CategoricalDtype):
            known = set(categories)
            categories += [c for c in b.dtype.categories if c not in known]
        return pd.Series(pd.Categorical(values, categories=categories, ordered=x.dtype.ordered))
    return pd.Series(values)


def _exact_from_values(values: np.ndarray, p: int) -> np.ndarray:
    codes = np.arange(2**p)
    sizes = np.array([bin(c).count("1") for c in codes])
    weights = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    phi = np.empty((values.shape[0], p))
    for j in range(p):
        without = codes[(codes >> j) & 1 == 0]
        phi[:, j] = (values[:, without | (1 << j)] - values[:, without]) @ weights[sizes[without]]
    return phi
