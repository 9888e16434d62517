"""Base value plus contributions equals the explained model output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explain_data import DEMAND_CATEGORICAL, DEMAND_NUMERIC, LOAN_CATEGORICAL, LOAN_NUMERIC, demo_pipeline, loan_frame
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from monitor.explain import ModelExplainer

FEATURES = LOAN_NUMERIC + LOAN_CATEGORICAL


def assert_adds_up(explainer: ModelExplainer, batch: pd.DataFrame, expected: np.ndarray, atol: float = 1e-6) -> None:
    rows = explainer.explain_rows(batch)
    assert list(rows.values.columns) == list(explainer.features)
    assert rows.values.index.equals(batch.index)
    total = rows.base_value + rows.values.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, expected, rtol=0, atol=atol)
    np.testing.assert_allclose(rows.output_values.to_numpy(), expected, rtol=0, atol=atol)


def test_demo_classifier_pipeline_adds_up_to_log_odds_on_raw_columns(loan):
    model, X, batch = loan
    explainer = ModelExplainer(model, FEATURES, "classification")
    assert explainer.kind == "tree"
    assert explainer.output == "log-odds of class 1"
    assert batch["income"].isna().any() and (batch["region"] == "never-seen").any()
    assert_adds_up(explainer, batch, model.decision_function(batch))


def test_demo_regressor_pipeline_adds_up_to_prediction(demand):
    model, X, batch = demand
    explainer = ModelExplainer(model, DEMAND_NUMERIC + DEMAND_CATEGORICAL, "regression", background=X)
    assert (explainer.kind, explainer.output) == ("tree", "predicted value")
    assert_adds_up(explainer, batch, model.predict(batch))


def test_negative_class_is_the_negated_margin(loan):
    model, X, batch = loan
    explainer = ModelExplainer(model, FEATURES, "classification", target_class=0)
    assert explainer.output == "log-odds of class 0"
    assert_adds_up(explainer, batch.head(20), -model.decision_function(batch.head(20)))


def test_random_forest_explains_probability():
    X, y = loan_frame(300, seed=5)
    model = demo_pipeline(RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0), LOAN_NUMERIC, LOAN_CATEGORICAL)
    model.fit(X, y)
    explainer = ModelExplainer(model, FEATURES, "classification", background=X)
    assert (explainer.kind, explainer.output) == ("tree", "probability of class 1")
    assert_adds_up(explainer, X.head(30), model.predict_proba(X.head(30))[:, 1])


def test_linear_pipeline_with_dense_one_hot_and_nested_imputer():
    X, y = loan_frame(300, seed=6)
    X.loc[X.index[::9], "region"] = np.nan
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), LOAN_NUMERIC),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)
                ),
                LOAN_CATEGORICAL,
            ),
        ]
    )
    model = Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=500))]).fit(X, y)
    batch = X.head(40).copy()
    batch.loc[batch.index[::3], "income"] = np.nan
    explainer = ModelExplainer(model, FEATURES, "classification", background=X)
    assert (explainer.kind, explainer.output) == ("linear", "log-odds of class 1")
    assert_adds_up(explainer, batch, model.decision_function(batch))


def test_bare_tree_and_linear_models_on_numeric_frames():
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    X.loc[X.index[::10], "b"] = np.nan
    y = X["a"].fillna(0) * 2 + X["c"] + rng.normal(0, 0.1, 300)
    hgb = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
    explainer = ModelExplainer(hgb, list(X.columns), "regression", background=X)
    assert explainer.kind == "tree"
    assert_adds_up(explainer, X.head(50), hgb.predict(X.head(50)))

    clean = X.fillna(0)
    ridge = Ridge().fit(clean, y)
    explainer = ModelExplainer(ridge, list(X.columns), "regression", background=clean)
    assert explainer.kind == "linear"
    assert_adds_up(explainer, clean.head(50), ridge.predict(clean.head(50)))


def test_preprocessing_that_mixes_columns_falls_back_to_model_agnostic():
    X, y = loan_frame(200, seed=8)
    prep = ColumnTransformer(
        [("num", make_pipeline(StandardScaler(), PCA(n_components=3)), LOAN_NUMERIC), ("cat", OneHotEncoder(), LOAN_CATEGORICAL)]
    )
    model = Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=500))]).fit(X, y)
    explainer = ModelExplainer(model, FEATURES, "classification", background=X)
    assert (explainer.kind, explainer.output) == ("model-agnostic", "probability of class 1")
    assert not explainer.exact and explainer.method.startswith("interventional Shapley values sampled from")
    assert "preprocessing does not map" in explainer.fallback_reason
    assert "used because its preprocessing does not map" in explainer.description
    assert_adds_up(explainer, X.head(5), model.predict_proba(X.head(5))[:, 1], atol=1e-9)


@pytest.mark.parametrize("sparse", [True, False])
def test_one_hot_explanation_comes_back_on_raw_columns(loan, sparse):
    _, X, batch = loan
    model = demo_pipeline(LogisticRegression(), ["debt_ratio"], LOAN_CATEGORICAL)
    model.set_params(prep__cat__sparse_output=sparse, prep__sparse_threshold=1.0 if sparse else 0.0)
    model.fit(X, (X["employment_type"] == "unemployed").astype(int))
    assert hasattr(model[:-1].transform(batch), "toarray") == sparse
    explainer = ModelExplainer(model, FEATURES, "classification", background=X)
    assert explainer.kind == "linear"
    rows = explainer.explain_rows(batch.head(30))
    assert list(rows.values.columns) == FEATURES
    assert not any("_" in c and c.startswith(("employment_type_", "region_")) for c in rows.values.columns)
    # Columns the model never reads contribute nothing; the one-hot column carries the signal.
    assert (rows.values[["income", "age", "credit_history_years", "loan_amount"]] == 0).all().all()
    assert next(iter(explainer.global_importance(batch).importance)) == "employment_type"
    np.testing.assert_allclose(rows.output_values, model.decision_function(batch.head(30)), atol=1e-6)


@pytest.mark.parametrize(
    ("estimator", "kind", "output"),
    [
        # shap's TreeExplainer handles only binary GradientBoostingClassifier.
        (GradientBoostingClassifier(n_estimators=20, random_state=0), "model-agnostic", "probability of class c"),
        (LogisticRegression(), "linear", "raw score (softmax logit) of class c"),
        (RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0), "tree", "probability of class c"),
        (HistGradientBoostingClassifier(max_iter=20, random_state=0), "tree", "raw score (softmax logit) of class c"),
    ],
)
def test_multiclass_explains_the_last_class(estimator, kind, output):
    X, _ = loan_frame(300, seed=9)
    X[LOAN_NUMERIC] = (X[LOAN_NUMERIC] - X[LOAN_NUMERIC].mean()) / X[LOAN_NUMERIC].std()
    y = np.array(["a", "b", "c"])[pd.qcut(X["debt_ratio"], 3, labels=False)]
    model = demo_pipeline(estimator, LOAN_NUMERIC, LOAN_CATEGORICAL).fit(X, y)
    explainer = ModelExplainer(model, FEATURES, "classification", background=X)
    assert (explainer.kind, explainer.output) == (kind, output)
    assert ("only supported for binary" in explainer.fallback_reason) == (kind == "model-agnostic")
    if output.startswith("raw"):
        expected = model.decision_function(X.head(10))[:, 2]
    else:
        expected = model.predict_proba(X.head(10))[:, 2]
    assert_adds_up(explainer, X.head(10), expected)
