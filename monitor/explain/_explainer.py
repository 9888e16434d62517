"""Choosing and running the right SHAP explainer for a model, reported on its original columns."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monitor.explain._columns import column_map
from monitor.explain._errors import ExplainError
from monitor.explain._results import GlobalExplanation, LocalExplanation, RowExplanations, explanation_sentence
from monitor.explain._shapley import ShapleySampler

TASKS = ("classification", "regression")
LINEAR_BACKGROUND_ROWS = 1000
AGNOSTIC_BACKGROUND_ROWS = 50
_CHECK_ROWS = 5

_TREES = {
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
_MARGIN_TREES = {
    "GradientBoostingClassifier",
    "HistGradientBoostingClassifier",
    "XGBClassifier",
    "XGBRFClassifier",
    "LGBMClassifier",
}
_LOG_ODDS_LINEAR = {"LogisticRegression", "LogisticRegressionCV"}


def _type_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _names(obj: Any) -> set[str]:
    return {cls.__name__ for cls in type(obj).__mro__}


def _family(estimator: Any) -> str | None:
    if _names(estimator) & _TREES:
        return "tree"
    module = type(estimator).__module__
    is_linear = module.startswith("sklearn.linear_model") or type(estimator).__name__ in {"LinearSVC", "LinearSVR"}
    if is_linear and hasattr(estimator, "coef_") and hasattr(estimator, "intercept_"):
        return "linear"
    return None


class _Target:
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


class _ProjectedEngine:
    """A SHAP tree or linear explainer on the preprocessed matrix, summed back onto the input columns."""

    def __init__(
        self,
        kind: str,
        prep: Any,
        estimator: Any,
        col_map: list[int],
        n_inputs: int,
        background: pd.DataFrame | None,
        target: _Target,
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


class _AgnosticEngine:
    kind = "model-agnostic"

    def __init__(self, predict: Callable[[pd.DataFrame], np.ndarray], background: pd.DataFrame, seed: int):
        self.sampler = ShapleySampler(predict, background, seed=seed)
        self.method = self.sampler.method

    def contributions(self, X: pd.DataFrame) -> tuple[float, np.ndarray]:
        return self.sampler.base_value, self.sampler.shap_values(X)


class ModelExplainer:
    """Explains one fitted model version on its original input columns; build once, reuse per batch.

    The explainer is chosen from the model: SHAP's TreeExplainer for tree ensembles and SHAP's
    LinearExplainer for linear models (also as the last step of a Pipeline whose preprocessing works
    column by column, e.g. a ColumnTransformer of imputers, scalers and one-hot encoders, with the
    contributions of each input column's output columns summed back to it), and interventional
    Shapley values over the raw columns with a small seeded background sample for everything else.

    ``background`` (typically a sample of the reference data) is required by the linear and
    model-agnostic explainers and optional for trees, where it is used to check that the
    explanation adds up to the model's output. ``target_class`` picks the explained class of a
    classifier (default: the last of ``classes_``, i.e. the positive class of a binary model).
    ``kind`` and ``output`` say which explainer is used and what it explains; ``fallback_reason``
    says why a tree or linear model was nevertheless explained model-agnostically.
    """

    kind: str
    output: str
    method: str
    fallback_reason: str = ""

    def __init__(
        self,
        model: Any,
        features: Sequence[str],
        task: str,
        background: pd.DataFrame | None = None,
        seed: int = 0,
        *,
        name: str | None = None,
        target_class: Any = None,
    ):
        self.model = model
        self.features = [str(f) for f in features]
        self.task = task
        self.seed = int(seed)
        self.name = name
        if task not in TASKS:
            raise ExplainError(f"{self._who()}: task must be one of {', '.join(TASKS)}, got {task!r}")
        if not self.features:
            raise ExplainError(f"{self._who()}: no feature columns given")
        if len(set(self.features)) != len(self.features):
            raise ExplainError(f"{self._who()}: feature columns are not unique: {self.features}")
        self._inputs = self._input_columns()
        self._input_positions = [self.features.index(c) for c in self._inputs]
        self._target = _Target(model, task, target_class)
        if background is not None:
            background = self._frame(background, "background")
            if background.empty:
                raise ExplainError(f"{self._who()}: the background data has no rows")
        self._engine = self._choose_engine(background)
        self.kind = self._engine.kind
        self.method = self._engine.method

    def __repr__(self) -> str:
        return f"ModelExplainer({self._who()}, kind={self.kind!r}, output={self.output!r})"

    # -- public API ---------------------------------------------------------------------------

    def global_importance(self, X: pd.DataFrame, sample_size: int = 300, seed: int = 0) -> GlobalExplanation:
        """Mean |contribution| per original feature over a seeded sample of ``X`` (at most ``sample_size`` rows)."""
        if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
            raise ExplainError(f"{self._who()}: sample_size must be a positive integer, got {sample_size!r}")
        X = self._frame(X, "batch")
        if X.empty:
            raise ExplainError(f"{self._who()}: the batch has no rows to explain")
        sample = X.sample(n=sample_size, random_state=seed) if len(X) > sample_size else X
        _, phi = self._contributions(sample)
        means = np.abs(phi).mean(axis=0)
        order = sorted(range(len(self.features)), key=lambda j: -means[j])
        return GlobalExplanation(
            importance={self.features[j]: float(means[j]) for j in order},
            explainer=self.kind,
            output=self.output,
            n_rows=len(sample),
            seed=int(seed),
            method=self.method,
        )

    def explain_rows(self, X: pd.DataFrame) -> RowExplanations:
        """Base value and each original feature's contribution for every row of ``X``."""
        X = self._frame(X, "batch")
        base, phi = self._contributions(X) if len(X) else (self._empty_base(), np.zeros((0, len(self.features))))
        values = pd.DataFrame(phi, index=X.index, columns=self.features)
        return RowExplanations(
            base_value=base,
            values=values,
            data=X[self.features],
            output_values=pd.Series(base + phi.sum(axis=1), index=X.index, name=self.output),
            explainer=self.kind,
            output=self.output,
        )

    def explain_row(self, X: pd.DataFrame, index: Any) -> LocalExplanation:
        """Local explanation of the row of ``X`` labelled ``index``, with a plain-language sentence."""
        X = self._frame(X, "batch")
        try:
            row = X.loc[[index]].iloc[:1]
        except KeyError:
            raise ExplainError(f"{self._who()}: row {index!r} is not in the batch") from None
        base, phi = self._contributions(row)
        contributions = {f: float(v) for f, v in zip(self.features, phi[0], strict=True)}
        values = dict(zip(self.features, row[self.features].to_numpy(dtype=object)[0], strict=True))
        output_value = float(base + phi[0].sum())
        return LocalExplanation(
            index=index,
            base_value=base,
            output_value=output_value,
            contributions=contributions,
            values=values,
            explainer=self.kind,
            output=self.output,
            sentence=explanation_sentence(contributions, values, base, output_value, self.output),
        )

    # -- internals ----------------------------------------------------------------------------

    def _who(self) -> str:
        kind = _type_name(self.model)
        return f"model {self.name!r} ({kind})" if self.name else f"model of type {kind}"

    def _input_columns(self) -> list[str]:
        names_in = getattr(self.model, "feature_names_in_", None)
        if names_in is not None:
            names = [str(c) for c in names_in]
            missing = [c for c in names if c not in self.features]
            if missing:
                raise ExplainError(
                    f"{self._who()} was fitted on columns {missing} that are not among the features {self.features}"
                )
            return names
        n_in = getattr(self.model, "n_features_in_", None)
        if n_in is not None and n_in != len(self.features):
            raise ExplainError(f"{self._who()} expects {n_in} input columns but {len(self.features)} features were given")
        return list(self.features)

    def _frame(self, X: Any, what: str) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ExplainError(f"{self._who()}: the {what} must be a pandas DataFrame, got {type(X).__name__}")
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ExplainError(f"{self._who()}: the {what} lacks feature column(s) {missing}")
        return X

    def _choose_engine(self, background: pd.DataFrame | None) -> Any:
        from sklearn.pipeline import Pipeline

        estimator, prep = self.model, None
        if isinstance(self.model, Pipeline):
            estimator = self.model.steps[-1][1]
            prep = self.model[:-1] if len(self.model.steps) > 1 else None
        family = _family(estimator) if estimator not in (None, "passthrough") else None
        problem = ""
        if family == "linear" and background is None:
            problem = "the linear explainer needs background data"
        elif family is not None:
            col_map = list(range(len(self._inputs))) if prep is None else column_map(prep, len(self._inputs))
            if col_map is None:
                problem = "its preprocessing does not map output columns back to single input columns"
            else:
                try:
                    self.output = self._fast_output(family, estimator)
                    engine = _ProjectedEngine(
                        family,
                        prep,
                        estimator,
                        col_map,
                        len(self._inputs),
                        self._sample(background, LINEAR_BACKGROUND_ROWS),
                        self._target,
                    )
                    if background is not None:
                        self._check_additivity(engine, background)
                    return engine
                except Exception as exc:
                    problem = f"the {family} explainer failed ({type(exc).__name__}: {exc})"
        return self._agnostic_engine(background, problem)

    def _fast_output(self, family: str, estimator: Any) -> str:
        if self.task == "regression":
            return "predicted value"
        label = self._target.label
        names = _names(estimator)
        if family == "tree" and not names & _MARGIN_TREES:
            return f"probability of class {label}"
        if family == "tree" or names & _LOG_ODDS_LINEAR or getattr(estimator, "loss", None) == "log_loss":
            return f"log-odds of class {label}" if self._target.binary else f"raw score (softmax logit) of class {label}"
        return f"decision score for class {label}"

    def _reference_output(self) -> tuple[Callable[[pd.DataFrame], np.ndarray] | None, str]:
        """The model method whose output the explanation must add up to, and its description."""
        model, target = self.model, self._target
        if self.task == "regression":
            return (model.predict if hasattr(model, "predict") else None), "predicted value"
        if self.output.startswith("probability") and hasattr(model, "predict_proba"):
            return (lambda X: target.column(model.predict_proba(X))), self.output
        if hasattr(model, "decision_function"):
            return (lambda X: target.column(model.decision_function(X))), self.output
        return None, self.output

    def _check_additivity(self, engine: Any, background: pd.DataFrame) -> None:
        predict, _ = self._reference_output()
        if predict is None:
            return
        rows = background[self._inputs].head(_CHECK_ROWS)
        base, phi = engine.contributions(rows)
        expected = np.asarray(predict(rows), dtype=float)
        if not np.allclose(base + phi.sum(axis=1), expected, rtol=1e-6, atol=1e-6):
            raise ExplainError("its contributions do not add up to the model's output")

    def _agnostic_engine(self, background: pd.DataFrame | None, problem: str) -> _AgnosticEngine:
        model, target = self.model, self._target
        predict: Callable[[pd.DataFrame], np.ndarray]
        if self.task == "classification" and hasattr(model, "predict_proba"):
            predict, self.output = (lambda X: target.column(model.predict_proba(X))), f"probability of class {target.label}"
        elif self.task == "classification" and hasattr(model, "decision_function"):
            predict, self.output = (
                (lambda X: target.column(model.decision_function(X))),
                f"decision score for class {target.label}",
            )
        elif hasattr(model, "predict"):
            predict, self.output = model.predict, "predicted value"
        else:
            raise ExplainError(f"cannot explain {self._who()}: it has no predict_proba, decision_function or predict method")
        self.fallback_reason = problem
        because = f" ({problem})" if problem else ""
        if background is None:
            raise ExplainError(
                f"cannot explain {self._who()} without background data: the model-agnostic explainer{because} "
                "needs a background sample, e.g. rows of the reference data"
            )
        sample = self._sample(background, AGNOSTIC_BACKGROUND_ROWS)
        try:
            return _AgnosticEngine(predict, sample, self.seed)
        except Exception as exc:
            raise ExplainError(
                f"cannot explain {self._who()}: calling it on the background data failed with {type(exc).__name__}: {exc}"
            ) from exc

    def _sample(self, background: pd.DataFrame | None, rows: int) -> pd.DataFrame | None:
        if background is None:
            return None
        frame = background[self._inputs]
        return frame.sample(n=rows, random_state=self.seed) if len(frame) > rows else frame

    def _empty_base(self) -> float:
        engine = self._engine
        if isinstance(engine, _AgnosticEngine):
            return engine.sampler.base_value
        return self._target.pick_expected(engine.explainer.expected_value)

    def _contributions(self, X: pd.DataFrame) -> tuple[float, np.ndarray]:
        try:
            base, phi = self._engine.contributions(X[self._inputs])
        except ExplainError as exc:
            raise ExplainError(f"cannot explain {self._who()}: {exc}") from exc
        except Exception as exc:
            raise ExplainError(
                f"cannot explain {self._who()} with its {self.kind} explainer: {type(exc).__name__}: {exc}"
            ) from exc
        full = np.zeros((len(X), len(self.features)))
        full[:, self._input_positions] = phi
        return float(base), full
