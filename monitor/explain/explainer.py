"""Choosing and running the right explainer for a model, reported on its original columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monitor.explain._columns import column_map
from monitor.explain._engines import (
    LOG_ODDS_LINEAR,
    MARGIN_TREES,
    AgnosticEngine,
    HistEngine,
    ProjectedEngine,
    Target,
    family,
    names,
    type_name,
)
from monitor.explain._hist import is_hist_gradient_boosting
from monitor.explain._shapley import DEFAULT_MAX_EVALUATIONS, DEFAULT_TIME_BUDGET, TIME_BUDGET_ROWS
from monitor.explain.errors import ExplainError
from monitor.explain.results import GlobalExplanation, LocalExplanation, RowExplanations, explanation_sentence

TASKS = ("classification", "regression")
LINEAR_BACKGROUND_ROWS = 1000
AGNOSTIC_BACKGROUND_ROWS = 50
_CHECK_ROWS = 5
_LABELS = {"tree": "Exact tree explainer", "linear": "Exact linear explainer"}
_LOG_LINK_LOSSES = ("poisson", "gamma")
_LOG_PREDICTION = "log of the predicted value"
_EXACT_COST = {"tree": "computed from the trees, no sampling", "linear": "computed from the coefficients, no sampling"}


class ModelExplainer:
    """Explains one fitted model version on its original input columns; build once, reuse per batch.

    The explainer is chosen from the model, exact wherever an exact one exists:

    * tree ensembles: path-dependent TreeSHAP, computed here for HistGradientBoosting models (so
      their native categorical splits are explained exactly) and by SHAP's TreeExplainer for the
      others;
    * linear models: SHAP's LinearExplainer;
    * both also as the last step of a Pipeline whose preprocessing works column by column (e.g. a
      ColumnTransformer of imputers, scalers, ordinal and one-hot encoders), with the contributions
      of each input column's output columns summed back to it;
    * anything else, or a tree or linear explainer that fails or does not add up to the model's
      output: a sampling explainer (interventional Shapley values from antithetic permutations over
      a small seeded background sample) within a budget of ``max_evaluations`` model evaluations
      per explained row and ``time_budget`` seconds per 300 rows (None: no timing, so the values
      depend on the seed alone). Exact enumeration is used only when it fits the same budget.

    ``background`` (typically a sample of the reference data) is required by the linear and
    sampling explainers and optional for trees, where it is used to check that the explanation
    adds up to the model's output. ``target_class`` picks the explained class of a classifier
    (default: the last of ``classes_``, i.e. the positive class of a binary model).

    Building is cheap (no batch is explained; a sampling explainer times one call of the model),
    so it is also the way to learn the choice: ``description`` says in one sentence which explainer
    is used, for which output, why (for a fallback) and at what cost; ``kind`` ("tree", "linear" or
    "model-agnostic"), ``method``, ``output``, ``exact`` and ``expected_seconds`` give the parts;
    ``fallback_reason`` is empty unless the sampling explainer is used, and then says why.
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
        max_evaluations: int = DEFAULT_MAX_EVALUATIONS,
        time_budget: float | None = DEFAULT_TIME_BUDGET,
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
        if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, int) or max_evaluations < 1:
            raise ExplainError(f"{self._who()}: max_evaluations must be a positive integer, got {max_evaluations!r}")
        if time_budget is not None and (isinstance(time_budget, bool) or not isinstance(time_budget, int | float) or not time_budget > 0):
            raise ExplainError(f"{self._who()}: time_budget must be a positive number of seconds or None, got {time_budget!r}")
        self._budget = {"max_evaluations": max_evaluations, "time_budget": time_budget}
        self._inputs = self._input_columns()
        self._input_positions = [self.features.index(c) for c in self._inputs]
        self._target = Target(model, task, target_class)
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

    @property
    def exact(self) -> bool:
        """Whether the contributions are exact Shapley values (not sampled)."""
        return not isinstance(self._engine, AgnosticEngine) or self._engine.sampler.exact

    @property
    def expected_seconds(self) -> float | None:
        """Estimated seconds to explain 300 rows with the sampling explainer (None when not timed)."""
        return self._engine.sampler.expected_seconds if isinstance(self._engine, AgnosticEngine) else None

    @property
    def description(self) -> str:
        """One sentence: which explainer, for which output, why (for a fallback) and its cost."""
        if not isinstance(self._engine, AgnosticEngine):
            label, cost = _LABELS[self.kind], _EXACT_COST[self.kind]
        else:
            sampler = self._engine.sampler
            label = "Exact model-agnostic explainer" if sampler.exact else "Sampling explainer"
            cost = f"{sampler.evaluations_per_row:,} model evaluations per row"
            if sampler.expected_seconds is not None:
                cost += f", about {sampler.expected_seconds:.2g} s per {TIME_BUDGET_ROWS} rows"
            if sampler.time_limited:
                cost += f" (fewer, to fit the budget of {self._budget['time_budget']:g} s per {TIME_BUDGET_ROWS} rows)"
        because = f", used because {self.fallback_reason}" if self.fallback_reason else ""
        return f"{label}: {self.method}, for the {self.output}{because}; {cost}."

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
            description=self.description,
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
        kind = type_name(self.model)
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
        kind = family(estimator) if estimator not in (None, "passthrough") else None
        named = type(self.model if kind is None and isinstance(estimator, str | None) else estimator).__name__
        problem = f"{named} has no exact explainer (it is neither a tree ensemble nor a linear model)"
        if kind == "linear" and background is None:
            problem = "the linear explainer needs background data"
        elif kind is not None:
            col_map = list(range(len(self._inputs))) if prep is None else column_map(prep, len(self._inputs))
            if col_map is None:
                problem = "its preprocessing does not map output columns back to single input columns"
            else:
                try:
                    self.output = self._fast_output(kind, estimator)
                    engine: Any
                    if is_hist_gradient_boosting(estimator):
                        engine = HistEngine(prep, estimator, col_map, len(self._inputs), self._target)
                    else:
                        linear_background = self._sample(background, LINEAR_BACKGROUND_ROWS)
                        engine = ProjectedEngine(kind, prep, estimator, col_map, len(self._inputs), linear_background, self._target)
                    if background is not None:
                        self._check_additivity(engine, background)
                    return engine
                except Exception as exc:
                    problem = f"the {kind} explainer failed ({type(exc).__name__}: {exc})"
        return self._agnostic_engine(background, problem)

    def _fast_output(self, kind: str, estimator: Any) -> str:
        if self.task == "regression":
            # A HistGradientBoosting model with a log link predicts exp of the sum of its trees.
            log_link = is_hist_gradient_boosting(estimator) and getattr(estimator, "loss", None) in _LOG_LINK_LOSSES
            return _LOG_PREDICTION if log_link else "predicted value"
        label = self._target.label
        estimator_names = names(estimator)
        if kind == "tree" and not estimator_names & MARGIN_TREES:
            return f"probability of class {label}"
        if kind == "tree" or estimator_names & LOG_ODDS_LINEAR or getattr(estimator, "loss", None) == "log_loss":
            return f"log-odds of class {label}" if self._target.binary else f"raw score (softmax logit) of class {label}"
        return f"decision score for class {label}"

    def _reference_output(self) -> tuple[Callable[[pd.DataFrame], np.ndarray] | None, str]:
        """The model method whose output the explanation must add up to, and its description."""
        model, target = self.model, self._target
        if self.task == "regression" and self.output == _LOG_PREDICTION:
            return (lambda X: np.log(model.predict(X))), self.output
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

    def _agnostic_engine(self, background: pd.DataFrame | None, problem: str) -> AgnosticEngine:
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
                f"cannot explain {self._who()} without background data: the sampling explainer{because} "
                "needs a background sample, e.g. rows of the reference data"
            )
        sample = self._sample(background, AGNOSTIC_BACKGROUND_ROWS)
        try:
            return AgnosticEngine(predict, sample, self.seed, **self._budget)
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
        return float(self._engine.base_value)

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
