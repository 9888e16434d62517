"""The one-copy kernels equal the plain computations, and a batch summary stands in for the batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import monitor.drift._sketch as sketch
import monitor.drift.methods as methods
from monitor.drift import ReferenceProfile, column_drift, compute_drift
from monitor.drift.methods import ks_statistic, wasserstein_norm
from monitor.drift.summary import NumericBatch, NumericSummary

from .conftest import frame

RNG = np.random.default_rng(3)
COLUMNS = {
    "normal": RNG.normal(0, 1, 30_000),
    "ties": np.round(RNG.normal(0, 3, 30_000), 1),
    "spike": np.where(RNG.random(30_000) < 0.3, 0.0, RNG.exponential(1, 30_000)),
    "poisson": RNG.poisson(4, 30_000).astype(float),
}


@pytest.mark.parametrize("name", list(COLUMNS))
@pytest.mark.parametrize("max_points", [16, 1024])
def test_sketch_of_the_sorted_column_equals_compressing_its_distinct_values(name, max_points):
    s = np.sort(COLUMNS[name])
    v, w, exact = sketch.sketch_sorted(s, max_points)
    v0, w0, exact0 = sketch.compress(*sketch.unique_weighted(s), max_points)
    assert exact == exact0 and np.array_equal(w, w0)
    assert np.allclose(v, v0, rtol=1e-12, atol=0)


@pytest.mark.parametrize("block", [7, 1000])
def test_blockwise_distances_equal_scipy(monkeypatch, block):
    monkeypatch.setattr(sketch, "BLOCK", block)
    monkeypatch.setattr(methods, "BLOCK", block)
    for name, values in COLUMNS.items():
        ref, cur = pd.Series(values[:12_000]), pd.Series(values[12_000:] + 0.05)
        profile = NumericSummary.fit(ref, "r", max_points=10**6)
        batch = NumericBatch.of(cur, "x")
        expected = stats.wasserstein_distance(ref, cur) / np.std(ref)
        assert wasserstein_norm(profile, batch) == pytest.approx(expected, abs=1e-12), name
        assert ks_statistic(profile, batch) == pytest.approx(stats.ks_2samp(ref, cur).statistic, abs=1e-12), name


def test_non_finite_values_are_set_aside_and_the_input_left_unsorted():
    values = pd.Series([3.0, np.nan, -np.inf, 1.0, np.inf, 2.0, np.nan])
    before = values.copy()
    s, n_missing, n_inf, n_unparsed = sketch.sorted_finite(values, "x", sketch.Scratch())
    assert s.tolist() == [1.0, 2.0, 3.0] and (n_missing, n_inf, n_unparsed) == (2, 2, 0)
    pd.testing.assert_series_equal(values, before)


@pytest.fixture(scope="module")
def batch_and_summary():
    batch = frame(20_000, seed=8, shift=0.3, new_share=0.04)
    return batch, ReferenceProfile.fit(batch, ["x", "y", "k"], ["c"], extra_numeric=["pred"], max_categories=10_000)


def test_a_summary_gives_the_batch_report(profile, batch_and_summary):
    batch, summary = batch_and_summary
    full, summed = compute_drift(profile, batch), compute_drift(profile, summary)
    assert {c: f.drifted for c, f in summed.features.items()} == {c: f.drifted for c, f in full.features.items()}
    for c in ("k", "c"):  # every distinct value kept: the same numbers
        assert summed.features[c].to_dict() == full.features[c].to_dict()
    for c in ("x", "y"):
        assert summed.features[c].statistic == pytest.approx(full.features[c].statistic, abs=2e-3)
    assert column_drift(profile, "pred", summary.columns["pred"]).drifted == column_drift(profile, "pred", batch["pred"]).drifted


def test_a_summary_of_another_kind_is_read_as_the_reference_wants(profile, batch_and_summary):
    batch, _ = batch_and_summary
    as_categories = ReferenceProfile.fit(batch, ["x"], ["k"])  # k summarised as categories, numeric in the profile
    direct = column_drift(profile, "k", batch["k"])
    assert column_drift(profile, "k", as_categories.columns["k"]).to_dict() == direct.to_dict()
    cat_profile = ReferenceProfile.fit(frame(5000, seed=1), [], ["k"])
    exact_numbers = ReferenceProfile.fit(batch, ["k"], []).columns["k"]
    assert column_drift(cat_profile, "k", exact_numbers).to_dict() == column_drift(cat_profile, "k", batch["k"]).to_dict()
    sketched = ReferenceProfile.fit(batch, ["x"], []).columns["x"]
    failed = column_drift(ReferenceProfile.fit(frame(5000, seed=1), [], ["x"]), "x", sketched)
    assert failed.error and "categorical in the reference" in failed.error


def test_many_chunks_merge_once_within_the_bound():
    ref = frame(60_000, seed=2)
    whole = ReferenceProfile.fit(ref, ["x", "y"], ["c"])
    merged = ReferenceProfile.merged([ReferenceProfile.fit(chunk, ["x", "y"], ["c"]) for chunk in np.array_split(ref, 12)])
    assert merged.n_rows == 60_000 and merged.columns["c"].counts == whole.columns["c"].counts
    for col in ("x", "y"):
        a, b = merged.columns[col], whole.columns[col]
        grid = np.union1d(a.values, b.values)
        gap = np.max(np.abs(a.cdf_at(grid) / a.weights.sum() - b.cdf_at(grid) / b.weights.sum()))
        assert gap < 2 * 1.6 / 1022 and (a.count, a.min, a.max) == (b.count, b.min, b.max)
        assert a.mean == pytest.approx(b.mean, rel=1e-12) and a.m2 == pytest.approx(b.m2, rel=1e-9)
