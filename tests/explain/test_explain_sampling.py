"""The sampling explainer: used when no exact one exists, additive, seeded, within its budget."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from explain_data import LOAN_CATEGORICAL, LOAN_NUMERIC, loan_frame
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from monitor.explain import ExplainError, ModelExplainer
from monitor.explain._shapley import ShapleySampler

FEATURES = LOAN_NUMERIC + LOAN_CATEGORICAL


def scaled_pipeline(estimator, numeric=LOAN_NUMERIC, categorical=LOAN_CATEGORICAL):
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return make_pipeline(prep, estimator)


class Interactions:
    """A regression model with a three-way interaction (pairs alone are exact for antithetic sampling)."""

    def predict(self, X):
        debt, income = X["debt_ratio"].to_numpy(float), X["income"].to_numpy(float) / 50_000
        unemployed = (X["employment_type"] == "unemployed").to_numpy()
        return np.maximum(debt + income + unemployed - 1.5, 0) + debt * income * unemployed


class Counting:
    """Wraps a classifier and records the number of rows of every call to it."""

    def __init__(self, inner, delay_per_row: float = 0.0):
        self.inner = inner
        self.classes_ = inner.classes_
        self.delay_per_row = delay_per_row
        self.calls: list[int] = []

    def predict_proba(self, X):
        self.calls.append(len(X))
        if self.delay_per_row:
            time.sleep(self.delay_per_row * len(X))
        return self.inner.predict_proba(X)


@pytest.fixture(scope="module")
def loans():
    X, y = loan_frame(400, seed=31)
    batch = loan_frame(60, seed=32)[0]
    batch.loc[batch.index[::4], "region"] = "never-seen"
    return X, y, batch


@pytest.fixture(scope="module")
def knn(loans):
    X, y, _ = loans
    return scaled_pipeline(KNeighborsClassifier(n_neighbors=15)).fit(X, y)


@pytest.mark.parametrize("name", ["SVC", "KNeighborsClassifier"])
def test_models_without_an_exact_explainer_are_sampled_and_add_up(loans, name):
    X, y, batch = loans
    estimator = SVC(probability=True, random_state=0) if name == "SVC" else KNeighborsClassifier(n_neighbors=15)
    model = scaled_pipeline(estimator).fit(X, y)
    explainer = ModelExplainer(model, FEATURES, "classification", background=X, time_budget=None)
    assert (explainer.kind, explainer.exact, explainer.output) == ("model-agnostic", False, "probability of class 1")
    assert explainer.fallback_reason == f"{name} has no exact explainer (it is neither a tree ensemble nor a linear model)"
    assert explainer.description.startswith("Sampling explainer: interventional Shapley values sampled from ")
    assert f"used because {name} has no exact explainer" in explainer.description
    assert "model evaluations per row" in explainer.description
    rows = explainer.explain_rows(batch)
    expected = model.predict_proba(batch)[:, 1]
    np.testing.assert_allclose(rows.base_value + rows.values.sum(axis=1), expected, rtol=0, atol=1e-9)
    assert rows.base_value == pytest.approx(model.predict_proba(X.sample(50, random_state=0))[:, 1].mean(), abs=1e-12)
    assert explainer.global_importance(batch).to_dict()["description"] == explainer.description


def test_same_seed_same_values_and_a_row_alone_matches_its_batch(loans, knn):
    X, _, batch = loans
    first = ModelExplainer(knn, FEATURES, "classification", background=X, seed=4, time_budget=None)
    again = ModelExplainer(knn, FEATURES, "classification", background=X, seed=4, time_budget=None)
    other = ModelExplainer(knn, FEATURES, "classification", background=X, seed=5, time_budget=None)
    values = first.explain_rows(batch).values
    pd.testing.assert_frame_equal(values, again.explain_rows(batch).values, check_exact=True)
    assert not np.allclose(values, other.explain_rows(batch).values)
    alone = first.explain_row(batch, batch.index[7])
    np.testing.assert_allclose(list(alone.contributions.values()), values.iloc[7].to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("budget", [60, 300, 1500])
def test_model_calls_stay_within_the_evaluation_budget(loans, knn, budget):
    X, _, batch = loans
    model = Counting(knn)
    explainer = ModelExplainer(model, FEATURES, "classification", background=X, max_evaluations=budget, time_budget=None)
    assert sum(model.calls) == 50  # building calls the model on the background sample only
    model.calls.clear()
    rows = explainer.explain_rows(batch)
    assert 0 < sum(model.calls) <= budget * len(batch)
    # The plan uses a good part of its budget: every feature but the first step of each walk is evaluated.
    assert sum(model.calls) > budget * len(batch) / 2
    np.testing.assert_allclose(rows.output_values, knn.predict_proba(batch)[:, 1], rtol=0, atol=1e-9)


def test_a_slow_model_gets_a_plan_that_fits_the_time_budget(loans, knn):
    X, _, batch = loans
    delay = 2e-4  # seconds per row: at least this long, so the plan must fit 5 s / 300 rows
    model = Counting(knn, delay_per_row=delay)
    explainer = ModelExplainer(model, FEATURES, "classification", background=X, time_budget=5.0)
    sampler = explainer._engine.sampler
    assert sampler.seconds_per_evaluation >= delay and sampler.time_limited
    assert sampler.evaluations_per_row <= 5.0 / (300 * delay)
    assert explainer.expected_seconds == pytest.approx(300 * sampler.evaluations_per_row * sampler.seconds_per_evaluation)
    assert "to fit the budget of 5 s per 300 rows" in explainer.description
    model.calls.clear()
    model.delay_per_row = 0.0
    rows = explainer.explain_rows(batch.head(5))
    assert sum(model.calls) <= sampler.evaluations_per_row * 5
    np.testing.assert_allclose(rows.output_values, knn.predict_proba(batch.head(5))[:, 1], rtol=0, atol=1e-9)


def test_exact_enumeration_only_when_it_fits_the_budget(loans, knn):
    X, _, batch = loans
    small = ["debt_ratio", "income", "employment_type"]
    exact = ModelExplainer(Interactions(), small, "regression", background=X, time_budget=None)
    assert exact.exact and exact.description.startswith("Exact model-agnostic explainer: exact interventional Shapley")
    assert exact._engine.sampler.evaluations_per_row == (2**3 - 2) * 50 + 1
    sampled = ModelExplainer(Interactions(), small, "regression", background=X, max_evaluations=250, time_budget=None)
    assert not sampled.exact and sampled._engine.sampler.evaluations_per_row == 201
    truth = exact.explain_rows(batch).values
    estimate = sampled.explain_rows(batch).values
    np.testing.assert_allclose(estimate.sum(axis=1), truth.sum(axis=1), rtol=0, atol=1e-9)
    assert (estimate - truth).abs().to_numpy().max() > 1e-6  # really sampled
    # Sampling error is small next to the size of the contributions.
    assert (estimate - truth).abs().to_numpy().mean() < 0.03 * truth.abs().to_numpy().mean()
    full = ModelExplainer(knn, FEATURES, "classification", background=X, time_budget=None)
    assert not full.exact  # seven features: 126 coalitions x 50 rows exceed the default budget


def test_pandas_categories_reach_the_model_with_their_dtype(loans):
    X, y, batch = loans
    Xc = X.astype({c: "category" for c in LOAN_CATEGORICAL})
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(Xc, y)
    batch_c = batch.astype({c: pd.CategoricalDtype(list(Xc[c].cat.categories) + ["never-seen"]) for c in LOAN_CATEGORICAL})
    wrapped = Counting(model)
    explainer = ModelExplainer(wrapped, FEATURES, "classification", background=Xc, time_budget=None)
    assert explainer.kind == "model-agnostic"
    rows = explainer.explain_rows(batch_c)
    np.testing.assert_allclose(rows.output_values, model.predict_proba(batch_c)[:, 1], rtol=0, atol=1e-9)


def test_bad_budgets_are_named():
    X, y = loan_frame(50, seed=33)
    model = scaled_pipeline(KNeighborsClassifier()).fit(X, y)
    with pytest.raises(ExplainError, match="max_evaluations must be a positive integer, got 0"):
        ModelExplainer(model, FEATURES, "classification", background=X, max_evaluations=0)
    with pytest.raises(ExplainError, match="time_budget must be a positive number of seconds or None, got -1"):
        ModelExplainer(model, FEATURES, "classification", background=X, time_budget=-1)
    with pytest.raises(ValueError, match="max_evaluations"):
        ShapleySampler(model.predict, X, max_evaluations=1.5)
