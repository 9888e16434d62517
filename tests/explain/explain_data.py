"""Seeded data and the demo model shapes (loan-default classifier, store-demand regressor)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

LOAN_NUMERIC = ["income", "age", "debt_ratio", "credit_history_years", "loan_amount"]
LOAN_CATEGORICAL = ["employment_type", "region"]
DEMAND_NUMERIC = ["price", "promotion", "temperature", "day_of_week"]
DEMAND_CATEGORICAL = ["store_region", "category"]


def loan_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.normal(50_000, 15_000, n).round(),
            "age": rng.integers(18, 70, n).astype(float),
            "debt_ratio": rng.uniform(0, 1, n),
            "credit_history_years": rng.integers(0, 30, n).astype(float),
            "loan_amount": rng.normal(10_000, 3_000, n).round(),
            "employment_type": rng.choice(["salaried", "self-employed", "unemployed"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    logit = -1 + 3 * X.debt_ratio - X.income / 30_000 + 1.5 * (X.employment_type == "unemployed")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


def demand_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "price": rng.uniform(1, 20, n),
            "promotion": rng.integers(0, 2, n).astype(float),
            "temperature": rng.normal(15, 8, n),
            "day_of_week": rng.integers(0, 7, n).astype(float),
            "store_region": rng.choice(["north", "south", "city"], n),
            "category": rng.choice(["food", "drinks", "home"], n),
        }
    )
    y = 100 - 3 * X.price + 20 * X.promotion + 0.5 * X.temperature + 10 * (X.category == "food") + rng.normal(0, 5, n)
    return X, y.to_numpy()


def messy(X: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """A batch with missing numbers and categories never seen at training time."""
    X = X.copy()
    X.loc[X.index[::4], numeric[0]] = np.nan
    X.loc[X.index[1::6], numeric[-1]] = np.nan
    X.loc[X.index[::5], categorical[-1]] = "never-seen"
    return X


def demo_pipeline(estimator, numeric: list[str], categorical: list[str]) -> Pipeline:
    prep = ColumnTransformer(
        [("num", SimpleImputer(strategy="median"), numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)]
    )
    return Pipeline([("prep", prep), ("model", estimator)])
