"""Fitted demo models and messy batches shared by the explain tests."""

from __future__ import annotations

import pytest
from explain_data import (
    DEMAND_CATEGORICAL,
    DEMAND_NUMERIC,
    LOAN_CATEGORICAL,
    LOAN_NUMERIC,
    demand_frame,
    demo_pipeline,
    loan_frame,
    messy,
)
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor


@pytest.fixture(scope="session")
def loan():
    X, y = loan_frame(600, seed=1)
    model = demo_pipeline(
        GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0), LOAN_NUMERIC, LOAN_CATEGORICAL
    )
    model.fit(X, y)
    batch = messy(loan_frame(200, seed=2)[0], LOAN_NUMERIC, LOAN_CATEGORICAL)
    return model, X, batch


@pytest.fixture(scope="session")
def demand():
    X, y = demand_frame(500, seed=3)
    model = demo_pipeline(
        GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=0), DEMAND_NUMERIC, DEMAND_CATEGORICAL
    )
    model.fit(X, y)
    batch = messy(demand_frame(150, seed=4)[0], DEMAND_NUMERIC, DEMAND_CATEGORICAL)
    return model, X, batch
