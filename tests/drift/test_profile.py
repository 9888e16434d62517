from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ReferenceProfile, column_drift
from monitor.drift.summary import MAX_CATEGORIES

from .conftest import frame


def _cdf_gap(a, b) -> float:
    """Largest difference between the CDFs of two numeric summaries."""
    grid = np.union1d(a.values, b.values)
    return float(np.max(np.abs(a.cdf_at(grid) / a.weights.sum() - b.cdf_at(grid) / b.weights.sum())))


def test_fit_summarises_each_column(reference, profile):
    x = profile.columns["x"]
    assert profile.n_rows == 5000 and profile.features == ("x", "y", "k", "c")
    assert x.count == 5000 and x.n_missing == 0
    assert x.mean == pytest.approx(reference["x"].mean(), rel=1e-12)
    assert x.std == pytest.approx(np.std(reference["x"]), rel=1e-12)
    assert (x.min, x.max) == (reference["x"].min(), reference["x"].max())
    assert not x.exact and len(x.values) <= 1024
    assert profile.columns["k"].exact  # a Poisson column has few distinct values: kept exactly
    assert dict(profile.columns["c"].counts) == reference["c"].value_counts().to_dict()
    assert "pred" in profile.columns and "pred" not in profile.features


def test_json_round_trip_gives_identical_drift(profile):
    doc = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    again = ReferenceProfile.from_dict(doc)
    cur = frame(2000, seed=9, shift=0.3)
    for col in ("x", "y", "k", "c"):
        assert column_drift(again, col, cur[col]).to_dict() == column_drift(profile, col, cur[col]).to_dict()
    with pytest.raises(ValueError, match="schema"):
        ReferenceProfile.from_dict({"schema": "something-else"})


def test_merged_chunks_equal_whole_fit_exactly_when_distinct_values_fit(reference):
    cols = (["k"], ["c"])
    whole = ReferenceProfile.fit(reference, *cols)
    parts = [ReferenceProfile.fit(chunk, *cols) for chunk in np.array_split(reference, 4)]
    merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]))
    assert merged.to_dict()["columns"]["c"] == whole.to_dict()["columns"]["c"]
    a, b = merged.columns["k"], whole.columns["k"]
    assert np.array_equal(a.values, b.values) and np.array_equal(a.weights, b.weights)
    assert a.mean == pytest.approx(b.mean, rel=1e-12) and a.m2 == pytest.approx(b.m2, rel=1e-12)


def test_merged_chunks_match_whole_fit_within_sketch_tolerance():
    # Tolerance: each merge re-compresses, moving the reference CDF by at most ~1.6/1022 in the
    # middle of the distribution; two levels of merging stay under 0.005.
    ref = frame(60_000, seed=2)
    whole = ReferenceProfile.fit(ref, ["x", "y"], ["c"])
    parts = [ReferenceProfile.fit(chunk, ["x", "y"], ["c"]) for chunk in np.array_split(ref, 6)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged.merge(p)
    assert merged.n_rows == whole.n_rows == 60_000
    for col in ("x", "y"):
        a, b = merged.columns[col], whole.columns[col]
        assert (a.count, a.min, a.max) == (b.count, b.min, b.max)
        assert a.mean == pytest.approx(b.mean, rel=1e-9) and a.std == pytest.approx(b.std, rel=1e-9)
        assert _cdf_gap(a, b) < 0.005
        assert len(a.values) <= 1100
    cur = frame(10_000, seed=3, shift=0.25)
    for col in ("x", "y"):
        for method in ("wasserstein", "jensenshannon", "psi"):
            s1 = column_drift(merged, col, cur[col], method).statistic
            s2 = column_drift(whole, col, cur[col], method).statistic
            assert s1 == pytest.approx(s2, abs=2e-3), (col, method)


def test_merge_refuses_different_columns(reference):
    a = ReferenceProfile.fit(reference, ["x"], ["c"])
    b = ReferenceProfile.fit(reference, ["x", "y"], ["c"])
    with pytest.raises(ValueError, match="different columns"):
        a.merge(b)


def test_fit_names_absent_and_duplicate_columns(reference):
    with pytest.raises(ValueError, match="lacks column.*nope"):
        ReferenceProfile.fit(reference, ["x", "nope"], [])
    with pytest.raises(ValueError, match="more than once"):
        ReferenceProfile.fit(reference, ["x"], ["x"])


def test_high_cardinality_is_capped_with_other():
    ids = pd.DataFrame({"id": np.arange(5000).astype(str)})
    profile = ReferenceProfile.fit(ids, [], ["id"], max_categories=100)
    s = profile.columns["id"]
    assert len(s.counts) == 100 and s.other == 4900 and s.truncated
    assert len(ReferenceProfile.fit(ids, [], ["id"]).columns["id"].counts) == MAX_CATEGORIES


def test_missing_values_are_counted_not_dropped():
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.inf], "c": ["a", None, "b", "a"]})
    p = ReferenceProfile.fit(df, ["x"], ["c"])
    assert (p.columns["x"].n_missing, p.columns["x"].n_inf, p.columns["x"].count) == (1, 1, 2)
    assert (p.columns["c"].n_missing, p.columns["c"].count) == (1, 3)
