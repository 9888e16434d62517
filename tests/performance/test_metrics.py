"""Realized metrics: the same numbers as scikit-learn, and bootstrap bands that cover known population values."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from monitor.performance import performance
from tests.performance.conftest import BATCH_ROWS, BATCHES


def _binary(n: int, seed: int):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    score = np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1)
    return y, (score > 0.5).astype(int), score


def test_binary_figures_match_scikit_learn():
    y, pred, score = _binary(3000, seed=1)
    out = performance("classification", y, pred, score)
    assert out["n_labelled"] == 3000
    assert out["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert out["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert out["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert out["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert out["auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert out["log_loss"] == pytest.approx(skm.log_loss(y, score))
    assert out["positive_rate_actual"] == pytest.approx(y.mean())
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert out["band_level"] == 0.95
    for name in ("accuracy", "precision", "recall", "f1", "auc", "log_loss"):
        low, high = out["bands"][name]
        assert low < out[name] < high, name


def test_regression_figures_match_scikit_learn():
    rng = np.random.default_rng(2)
    y = rng.normal(50, 10, 2000)
    pred = y + rng.normal(0, 4, 2000)
    out = performance("regression", y, pred)
    assert out["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert out["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y, pred)))
    assert out["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred))
    assert out["r2"] == pytest.approx(skm.r2_score(y, pred))
    for name in ("mae", "rmse", "mape", "r2"):
        low, high = out["bands"][name]
        assert low < out[name] < high, name


def test_bands_are_seeded():
    y, pred, score = _binary(800, seed=3)
    assert performance("classification", y, pred, score) == performance("classification", y, pred, score)
    other = performance("classification", y, pred, score, seed=1)
    assert other["bands"]["auc"] != performance("classification", y, pred, score)["bands"]["auc"]


def test_accuracy_band_covers_the_population_accuracy():
    """A classifier right on 80% of the population: the band of each batch holds 0.8 in most batches."""
    covered = []
    for seed in range(BATCHES):
        rng = np.random.default_rng(1000 + seed)
        y = rng.integers(0, 2, BATCH_ROWS)
        pred = np.where(rng.random(BATCH_ROWS) < 0.8, y, 1 - y)
        low, high = performance("classification", y, pred)["bands"]["accuracy"]
        covered.append(low <= 0.8 <= high)
    assert np.mean(covered) >= 0.9


def test_auc_band_covers_the_population_auc():
    """Binormal scores (negatives N(0,1), positives N(1,1)) have AUC Φ(1/√2) ≈ 0.7602."""
    from scipy.stats import norm

    truth = float(norm.cdf(1 / math.sqrt(2)))
    covered = []
    for seed in range(BATCHES):
        rng = np.random.default_rng(2000 + seed)
        y = rng.integers(0, 2, BATCH_ROWS)
        score = rng.normal(y.astype(float), 1.0)
        low, high = performance("classification", y, (score > 0.5).astype(int), score)["bands"]["auc"]
        covered.append(low <= truth <= high)
    assert np.mean(covered) >= 0.9


def test_mae_band_covers_the_population_mae():
    """Errors N(0, 2): the population MAE is 2·√(2/π)."""
    truth = 2 * math.sqrt(2 / math.pi)
    covered = []
    for seed in range(BATCHES):
        rng = np.random.default_rng(3000 + seed)
        y = rng.normal(10, 3, BATCH_ROWS)
        low, high = performance("regression", y, y + rng.normal(0, 2, BATCH_ROWS))["bands"]["mae"]
        covered.append(low <= truth <= high)
    assert np.mean(covered) >= 0.9


def test_tied_scores_give_the_tie_aware_auc():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 600)
    score = np.round(np.clip(0.3 * y + rng.random(600) * 0.7, 0, 1), 1)  # eleven distinct values
    out = performance("classification", y, (score > 0.5).astype(int), score)
    assert out["auc"] == pytest.approx(skm.roc_auc_score(y, score))
    low, high = out["bands"]["auc"]
    assert low < out["auc"] < high


def test_multiclass_is_macro_averaged():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 1500)
    pred = np.where(rng.random(1500) < 0.7, y, rng.integers(0, 3, 1500))
    proba = rng.dirichlet([1, 1, 1], 1500)
    proba[np.arange(1500), y] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    out = performance("classification", y, pred, pd.DataFrame(proba, columns=[0, 1, 2]))
    assert out["average"] == "macro" and out["n_classes"] == 3
    assert out["precision"] == pytest.approx(skm.precision_score(y, pred, average="macro"))
    assert out["recall"] == pytest.approx(skm.recall_score(y, pred, average="macro"))
    assert out["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert out["auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    assert out["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert set(out["bands"]) == {"accuracy", "precision", "recall", "f1", "auc", "log_loss"}


def test_text_labels_and_a_class_absent_from_the_batch():
    out = performance("classification", ["no"] * 20, ["no", "yes"] * 10)
    assert out["accuracy"] == 0.5 and out["recall"] is None and out["precision"] == 0.0
    assert "recall" not in out["bands"]


def test_a_score_outside_zero_one_has_auc_but_no_log_loss():
    y, pred, score = _binary(500, seed=6)
    out = performance("classification", y, pred, 4 * score - 2)
    assert out["auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert "log_loss" not in out


def test_unlabelled_rows_are_left_out():
    out = performance("regression", [1.0, np.nan, 3.0, 4.0], [1.5, 2.0, np.nan, 5.0])
    assert out["n_labelled"] == 2 and out["mae"] == pytest.approx(0.75)
    assert performance("regression", [np.nan], [1.0]) == {"n_labelled": 0}


def test_a_large_batch_is_bootstrapped_in_blocks():
    y, pred, score = _binary(60_000, seed=7)
    out = performance("classification", y, pred, score)
    low, high = out["bands"]["auc"]
    assert low < out["auc"] < high and high - low < 0.02


def test_a_very_large_batch_gets_bands_of_the_right_width():
    """Above 50,000 rows the band comes from a subsample, rescaled: for errors N(0, 2) the MAE band is
    ±1.96·sd(|e|)/√n with sd(|e|) = 2·√(1 - 2/π)."""
    n = 120_000
    rng = np.random.default_rng(8)
    y = rng.normal(10, 3, n)
    out = performance("regression", y, y + rng.normal(0, 2, n))
    low, high = out["bands"]["mae"]
    half = 1.96 * 2 * math.sqrt(1 - 2 / math.pi) / math.sqrt(n)
    assert low < out["mae"] < high
    assert (high - low) / 2 == pytest.approx(half, rel=0.2)
    assert all(isinstance(v, float) for band in out["bands"].values() for v in band)
