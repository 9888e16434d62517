"""Spark fixtures: one local SparkSession per test session, and seeded frames shared by the Spark tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.spark.helpers import spark_session

NUMERIC = ["x", "y", "k", "z"]
CATEGORICAL = ["c", "flag"]


def frame(n: int, seed: int, shift: float = 0.0, new_share: float = 0.0) -> pd.DataFrame:
    """Mixed columns: continuous, skewed with a spike at zero, few integers, missing and infinite values,
    text with missing values and a new category, booleans."""
    rng = np.random.default_rng(seed)
    levels = np.array(["a", "b", "c", "d", "new"], dtype=object)
    p = np.array([0.4, 0.3, 0.2, 0.1, 0.0]) * (1 - new_share)
    p[4] = new_share
    y = np.where(rng.random(n) < 0.2, 0.0, rng.exponential(2, n))
    z = rng.normal(5 + shift, 2, n)
    z[rng.random(n) < 0.03] = np.nan
    z[rng.random(n) < 0.002] = np.inf
    c = levels[rng.choice(5, n, p=p)]
    c[rng.random(n) < 0.02] = None
    return pd.DataFrame({
        "x": rng.normal(shift, 1, n), "y": y, "k": rng.poisson(3, n).astype("int64"), "z": z, "c": c,
        "flag": rng.random(n) < 0.3 + shift / 10, "prediction": rng.random(n) + shift / 3,
    })


@pytest.fixture(scope="session")
def spark():
    return spark_session()
