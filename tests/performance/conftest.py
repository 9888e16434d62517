"""Seeded synthetic worlds with known answers, shared by the performance tests.

Classifier world: two features, the true probability of the positive class is
``sigmoid(2·x0 + x1)``, and the model is a logistic regression fitted on separate rows, so its
score is (nearly) the true probability. Regressor world: the target is ``2·x0 + x2`` plus noise
whose size grows with ``|x1|`` and with the category ``c``; the model is a linear regression, so its
error is that noise and the expected absolute error of every row is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

BATCHES = 50
BATCH_ROWS = 500


def classifier_rows(n: int, rng: np.random.Generator, *, boundary: bool = False,
                    concept: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels. ``boundary``: x0 crowds near the decision boundary (covariate shift);
    ``concept``: same features, but the labels depend on them only half as strongly (concept drift)."""
    x = rng.normal(size=(n, 2))
    if boundary:
        x[:, 0] = rng.normal(0.0, 0.3, n)
    logit = 2 * x[:, 0] + x[:, 1]
    if concept:
        logit = 0.5 * logit
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def regressor_rows(n: int, rng: np.random.Generator, *, noisy_region: bool = False,
                   concept: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and targets. ``noisy_region``: x1 moves to where the noise is large (covariate shift);
    ``concept``: same features, but every target is noisier (concept drift)."""
    x = rng.normal(size=(n, 3))
    if noisy_region:
        x[:, 1] = rng.normal(1.8, 0.4, n)
    c = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    sd = 0.5 + np.abs(x[:, 1]) + np.where(c == "c", 1.0, 0.0)
    if concept:
        sd = sd * 1.8
    y = 2 * x[:, 0] + x[:, 2] + rng.normal(size=n) * sd
    frame = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "c": c})
    return frame, y


@pytest.fixture(scope="session")
def classifier():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(101)
    x, y = classifier_rows(5000, rng)
    return LogisticRegression().fit(x, y)


@pytest.fixture(scope="session")
def classifier_reference(classifier):
    rng = np.random.default_rng(102)
    x, y = classifier_rows(5000, rng)
    return y, classifier.predict_proba(x)[:, 1], classifier.predict(x)


@pytest.fixture(scope="session")
def regressor():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(201)
    frame, y = regressor_rows(5000, rng)
    model = LinearRegression().fit(frame[["x0", "x1", "x2"]], y)
    return lambda f: model.predict(f[["x0", "x1", "x2"]])


@pytest.fixture(scope="session")
def loss_estimator(regressor):
    from monitor.performance import LossEstimator

    rng = np.random.default_rng(202)
    frame, y = regressor_rows(4000, rng)
    return LossEstimator.fit(frame, regressor(frame), y, seed=0)
