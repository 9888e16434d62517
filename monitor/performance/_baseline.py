"""The performance baseline of a model version, measured on data the model did not train on.

A model scored on its own training rows looks better than it is, and every honest production
batch then reads as a loss. So the baseline comes, in order of preference, from

1. the validation data logged beside the reference (``monitor.log_reference(train, validation=test)``);
2. out-of-fold predictions: the model is cloned and refitted on K folds of the reference
   (stratified for classifiers), each row predicted by a model that did not see it;
3. the reference itself, only when neither is possible, and then said as such, with the reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from monitor.performance._metrics import performance

__all__ = ["Baseline", "baseline_performance", "baseline_plan", "CV_FOLDS", "CV_MAX_ROWS"]

CV_FOLDS = 5
CV_MAX_ROWS = 20_000  # a larger reference is subsampled (seeded) for the refits


@dataclasses.dataclass(frozen=True)
class Baseline:
    """Baseline metrics and a sentence saying what they were measured on."""

    metrics: dict[str, Any] | None
    source: str
    honest: bool
    unseen: pd.DataFrame | None = dataclasses.field(default=None, repr=False, compare=False)
    """Features, target, prediction and score of rows the model did not train on (for fitting estimators)."""


def baseline_plan(spec, reference: pd.DataFrame, validation: pd.DataFrame | None) -> str:
    """One sentence on how the baseline will be measured (for ``validate``), without fitting anything."""
    if not spec.target:
        return "none (no 'target' column in monitor.toml, so performance is not measured)"
    if validation is not None and spec.target in validation.columns:
        return f"measured on the logged validation data ({len(validation)} rows the model did not train on)"
    if spec.target not in reference.columns:
        return f"none (the reference data has no '{spec.target}' column)"
    return (f"{CV_FOLDS}-fold cross-validation on the reference ({min(len(reference), CV_MAX_ROWS)} rows); log a "
            "hold-out set with monitor.log_reference(..., validation=...) to measure it directly")


def _predict(spec, model, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    prediction = np.asarray(model.predict(X))
    score = None
    if spec.task == "classification" and spec.score and hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        score = proba[:, -1] if proba.ndim == 2 else proba
    return prediction, score


def _metrics(spec, truth, prediction, score) -> dict[str, Any]:
    return performance(spec.task, truth, prediction, score)


def _unseen(spec, X: pd.DataFrame, y, prediction, score) -> pd.DataFrame:
    frame = X.reset_index(drop=True).assign(**{spec.target: pd.Series(y).to_numpy(), spec.prediction: prediction})
    if spec.score and score is not None:
        frame[spec.score] = score
    return frame


def _out_of_fold(spec, model, reference: pd.DataFrame, seed: int) -> tuple[dict[str, Any], pd.DataFrame]:
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold

    data = reference.dropna(subset=[spec.target])
    if len(data) > CV_MAX_ROWS:
        data = data.sample(CV_MAX_ROWS, random_state=seed)
    data = data.reset_index(drop=True)
    X, y = data[list(spec.features)], data[spec.target]
    splitter = (StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed) if spec.task == "classification"
                else KFold(CV_FOLDS, shuffle=True, random_state=seed))
    prediction = np.empty(len(data), dtype=object)
    score = np.full(len(data), np.nan)
    for train, test in splitter.split(X, y):
        fitted = clone(model).fit(X.iloc[train], y.iloc[train])
        p, s = _predict(spec, fitted, X.iloc[test])
        prediction[test] = p
        if s is not None:
            score[test] = s
    prediction = pd.Series(prediction).infer_objects()
    score = score if not np.isnan(score).all() else None
    return _metrics(spec, y, prediction, score), _unseen(spec, X, y, prediction.to_numpy(), score)


def baseline_performance(spec, model, reference: pd.DataFrame, validation: pd.DataFrame | None = None,
                         seed: int = 0) -> Baseline:
    """The baseline metrics of ``model`` (see the module docstring for where they come from)."""
    if not spec.target:
        return Baseline(None, "no target column", False)
    if validation is not None and spec.target in validation.columns and model is not None:
        X = validation[list(spec.features)]
        p, s = _predict(spec, model, X)
        return Baseline(_metrics(spec, validation[spec.target], p, s),
                        f"validation data ({len(validation)} rows the model did not train on)", True,
                        _unseen(spec, X, validation[spec.target], p, s))
    if spec.target not in reference.columns:
        return Baseline(None, f"the reference data has no '{spec.target}' column", False)
    if model is None:
        return Baseline(None, "the model could not be loaded", False)
    try:
        metrics, unseen = _out_of_fold(spec, model, reference, seed)
        rows = min(len(reference), CV_MAX_ROWS)
        return Baseline(metrics, f"{CV_FOLDS}-fold cross-validation on the reference ({rows} rows)", True, unseen)
    except Exception as exc:  # a model that cannot be cloned or refitted: say so, use the weaker in-sample figure
        p, s = _predict(spec, model, reference[list(spec.features)])
        return Baseline(_metrics(spec, reference[spec.target], p, s),
                        f"in-sample on the reference, which is optimistic: the model could not be refitted for "
                        f"cross-validation ({type(exc).__name__}: {exc}); log validation data to fix this", False)
