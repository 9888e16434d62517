"""The explainers behind ModelExplainer: which output they explain and how they compute it.

Every engine has ``kind``, ``method``, ``base_value`` and ``contributions(X) -> (base, values)``
with one column of values per input column of the model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from monitor.explain._hist import HistTreeShap, has_categorical_splits
from monitor.explain._shapley import ShapleySampler
from monitor.explain.errors import ExplainError

TREES = {
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "XGBClassifier",
    "XGBRegressor",
    "XGBRFClassifier",
    "XGBRFRegressor",
    "LGBMClassifier",
    "LGBMRegressor",
}
# Tree ensembles whose raw output (what TreeExplainer explains) is a margin, not a probability.
MARGIN_TREES = {
    "GradientBoostingClassifier",
    "HistGradientBoostingClassifier",
    "XGBClassifier",
    "XGBRFClassifier",
    "LGBMClassifier",
}
LOG_ODDS_LINEAR = {"LogisticRegression", "LogisticRegressionCV"}


def type_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def names(obj: Any) -> set[str]:
    return {cls.__name__ for cls in type(obj).__mro__}


def family(estimator: Any) -> str | None:
    if names(estimator) & TREES:
        return "tree"
    module = type(estimator).__module__
    is_linear = module.startswith("sklearn.linear_model") or type(estimator).__name__ in {"LinearSVC", "LinearSVR"}
    if is_linear and hasattr(estimator, "coef_") and hasattr(estimator, "intercept_"):
        return "linear"
    return None


class Target:
    """Which output of the model is explained: one class of a classifier, or the regression value."""

    def __init__(self, model: Any, task: str, target_class: Any):
        self.task = task
        self.position = 0
        self.n_classes: int | None = None
        self.label: Any = None
        if task != "classification":
            return
        classes = getattr(model, "classes_", None)
        if classes is None:
            self.position = 1 if target_class is None else int(target_class)
            self.label = self.position
            return
        classes = list(classes)
        self.n_classes = len(classes)
        if target_class is None:
            self.position = len(classes) - 1
        elif target_class in classes:
            self.position = classes.index(target_class)
        else:
            raise ExplainError(f"target_class {target_class!r} is not one of the model's classes {classes!r}")
        self.label = classes[self.position]

    @property
    def binary(self) -> bool:
        return self.n_classes is None or self.n_classes == 2

    def pick(self, values: np.ndarray, expected: Any) -> tuple[np.ndarray, float]:
        """The explained output's slice of an explainer's values and its expected value."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 3:
            values = values[:, :, self.position]
        elif self._negate:
            values = -values
        return values, self.pick_expected(expected)

    def pick_expected(self, expected: Any) -> float:
        expected = np.ravel(np.asarray(expected, dtype=float))
        if len(expected) > 1:
            return float(expected[self.position])
        return -float(expected[0]) if self._negate else float(expected[0])

    def column(self, out: Any) -> np.ndarray:
        """The explained output's column of a predict_proba / decision_function result."""
        out = np.asarray(out, dtype=float)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.ndim == 2:
            return out[:, self.position]
        return -out if self._negate else out

    @property
    def _negate(self) -> bool:
        # A single margin output scores the last class; the first class's margin is its negative.
        return self.task == "classification" and self.binary and self.position == 0


def _dense(matrix: Any) -> np.ndarray:
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=float)


class ProjectedEngine:
    """A SHAP tree or linear explainer on the preprocessed matrix, summed back onto the input columns."""

    def __init__(
        self,
        kind: str,
        prep: Any,
        estimator: Any,
        col_map: list[int],
        n_inputs: int,
        background: pd.DataFrame | None,
        target: Target,
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import shap

        self.kind = kind
        self.prep = prep
        self.target = target
        self.aggregate = np.zeros((len(col_map), n_inputs))
        self.aggregate[np.arange(len(col_map)), col_map] = 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "tree":
                # Path-dependent TreeSHAP needs no background and is exact for the raw output.
                self.explainer = shap.TreeExplainer(estimator)
                self.method = "shap.TreeExplainer (path-dependent)"
            else:
                Z = self._matrix(background)
                mean = Z.mean(axis=0)
                self.explainer = shap.LinearExplainer(estimator, (mean, np.eye(len(mean))))
                self.method = "shap.LinearExplainer (interventional)"
        self.base_value = target.pick_expected(self.explainer.expected_value)

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        Z = _dense(X if self.prep is None else self.prep.transform(X))
        if Z.shape[1] != self.aggregate.shape[0]:
            raise ExplainError(f"preprocessing produced {Z.shape[1]} columns, expected {self.aggregate.shape[0]}")
        return Z

    def contributions(self, X: pd.DataFrame) -> tuple[float, np.ndarray]:
        Z = self._matrix(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.kind == "tree":
                values = self.explainer.shap_values(Z, check_additivity=False)
            else:
                values = self.explainer.shap_values(Z)
        values, base = self.target.pick(values, self.explainer.expected_value)
        return base, values @ self.aggregate


class HistEngine:
    """Exact path-dependent TreeSHAP of a HistGradientBoosting model on its own splits."""

    kind = "tree"

    def __init__(self, prep: Any, estimator: Any, col_map: list[int], n_inputs: int, target: Target):
        self.method = "path-dependent TreeSHAP on the model's own splits"
        if has_categorical_splits(estimator):
            self.method += ", native categorical splits included"
        self.prep = prep
        self.target = target
        output = target.position if int(getattr(estimator, "n_trees_per_iteration_", 1)) > 1 else 0
        self.shap = HistTreeShap(estimator, output)
        if len(col_map) != int(estimator.n_features_in_):
            raise ExplainError(f"preprocessing produces {len(col_map)} columns, the model reads {estimator.n_features_in_}")
        self.aggregate = np.zeros((len(col_map), n_inputs))
        self.aggregate[np.arange(len(col_map)), col_map] = 1.0
        self.base_value = target.pick_expected(self.shap.expected_value)

    def contributions(self, X: pd.DataFrame) -> tuple[float, np.ndarray]:
        Z = X if self.prep is None else self.prep.transform(X)
        values, base = self.target.pick(self.shap.shap_values(Z), self.shap.expected_value)
        return base, values @ self.aggregate


class AgnosticEngine:
    """Interventional Shapley values of the model's output over a background sample, within a budget."""

    kind = "model-agnostic"

    def __init__(self, predict: Callable[[pd.DataFrame], np.ndarray], background: pd.DataFrame, seed: int, **budget: Any):
        self.sampler = ShapleySampler(predict, background, seed=seed, **budget)
        self.method = self.sampler.method
        self.base_value = self.sampler.base_value

    def contributions(self, X: pd.DataFrame) -> tuple[float, np.ndarray]:
        return self.sampler.base_value, self.sampler.shap_values(X)
