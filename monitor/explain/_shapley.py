"""Model-agnostic interventional Shapley values on the original input columns.

The value of a coalition S for a row x is the model output averaged over background rows whose
columns in S are replaced by x's. With few features every coalition is evaluated and the Shapley
values are exact; with more, antithetic random permutations are sampled. Either way the values of a
row add up exactly to its output minus the background mean (every permutation telescopes).
Rows are built column by column, so categorical strings, NaN and dtypes reach the model untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

MAX_EXACT_FEATURES = 10
N_PERMUTATIONS = 10
_MAX_ROWS_PER_CALL = 50_000


class ShapleySampler:
    """Interventional Shapley values of ``predict`` (a DataFrame -> 1-D array function)."""

    def __init__(self, predict: Callable[[pd.DataFrame], np.ndarray], background: pd.DataFrame, seed: int = 0):
        self.predict = predict
        self.background = background.reset_index(drop=True)
        self.columns = list(background.columns)
        p = len(self.columns)
        self.exact = p <= MAX_EXACT_FEATURES
        if self.exact:
            codes = np.arange(2**p)
            self.coalitions = ((codes[:, None] >> np.arange(p)) & 1).astype(bool)
        else:
            rng = np.random.default_rng(seed)
            perms = []
            for _ in range(N_PERMUTATIONS // 2):
                perm = rng.permutation(p)
                perms += [perm, perm[::-1]]
            self.permutations = np.array(perms)
            steps = np.zeros((len(perms), p + 1, p), dtype=bool)
            for k, perm in enumerate(perms):
                for t in range(1, p + 1):
                    steps[k, t, perm[:t]] = True
            self.coalitions = steps.reshape(-1, p)
        self.base_value = float(np.mean(self._call(self.background)))

    @property
    def method(self) -> str:
        if self.exact:
            return "exact interventional Shapley values"
        return f"interventional Shapley values from {N_PERMUTATIONS} antithetic permutations"

    def shap_values(self, X: pd.DataFrame) -> np.ndarray:
        """One row of contributions per row of ``X``, columns in ``self.columns`` order."""
        values = self._coalition_values(X[self.columns])
        p = len(self.columns)
        if self.exact:
            return _exact_from_values(values, p)
        values = values.reshape(len(X), len(self.permutations), p + 1)
        deltas = np.diff(values, axis=2)
        phi = np.zeros((len(X), p))
        for k, perm in enumerate(self.permutations):
            phi[:, perm] += deltas[:, k, :]
        return phi / len(self.permutations)

    def _call(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.asarray(self.predict(frame), dtype=float)
        if out.shape != (len(frame),):
            raise ValueError(f"expected one output per row, got an array of shape {out.shape}")
        return out

    def _coalition_values(self, X: pd.DataFrame) -> np.ndarray:
        m, n_bg = len(self.coalitions), len(self.background)
        chunk = max(1, _MAX_ROWS_PER_CALL // (m * n_bg))
        parts = [self._chunk_values(X.iloc[start : start + chunk]) for start in range(0, len(X), chunk)]
        return np.concatenate(parts, axis=0)

    def _chunk_values(self, X: pd.DataFrame) -> np.ndarray:
        n, m, n_bg = len(X), len(self.coalitions), len(self.background)
        hybrid = {}
        for j, col in enumerate(self.columns):
            x = X[col].to_numpy()
            b = self.background[col].to_numpy()
            mixed = pd.Series(np.where(self.coalitions[None, :, None, j], x[:, None, None], b[None, None, :]).reshape(-1))
            if isinstance(X[col].dtype, pd.CategoricalDtype):
                mixed = mixed.astype(X[col].dtype)
            hybrid[col] = mixed
        frame = pd.DataFrame(hybrid)
        return self._call(frame).reshape(n, m, n_bg).mean(axis=2)


def _exact_from_values(values: np.ndarray, p: int) -> np.ndarray:
    codes = np.arange(2**p)
    sizes = np.array([bin(c).count("1") for c in codes])
    weights = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    phi = np.empty((values.shape[0], p))
    for j in range(p):
        without = codes[(codes >> j) & 1 == 0]
        phi[:, j] = (values[:, without | (1 << j)] - values[:, without]) @ weights[sizes[without]]
    return phi
