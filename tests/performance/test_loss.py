"""Loss-based estimation of a regressor on a world with a known answer (see conftest).

Like confidence-based estimation it follows covariate shift (rows move to where the model is known
to err more) and is blind to concept drift (the same rows now have other targets), because it
only sees the features and the prediction.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from monitor.performance import EstimationError, LossEstimator, performance
from tests.performance.conftest import BATCH_ROWS, BATCHES, regressor_rows

METRICS = ("mae", "rmse")


def _batch(regressor, seed: int, **shift):
    frame, y = regressor_rows(BATCH_ROWS, np.random.default_rng(seed), **shift)
    return frame, y, regressor(frame)


def test_without_shift_the_band_covers_the_realized_metric(regressor, loss_estimator):
    covered = {m: [] for m in METRICS}
    for k in range(BATCHES):
        frame, y, pred = _batch(regressor, 5000 + k)
        est, real = loss_estimator.estimate(frame, pred), performance("regression", y, pred)
        for m in METRICS:
            low, high = est["bands"][m]
            covered[m].append(low <= real[m] <= high)
    rates = {m: float(np.mean(v)) for m, v in covered.items()}
    assert all(rate >= 0.9 for rate in rates.values()), rates


def test_the_expected_error_of_each_row_follows_the_known_noise(regressor, loss_estimator):
    """The noise of a row has standard deviation 0.5 + |x1| (+1 for category c): E|e| = sd·√(2/π)."""
    frame, _, pred = _batch(regressor, 5500)
    absolute, squared = loss_estimator.expected_errors(frame, pred)
    sd = 0.5 + np.abs(frame["x1"]) + np.where(frame["c"] == "c", 1.0, 0.0)
    assert np.corrcoef(absolute, sd)[0, 1] > 0.9
    assert np.mean(absolute) == pytest.approx(np.mean(sd) * np.sqrt(2 / np.pi), rel=0.1)
    assert np.mean(squared) == pytest.approx(np.mean(sd**2), rel=0.15)


def test_covariate_shift_to_noisy_rows_raises_the_estimate(regressor, loss_estimator):
    frame0, y0, p0 = _batch(regressor, 6000)
    frame1, y1, p1 = _batch(regressor, 6001, noisy_region=True)
    before, after = loss_estimator.estimate(frame0, p0), loss_estimator.estimate(frame1, p1)
    real_before, real_after = performance("regression", y0, p0)["mae"], performance("regression", y1, p1)["mae"]
    assert real_after > real_before * 1.3
    assert after["mae"] > before["mae"] * 1.3
    assert after["rmse"] > before["rmse"] * 1.3
    assert after["mae"] == pytest.approx(real_after, rel=0.1)


def test_concept_drift_is_invisible_to_the_estimate(regressor, loss_estimator):
    """Same feature rows, noisier targets: the realized MAE rises, the estimate cannot move.

    Only labels reveal concept drift; an estimate made without them assumes the reference's
    relation between features and target still holds.
    """
    frame0, y0, p0 = _batch(regressor, 7000)
    frame1, y1, p1 = _batch(regressor, 7000, concept=True)
    pd.testing.assert_frame_equal(frame0, frame1)
    before, after = loss_estimator.estimate(frame0, p0), loss_estimator.estimate(frame1, p1)
    real_after = performance("regression", y1, p1)["mae"]
    assert after == before
    assert real_after > after["bands"]["mae"][1] * 1.3


def test_round_trip_through_json_gives_identical_estimates(regressor, loss_estimator):
    frame, _, pred = _batch(regressor, 8000)
    stored = json.loads(json.dumps(loss_estimator.to_dict()))
    assert stored["models"]["serialiser"] == "skops"
    again = LossEstimator.from_dict(stored)
    assert again == loss_estimator  # the loss models are compared through their estimates below
    assert again.estimate(frame, pred) == loss_estimator.estimate(frame, pred)


def test_unknown_levels_missing_values_and_column_order(regressor, loss_estimator):
    frame, _, pred = _batch(regressor, 9000)
    odd = frame.copy()
    odd.loc[:9, "c"] = "never seen"
    odd.loc[10:19, "x1"] = np.nan
    odd.loc[20:29, "c"] = None
    pred = pd.Series(pred)
    pred[30:40] = np.nan
    out = loss_estimator.estimate(odd[["c", "x2", "x1", "x0"]].assign(extra=1.0), pred)
    assert out["n"] == BATCH_ROWS - 10 and out["mae"] > 0 and out["bands"]["mae"][0] < out["mae"]


def test_bad_inputs_get_clear_errors(regressor, loss_estimator):
    frame, y, pred = _batch(regressor, 9100)
    with pytest.raises(EstimationError, match="lacks feature column"):
        loss_estimator.estimate(frame.drop(columns=["x2"]), pred)
    with pytest.raises(EstimationError, match="at least 200 reference rows"):
        LossEstimator.fit(frame.iloc[:50], pred[:50], y[:50])
    with pytest.raises(EstimationError, match="not a stored loss-based estimator"):
        LossEstimator.from_dict({"kind": "confidence", "format": 1})


class _NotAModel:
    def predict(self, X):
        return np.zeros(len(X))


def test_a_stored_model_of_a_foreign_type_is_refused(loss_estimator):
    from monitor.performance.loss import _dumps

    stored = loss_estimator.to_dict()
    stored["models"]["absolute"] = _dumps(_NotAModel())
    with pytest.raises(EstimationError, match="not scikit-learn's"):
        LossEstimator.from_dict(stored)
