"""Confidence-based estimation on a world with a known answer (see conftest).

What it can and cannot see: it follows covariate shift, and it is blind to concept drift, because
it only ever looks at the model's scores, and under concept drift the scores do not change.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from monitor.performance import CONFIDENCE_METRICS, ConfidenceEstimator, EstimationError, performance
from tests.performance.conftest import BATCH_ROWS, BATCHES, classifier_rows

METRICS = ("auc", "accuracy", "precision", "recall", "f1")


@pytest.fixture(scope="module")
def estimator(classifier_reference):
    y, score, pred = classifier_reference
    return ConfidenceEstimator.fit(y, score, pred, seed=0)


def _batch(classifier, seed: int, **shift):
    x, y = classifier_rows(BATCH_ROWS, np.random.default_rng(seed), **shift)
    return y, classifier.predict_proba(x)[:, 1], classifier.predict(x)


def test_without_shift_the_band_covers_the_realized_metric(classifier, estimator):
    covered = {m: [] for m in METRICS}
    for k in range(BATCHES):
        y, score, pred = _batch(classifier, 5000 + k)
        est = estimator.estimate(score, pred)
        real = performance("classification", y, pred, score)
        for m in METRICS:
            low, high = est["bands"][m]
            covered[m].append(low <= real[m] <= high)
    rates = {m: float(np.mean(v)) for m, v in covered.items()}
    assert all(rate >= 0.9 for rate in rates.values()), rates


def test_without_shift_the_estimate_is_close_to_the_realized_metric(classifier, estimator):
    errors = []
    for k in range(20):
        y, score, pred = _batch(classifier, 6000 + k)
        est, real = estimator.estimate(score, pred), performance("classification", y, pred, score)
        errors.append([est[m] - real[m] for m in METRICS])
    bias = np.mean(errors, axis=0)
    assert np.all(np.abs(bias) < 0.015), dict(zip(METRICS, bias, strict=True))


def test_covariate_shift_that_lowers_auc_lowers_the_estimate(classifier, estimator):
    """Rows crowd near the decision boundary, where the model is unsure: realized AUC falls, and so does the estimate."""
    y0, s0, p0 = _batch(classifier, 7000)
    y1, s1, p1 = _batch(classifier, 7001, boundary=True)
    before, after = estimator.estimate(s0, p0), estimator.estimate(s1, p1)
    real_before = performance("classification", y0, p0, s0)["auc"]
    real_after = performance("classification", y1, p1, s1)["auc"]
    assert real_after < real_before - 0.08
    assert after["auc"] < before["auc"] - 0.08
    assert after["bands"]["auc"][0] <= real_after <= after["bands"]["auc"][1]


def test_concept_drift_is_invisible_to_the_estimate(classifier, estimator):
    """Same features, weaker link to the labels: realized AUC falls, the estimate cannot move.

    This is the honest limitation of every estimate made without labels: only the arrival of
    labels (realized performance) reveals concept drift.
    """
    y0, s0, p0 = _batch(classifier, 8000)
    y1, s1, p1 = _batch(classifier, 8000, concept=True)  # same seed: the very same feature rows
    np.testing.assert_array_equal(s0, s1)
    before, after = estimator.estimate(s0, p0), estimator.estimate(s1, p1)
    real_after = performance("classification", y1, p1, s1)["auc"]
    assert after == before
    assert real_after < after["bands"]["auc"][0] - 0.05


def test_round_trip_through_json_gives_identical_estimates(classifier, estimator):
    _, score, pred = _batch(classifier, 9000)
    again = ConfidenceEstimator.from_dict(json.loads(json.dumps(estimator.to_dict())))
    assert again == estimator
    assert again.estimate(score, pred) == estimator.estimate(score, pred)


def test_estimate_keys_and_calibration_map(estimator):
    est = estimator.estimate(np.array([0.1, 0.4, 0.6, 0.9] * 50))
    assert set(CONFIDENCE_METRICS) <= set(est) and est["n"] == 200 and est["band_level"] == 0.95
    assert set(est["bands"]) == set(CONFIDENCE_METRICS)
    calibrated = estimator.calibrate([0.05, 0.5, 0.95, np.nan])
    assert calibrated[0] < 0.2 and 0.35 < calibrated[1] < 0.65 and calibrated[2] > 0.8 and np.isnan(calibrated[3])
    assert list(estimator.values) == sorted(estimator.values)


def test_without_predicted_classes_the_reference_threshold_is_used(classifier, estimator):
    _, score, pred = _batch(classifier, 9100)
    assert estimator.decision_threshold == pytest.approx(0.5, abs=0.02)
    assert estimator.estimate(score)["accuracy"] == pytest.approx(estimator.estimate(score, pred)["accuracy"], abs=0.01)


def test_text_labels_and_missing_scores():
    rng = np.random.default_rng(11)
    score = rng.random(2000)
    y = np.where(rng.random(2000) < score, "yes", "no")
    est = ConfidenceEstimator.fit(y, score, np.where(score > 0.5, "yes", "no"))
    assert est.positive_label == "yes"
    batch = np.r_[rng.random(300), [np.nan] * 20]
    out = est.estimate(batch, np.where(batch > 0.5, "yes", "no"))
    assert out["n"] == 300 and 0.6 < out["accuracy"] < 0.9


def test_references_that_cannot_be_calibrated_are_refused():
    rng = np.random.default_rng(12)
    with pytest.raises(EstimationError, match="binary target"):
        ConfidenceEstimator.fit(np.zeros(500), rng.random(500))
    with pytest.raises(EstimationError, match="at least 100 labelled reference rows"):
        ConfidenceEstimator.fit(rng.integers(0, 2, 50), rng.random(50))
    with pytest.raises(EstimationError, match="binary target"):
        ConfidenceEstimator.fit(rng.integers(0, 3, 500), rng.random(500))
    fitted = ConfidenceEstimator.fit(rng.integers(0, 2, 500), rng.random(500))
    with pytest.raises(EstimationError, match="decision threshold is unknown"):
        fitted.estimate(rng.random(10))
    with pytest.raises(EstimationError, match="not a stored confidence-based estimator"):
        ConfidenceEstimator.from_dict({"kind": "loss", "format": 1})
