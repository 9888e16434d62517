"""HistGradientBoosting models, native categorical splits included, are explained exactly."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from monitor.explain import ModelExplainer, _treeshap
from monitor.explain._hist import HistTreeShap, has_categorical_splits

NUMERIC = ["n0", "n1", "n2", "n3"]
CATEGORICAL = ["c0", "c1", "c2", "c3"]
FEATURES = NUMERIC + CATEGORICAL


def mixed_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Four numeric and four string columns, with missing values, and a target using both."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({c: rng.normal(size=n) for c in NUMERIC})
    for i, c in enumerate(CATEGORICAL):
        X[c] = rng.choice(list("abcdefgh")[: 4 + i], n)
    X.loc[X.index[::11], "c1"] = np.nan
    X.loc[X.index[::13], "n1"] = np.nan
    signal = X.n0 + X.n1.fillna(0) * X.n2 + (X.c0 == "a") + X.c1.isin(["b", "c"]) - 1.5 * (X.c3 == "g")
    return X, (signal + rng.normal(0, 0.5, n)).to_numpy()


def messy(X: pd.DataFrame) -> pd.DataFrame:
    """Rows with categories never seen in training and missing categories and numbers."""
    X = X.copy()
    X.loc[X.index[::5], "c0"] = "never-seen"
    X.loc[X.index[1::6], "c2"] = np.nan
    X.loc[X.index[2::7], "n0"] = np.nan
    return X


def as_category(X: pd.DataFrame, like: pd.DataFrame | None = None) -> pd.DataFrame:
    X = X.copy()
    for c in [c for c in CATEGORICAL if c in X]:
        seen = list(like[c].cat.categories) if like is not None else sorted(X[c].dropna().unique())
        extra = sorted(set(X[c].dropna()) - set(seen))
        X[c] = pd.Categorical(X[c], categories=seen + extra)
    return X


@pytest.fixture(params=["tables", "direct"])
def leaf_tables(request, monkeypatch):
    """Run with the leaf games tabulated (the default for small models) and computed row by row."""
    if request.param == "direct":
        monkeypatch.setattr(_treeshap, "_TABLE_FLOATS", 0)
    return request.param


@pytest.fixture(scope="module")
def data():
    X, signal = mixed_frame(1000, seed=21)
    batch = messy(mixed_frame(120, seed=22)[0])
    return X, signal, batch


def ordinal_pipeline(estimator, unknown_value) -> Pipeline:
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=unknown_value, encoded_missing_value=np.nan)
    prep = ColumnTransformer([("cat", encoder, CATEGORICAL), ("num", "passthrough", NUMERIC)])
    return Pipeline([("prep", prep), ("model", estimator)])


def assert_exact_tree(explainer: ModelExplainer) -> None:
    assert (explainer.kind, explainer.exact, explainer.fallback_reason) == ("tree", True, "")
    assert explainer.method.endswith("native categorical splits included")
    assert explainer.description.startswith("Exact tree explainer: path-dependent TreeSHAP")


def assert_adds_up(explainer: ModelExplainer, batch: pd.DataFrame, expected: np.ndarray) -> pd.DataFrame:
    rows = explainer.explain_rows(batch)
    np.testing.assert_allclose(rows.base_value + rows.values.sum(axis=1), expected, rtol=0, atol=1e-6)
    return rows.values


@pytest.mark.parametrize("categorical", [[0, 1, 2, 3], [True] * 4 + [False] * 4])
@pytest.mark.parametrize("unknown_value", [-1, np.nan])
def test_ordinal_encoded_pipeline_with_native_categoricals(data, categorical, unknown_value, leaf_tables):
    X, signal, batch = data
    estimator = HistGradientBoostingClassifier(max_iter=30, categorical_features=categorical, random_state=0)
    model = ordinal_pipeline(estimator, unknown_value).fit(X, (signal > 0.5).astype(int))
    assert has_categorical_splits(model[-1])
    explainer = ModelExplainer(model, FEATURES, "classification", background=X)
    assert_exact_tree(explainer)
    assert explainer.output == "log-odds of class 1"
    values = assert_adds_up(explainer, batch, model.decision_function(batch))
    # An unseen category follows the same branch as a missing one, so it gets the same contributions.
    unseen, missing = batch.iloc[[0]].copy(), batch.iloc[[0]].copy()
    missing["c0"] = np.array([np.nan], dtype=object)
    assert unseen["c0"].item() == "never-seen"
    np.testing.assert_allclose(explainer.explain_rows(unseen).values, explainer.explain_rows(missing).values, atol=1e-12)
    assert values["c0"].abs().mean() > 0 and values["c3"].abs().mean() > 0


def test_from_dtype_bare_models_on_pandas_categories(data):
    X, signal, batch = data
    Xc = as_category(X)
    batch_c = as_category(batch, like=Xc)
    assert "never-seen" in batch_c["c0"].cat.categories and batch_c["c2"].isna().any()
    regressor = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(Xc, signal)
    assert list(regressor.is_categorical_) == [False] * 4 + [True] * 4
    explainer = ModelExplainer(regressor, FEATURES, "regression", background=Xc)
    assert_exact_tree(explainer)
    assert_adds_up(explainer, batch_c, regressor.predict(batch_c))

    classifier = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(Xc, (signal > 0.5).astype(int))
    explainer = ModelExplainer(Pipeline([("model", classifier)]), FEATURES, "classification", target_class=0)
    assert_exact_tree(explainer)
    assert_adds_up(explainer, batch_c, -classifier.decision_function(batch_c))


def test_from_dtype_after_a_pandas_column_transformer(data):
    X, signal, batch = data
    prep = ColumnTransformer(
        [("num", StandardScaler(), NUMERIC), ("cat", "passthrough", CATEGORICAL)], verbose_feature_names_out=False
    ).set_output(transform="pandas")
    Xc = as_category(X)
    model = Pipeline([("prep", prep), ("model", HistGradientBoostingClassifier(max_iter=30, random_state=0))])
    model.fit(Xc, (signal > 0.5).astype(int))
    explainer = ModelExplainer(model, FEATURES, "classification", background=Xc)
    assert_exact_tree(explainer)
    assert_adds_up(explainer, as_category(batch, like=Xc), model.decision_function(as_category(batch, like=Xc)))


def test_multiclass_with_native_categoricals_explains_each_class(data):
    X, signal, batch = data
    y = np.array(["low", "mid", "high"])[np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))]
    estimator = HistGradientBoostingClassifier(max_iter=20, categorical_features=[0, 1, 2, 3], random_state=0)
    model = ordinal_pipeline(estimator, np.nan).fit(X, y)
    raw = model.decision_function(batch)
    for position, label in enumerate(model.classes_):
        explainer = ModelExplainer(model, FEATURES, "classification", background=X, target_class=label)
        assert explainer.output == f"raw score (softmax logit) of class {label}"
        assert_adds_up(explainer, batch, raw[:, position])


def test_log_link_regressor_explains_the_log_of_its_prediction(data):
    X, signal, batch = data
    estimator = HistGradientBoostingRegressor(loss="poisson", max_iter=30, categorical_features=[0, 1], random_state=0)
    model = ordinal_pipeline(estimator, np.nan).fit(X, np.exp(signal / 2))
    explainer = ModelExplainer(model, FEATURES, "regression", background=X)
    assert (explainer.kind, explainer.output) == ("tree", "log of the predicted value")
    assert_adds_up(explainer, batch, np.log(model.predict(batch)))


@pytest.mark.parametrize(
    "model",
    [
        HistGradientBoostingClassifier(max_iter=40, random_state=0),
        HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=63, random_state=0),
        HistGradientBoostingRegressor(max_iter=40, max_depth=5, random_state=0),
    ],
    ids=["classifier", "deep-classifier", "regressor"],
)
def test_matches_shap_tree_explainer_on_numeric_models(data, model, leaf_tables):
    import shap

    X, signal, batch = data
    target = (signal > 0.5).astype(int) if isinstance(model, HistGradientBoostingClassifier) else signal
    model.fit(X[NUMERIC], target)
    task = "classification" if isinstance(model, HistGradientBoostingClassifier) else "regression"
    explainer = ModelExplainer(model, NUMERIC, task, background=X[NUMERIC])
    assert explainer.kind == "tree" and "categorical" not in explainer.method
    rows = explainer.explain_rows(batch[NUMERIC])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = shap.TreeExplainer(model)
        expected = reference.shap_values(batch[NUMERIC].to_numpy(), check_additivity=False)
    np.testing.assert_allclose(rows.values.to_numpy(), expected, rtol=0, atol=1e-6)
    assert rows.base_value == pytest.approx(float(np.ravel(reference.expected_value)[0]), abs=1e-6)


def path_dependent_value(nodes, go_left, subset) -> float:
    """The path-dependent TreeSHAP value function of one tree for one row, by plain recursion."""

    def visit(i: int) -> float:
        node = nodes[i]
        if node["is_leaf"]:
            return float(node["value"])
        left, right = int(node["left"]), int(node["right"])
        if int(node["feature_idx"]) in subset:
            return visit(left if go_left[i] else right)
        total = float(node["count"])
        return (nodes[left]["count"] * visit(left) + nodes[right]["count"] * visit(right)) / total

    return visit(0)


def test_agrees_with_shapley_values_enumerated_from_the_definition(leaf_tables):
    X, signal = mixed_frame(600, seed=23)
    Xc = as_category(X[["n0", "n1", "c0", "c1"]])
    model = HistGradientBoostingRegressor(max_iter=8, max_leaf_nodes=8, random_state=0).fit(Xc, signal)
    assert has_categorical_splits(model)
    batch = as_category(messy(mixed_frame(6, seed=24)[0])[["n0", "n1", "c0", "c1"]], like=Xc)
    shap_tree = HistTreeShap(model)
    assert all((group.table is not None) == (leaf_tables == "tables") for group in shap_tree.tree_shap.groups)
    phi = shap_tree.shap_values(batch)
    go_left = shap_tree.decisions(batch)
    p, start = 4, 0
    internal = [int(np.flatnonzero(shap_tree.input_of == j)[0]) for j in range(p)]
    expected = np.zeros((len(batch), p))
    for predictor in model._predictors:
        nodes = predictor[0].nodes
        decisions = go_left[:, start : start + len(nodes)]
        start += len(nodes)
        for r in range(len(batch)):
            for j in range(p):
                others = [f for f in range(p) if f != j]
                for size in range(p):
                    weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
                    for subset in itertools.combinations(others, size):
                        inner = {internal[f] for f in subset}
                        gain = path_dependent_value(nodes, decisions[r], inner | {internal[j]})
                        expected[r, j] += weight * (gain - path_dependent_value(nodes, decisions[r], inner))
    np.testing.assert_allclose(phi, expected, rtol=0, atol=1e-9)
