"""Profiles and batch summaries fitted on Spark equal the pandas engine's on the same rows.

Counts, missing and infinite counts, min/max and category counts are compared exactly; moments to
1e-9 (relative: the partitions add in another order). A numeric sketch is exact while its column
has at most max_points distinct values (compared exactly); otherwise the documented bound holds:
each compression moves a CDF value by at most ~1.6/max_points, a Spark sketch is compressed twice
here (per chunk, then once over all chunks), the pandas sketch once, so each is checked against the
exact CDF of the data (<= 2 x 1.6/1022 and 1.6/1022).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from monitor.drift import ReferenceProfile
from monitor.errors import BatchError
from monitor.spark import fit_profile, summarise_batch

from .conftest import CATEGORICAL, NUMERIC, frame

pytestmark = pytest.mark.slow
BOUND = 1.6 / 1022


def _exact_cdf_gap(summary, values: np.ndarray) -> float:
    """Largest |sketch CDF - exact CDF| over the data's own values."""
    data = np.sort(values[np.isfinite(values)])
    grid = np.unique(np.concatenate([data[:: max(1, len(data) // 5000)], summary.values]))
    exact = np.searchsorted(data, grid, side="right") / len(data)
    return float(np.max(np.abs(summary.cdf_at(grid) / summary.weights.sum() - exact)))


@pytest.fixture(scope="module")
def reference():
    return frame(40_000, seed=11)


@pytest.fixture(scope="module")
def fitted(spark, reference):
    sdf = spark.createDataFrame(reference).repartition(4)
    # small chunks, so partitions are summarised in several pieces and every merge path runs
    on_spark = fit_profile(sdf, NUMERIC, CATEGORICAL, extra_numeric=["prediction"], chunk_rows=4_000)
    in_pandas = ReferenceProfile.fit(reference, NUMERIC, CATEGORICAL, extra_numeric=["prediction"])
    return on_spark, in_pandas


def test_counts_moments_and_categories_are_exact(fitted):
    on_spark, in_pandas = fitted
    assert on_spark.n_rows == in_pandas.n_rows == 40_000
    assert on_spark.features == in_pandas.features and set(on_spark.columns) == set(in_pandas.columns)
    for c in NUMERIC + ["prediction"]:
        a, b = on_spark.columns[c], in_pandas.columns[c]
        assert (a.n, a.n_missing, a.n_inf, a.count, a.min, a.max, a.exact) == (b.n, b.n_missing, b.n_inf, b.count, b.min, b.max, b.exact), c
        assert a.mean == pytest.approx(b.mean, rel=1e-9) and a.m2 == pytest.approx(b.m2, rel=1e-9), c
    assert in_pandas.columns["z"].n_inf > 0 and in_pandas.columns["z"].n_missing > 0
    for c in CATEGORICAL:
        a, b = on_spark.columns[c], in_pandas.columns[c]
        assert (a.n, a.n_missing, a.other) == (b.n, b.n_missing, b.other)
        assert list(a.counts.items()) == list(b.counts.items()), c
    assert on_spark.columns["c"].n_missing > 0 and set(on_spark.columns["flag"].counts) == {"True", "False"}


def test_sketches_are_exact_or_within_the_documented_bound(fitted, reference):
    on_spark, in_pandas = fitted
    k = on_spark.columns["k"]
    assert k.exact and np.array_equal(k.values, in_pandas.columns["k"].values)
    assert np.array_equal(k.weights, in_pandas.columns["k"].weights)
    for c in ("x", "y", "z", "prediction"):
        a, b = on_spark.columns[c], in_pandas.columns[c]
        assert not a.exact and len(a.values) <= 1024
        values = reference[c].to_numpy(dtype="float64")
        assert _exact_cdf_gap(b, values) <= BOUND, c
        assert _exact_cdf_gap(a, values) <= 2 * BOUND, c


def test_the_profile_document_is_the_same_kind(fitted):
    on_spark, in_pandas = fitted
    doc = json.loads(json.dumps(on_spark.to_dict(), allow_nan=False))
    assert doc.keys() == in_pandas.to_dict().keys() and doc["schema"] == "drift-profile/1"
    assert ReferenceProfile.from_dict(doc).to_dict() == on_spark.to_dict()
    assert {c: s["dtype"] for c, s in doc["columns"].items()} == {c: s["dtype"] for c, s in in_pandas.to_dict()["columns"].items()}


def test_predictions_are_profiled_on_the_executors(spark, reference):
    def predict(chunk):
        return (chunk[["x"]] * 2.0).rename(columns={"x": "doubled"})

    sdf = spark.createDataFrame(reference[["x", "c"]]).repartition(3)
    on_spark = fit_profile(sdf, ["x"], ["c"], extra_numeric=["doubled"], predict=predict)
    expected = ReferenceProfile.fit(reference.assign(doubled=reference["x"] * 2.0), ["x"], ["c"], extra_numeric=["doubled"])
    a, b = on_spark.columns["doubled"], expected.columns["doubled"]
    assert (a.count, a.min, a.max) == (b.count, b.min, b.max) and a.mean == pytest.approx(b.mean, rel=1e-9)


def test_an_empty_frame_and_absent_columns_are_handled(spark, reference):
    empty = spark.createDataFrame(reference.iloc[:10]).limit(0)
    profile = summarise_batch(empty, NUMERIC, CATEGORICAL)
    assert profile.n_rows == 0 and profile.columns["x"].count == 0
    with pytest.raises(BatchError, match="lacks column.*nope"):
        summarise_batch(spark.createDataFrame(reference.iloc[:10]), ["x", "nope"], [])
