"""Which estimator a model gets, and the notes for the models that cannot be estimated."""

from __future__ import annotations

import json

import numpy as np
import pytest

from monitor.performance import (
    ConfidenceEstimator,
    EstimationError,
    LossEstimator,
    estimate_performance,
    estimator_for,
    estimator_from_dict,
    fit_estimator,
)
from tests.performance.conftest import regressor_rows


def test_each_model_type_gets_an_estimator_or_a_note():
    assert estimator_for("classification", True).estimator is ConfidenceEstimator
    assert estimator_for("regression", False).estimator is LossEstimator
    no_score = estimator_for("classification", False)
    assert no_score.estimator is None and "cannot estimate without a score column" in no_score.note
    no_proba = estimator_for("classification", True, has_predict_proba=False)
    assert no_proba.estimator is None and "predict_proba" in no_proba.note
    multiclass = estimator_for("classification", True, n_classes=3)
    assert multiclass.estimator is None and "binary classifiers only" in multiclass.note and "3 classes" in multiclass.note
    assert estimator_for("ranking", True).estimator is None


def test_a_classifier_without_scores_gets_the_note_not_a_number():
    rng = np.random.default_rng(1)
    with pytest.raises(EstimationError, match="cannot estimate without a score column"):
        fit_estimator("classification", rng.integers(0, 2, 500), rng.integers(0, 2, 500))
    with pytest.raises(EstimationError, match="binary classifiers only"):
        fit_estimator("classification", rng.integers(0, 3, 500), rng.integers(0, 3, 500), score=rng.random(500))


def test_fit_store_and_apply_a_classifier_estimator(classifier_reference):
    y, score, pred = classifier_reference
    fitted = fit_estimator("classification", y, pred, score=score)
    again = estimator_from_dict(json.loads(json.dumps(fitted.to_dict())))
    out = estimate_performance(again, pred[:500], score=score[:500])
    assert out == estimate_performance(fitted, pred[:500], score=score[:500])
    assert {"auc", "accuracy", "precision", "recall", "f1", "bands", "band_level", "n", "method"} <= set(out)
    assert json.loads(json.dumps(out, allow_nan=False)) == out  # plain JSON, storable in a snapshot as it is
    with pytest.raises(EstimationError, match="no score column"):
        estimate_performance(fitted, pred[:500])


def test_fit_store_and_apply_a_regressor_estimator(regressor):
    frame, y = regressor_rows(1500, np.random.default_rng(3))
    fitted = fit_estimator("regression", y, regressor(frame), features=frame)
    again = estimator_from_dict(json.loads(json.dumps(fitted.to_dict())))
    out = estimate_performance(again, regressor(frame), features=frame)
    assert out == estimate_performance(fitted, regressor(frame), features=frame)
    assert {"mae", "rmse", "bands", "band_level", "n", "method"} <= set(out)
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    with pytest.raises(EstimationError, match="feature columns"):
        fit_estimator("regression", y, regressor(frame))
    with pytest.raises(EstimationError, match="feature columns are needed"):
        estimate_performance(fitted, regressor(frame))


def test_an_unknown_stored_kind_is_refused():
    with pytest.raises(EstimationError, match="unknown stored estimator kind 'magic'.*confidence, loss"):
        estimator_from_dict({"kind": "magic"})
