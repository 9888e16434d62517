"""Which estimator a model gets, fitting it, storing it and applying it to a batch.

A model the estimators cannot handle gets a note saying why, never a number: a classifier that
logs no score (or has no ``predict_proba``), a classifier with more than two classes, a task that
is neither classification nor regression.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd

from monitor.performance.confidence import ConfidenceEstimator
from monitor.performance.errors import EstimationError
from monitor.performance.loss import LossEstimator

__all__ = ["EstimatorChoice", "estimator_for", "fit_estimator", "estimator_from_dict", "estimate_performance",
           "Estimator"]

Estimator = ConfidenceEstimator | LossEstimator
_BY_KIND: dict[str, type] = {ConfidenceEstimator.kind: ConfidenceEstimator, LossEstimator.kind: LossEstimator}


@dataclasses.dataclass(frozen=True)
class EstimatorChoice:
    """The estimator class a model gets (None when it cannot be estimated) and one sentence saying why."""

    estimator: type | None
    note: str


def estimator_for(task: str, has_score: bool, *, n_classes: int = 2, has_predict_proba: bool = True) -> EstimatorChoice:
    """Which estimator suits a model: confidence-based for binary classifiers with a score, loss-based for regressors."""
    if task == "regression":
        return EstimatorChoice(LossEstimator, "loss-based estimation of MAE and RMSE from the features and the prediction")
    if task != "classification":
        return EstimatorChoice(None, f"cannot estimate performance for task '{task}' (expected classification or regression)")
    if not has_predict_proba:
        return EstimatorChoice(None, "cannot estimate without a score column: the model has no predict_proba, so it "
                                     "gives no probability to calibrate")
    if not has_score:
        return EstimatorChoice(None, "cannot estimate without a score column (the model's probability of the positive "
                                     "class)")
    if n_classes > 2:
        return EstimatorChoice(None, f"cannot estimate: confidence-based estimation supports binary classifiers only, "
                                     f"and this model has {n_classes} classes")
    return EstimatorChoice(ConfidenceEstimator, "confidence-based estimation of AUC, accuracy, precision, recall and F1 "
                                                "from the calibrated score")


def fit_estimator(task: str, y_true, prediction, *, score=None, features: pd.DataFrame | None = None,
                  seed: int = 0) -> Estimator:
    """Fit the estimator that suits the model on labelled reference rows the model did not train on.

    Raises :class:`EstimationError` with the note of :func:`estimator_for` when the model cannot be
    estimated, or with the reason the reference does not suffice.
    """
    n_classes = 2
    if task == "classification":
        n_classes = int(pd.Series(y_true).dropna().astype(str).nunique())
    choice = estimator_for(task, score is not None, n_classes=n_classes)
    if choice.estimator is ConfidenceEstimator:
        return ConfidenceEstimator.fit(y_true, score, prediction, seed=seed)
    if choice.estimator is LossEstimator:
        if features is None:
            raise EstimationError("loss-based estimation needs the reference's feature columns")
        return LossEstimator.fit(features, prediction, y_true, seed=seed)
    raise EstimationError(choice.note)


def estimator_from_dict(data: Mapping[str, Any]) -> Estimator:
    """Rebuild a stored estimator from its ``to_dict()`` form."""
    cls = _BY_KIND.get(str(data.get("kind")))
    if cls is None:
        raise EstimationError(f"unknown stored estimator kind {data.get('kind')!r} (known: {', '.join(sorted(_BY_KIND))})")
    return cls.from_dict(data)


def estimate_performance(estimator: Estimator, prediction, *, score=None, features: pd.DataFrame | None = None,
                         seed: int = 0) -> dict[str, Any]:
    """The estimated metrics of one batch with their bands (the keys of the estimator's ``estimate``)."""
    if isinstance(estimator, ConfidenceEstimator):
        if score is None:
            raise EstimationError("the batch has no score column, so its performance cannot be estimated")
        return estimator.estimate(score, prediction, seed=seed)
    if features is None:
        raise EstimationError("the batch's feature columns are needed to estimate its performance")
    return estimator.estimate(features, prediction)
