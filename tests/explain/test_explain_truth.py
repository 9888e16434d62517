"""Explanations of models whose true attributions are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from monitor.explain import ModelExplainer

COEFS = {"f0": 5.0, "f1": -3.0, "f2": 2.0, "f3": 1.0, "f4": -0.5}


@pytest.fixture(scope="module")
def standardized():
    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.standard_normal((400, len(COEFS))), columns=list(COEFS))
    X = (X - X.mean()) / X.std()
    y = X.to_numpy() @ np.array(list(COEFS.values())) + 4.0 + rng.normal(0, 0.01, len(X))
    return X, y, LinearRegression().fit(X, y)


class PredictOnly:
    """A model SHAP knows nothing about: only a predict method."""

    def __init__(self, inner):
        self.inner = inner

    def predict(self, X):
        return self.inner.predict(X)


def test_linear_importances_rank_by_coefficient_size(standardized):
    X, _, model = standardized
    explainer = ModelExplainer(model, list(COEFS), "regression", background=X)
    importance = explainer.global_importance(X, sample_size=400).importance
    assert list(importance) == sorted(COEFS, key=lambda f: -abs(COEFS[f]))
    # For standard-normal features mean |coef * x| = |coef| * sqrt(2 / pi).
    for name, coef in COEFS.items():
        assert importance[name] == pytest.approx(abs(coef) * np.mean(np.abs(X[name])), rel=0.01)


def test_linear_contribution_is_coefficient_times_distance_from_mean(standardized):
    X, _, model = standardized
    explainer = ModelExplainer(model, list(COEFS), "regression", background=X)
    rows = explainer.explain_rows(X.head(10))
    expected = (X.head(10) - X.mean()) * model.coef_
    np.testing.assert_allclose(rows.values.to_numpy(), expected.to_numpy(), atol=1e-9)
    assert rows.base_value == pytest.approx(model.predict(X).mean(), abs=1e-9)


def test_model_agnostic_recovers_linear_shapley_values_exactly(standardized):
    X, _, model = standardized
    background = X.head(40)
    agnostic = ModelExplainer(PredictOnly(model), list(COEFS), "regression", background=background)
    linear = ModelExplainer(model, list(COEFS), "regression", background=background)
    assert (agnostic.kind, linear.kind) == ("model-agnostic", "linear")
    batch = X.iloc[100:110]
    np.testing.assert_allclose(agnostic.explain_rows(batch).values, linear.explain_rows(batch).values, atol=1e-9)


def test_permutation_sampling_for_many_features_is_additive_and_exact_for_additive_models():
    rng = np.random.default_rng(12)
    columns = [f"x{i}" for i in range(12)]
    X = pd.DataFrame(rng.standard_normal((200, 12)), columns=columns)
    y = X.to_numpy() @ np.arange(12.0)
    model = LinearRegression().fit(X, y)
    explainer = ModelExplainer(PredictOnly(model), columns, "regression", background=X.head(20), seed=3)
    assert "permutations" in explainer.method
    rows = explainer.explain_rows(X.tail(3))
    np.testing.assert_allclose(rows.output_values, model.predict(X.tail(3)), atol=1e-9)
    expected = (X.tail(3) - X.head(20).mean()) * model.coef_
    np.testing.assert_allclose(rows.values.to_numpy(), expected.to_numpy(), atol=1e-8)
