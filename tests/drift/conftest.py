"""Seeded synthetic data shared by the drift tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ReferenceProfile


def frame(n: int, seed: int, shift: float = 0.0, new_share: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    levels = np.array(["a", "b", "c", "new"], dtype=object)
    p = np.array([0.5, 0.3, 0.2, 0.0]) * (1 - new_share)
    p[3] = new_share
    return pd.DataFrame({
        "x": rng.normal(shift, 1, n),
        "y": rng.exponential(2, n),
        "k": rng.poisson(3, n),
        "c": levels[rng.choice(4, n, p=p)],
        "pred": rng.random(n),
    })


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return frame(5000, seed=1)


@pytest.fixture(scope="module")
def profile(reference) -> ReferenceProfile:
    return ReferenceProfile.fit(reference, ["x", "y", "k"], ["c"], extra_numeric=["pred"])
