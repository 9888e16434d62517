"""Bad input: each case gives a finding or an error for that column; the rest of the report is computed."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ReferenceProfile, compute_drift, data_quality
from monitor.spec import DriftSpec

from .conftest import frame


def _ok(report, *columns):
    for c in columns:
        assert report.features[c].error is None and report.features[c].statistic is not None
    json.dumps(report.to_dict(), allow_nan=False)


def test_empty_batch(profile):
    report = compute_drift(profile, frame(0, seed=1), DriftSpec())
    assert report.findings[0].check == "empty_batch" and report.n_features == 0
    assert all("empty" in f.error for f in report.features.values())
    assert report.share_drifted is None and report.drifted is False


def test_missing_column(profile):
    report = compute_drift(profile, frame(500, seed=2).drop(columns=["y"]), DriftSpec())
    assert report.features["y"].error == "column 'y' is missing from the batch"
    assert {"check": "missing_column", "column": "y"}.items() <= report.findings[0].to_doc().items()
    _ok(report, "x", "k", "c")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_all_nan_or_inf_column(profile, value):
    batch = frame(500, seed=3)
    batch["x"] = value
    report = compute_drift(profile, batch, DriftSpec())
    assert "no usable values" in report.features["x"].error
    assert report.features["x"].missing_cur == (1.0 if value is np.nan else 0.0)
    _ok(report, "y", "k", "c")


def test_constant_reference_column():
    ref = pd.DataFrame({"const": np.full(1000, 3.0), "x": np.random.default_rng(0).normal(size=1000)})
    profile = ReferenceProfile.fit(ref, ["const", "x"], [])
    same = compute_drift(profile, ref.iloc[:300], DriftSpec())
    assert same.features["const"].statistic == 0 and not same.features["const"].drifted
    assert any(f.check == "constant_reference" for f in same.findings)
    moved = compute_drift(profile, ref.iloc[:300].assign(const=3.5), DriftSpec())
    assert moved.features["const"].drifted


def test_million_distinct_categories_stay_bounded_and_fast():
    n = 1_000_000
    ids = pd.Series([f"id{i}" for i in range(n)], dtype=object)
    ref = pd.DataFrame({"id": ids, "x": np.zeros(n)})
    t0 = time.perf_counter()
    profile = ReferenceProfile.fit(ref, ["x"], ["id"])
    assert len(profile.columns["id"].counts) == 1000 and profile.columns["id"].other == n - 1000
    assert len(json.dumps(profile.to_dict())) < 100_000
    batch = pd.DataFrame({"id": pd.Series([f"new{i}" for i in range(n)], dtype=object), "x": np.zeros(n)})
    report = compute_drift(profile, batch, DriftSpec())
    assert time.perf_counter() - t0 < 30  # generous: a few seconds on one core
    assert report.features["id"].error is None and report.features["id"].unseen_share is None
    assert len(report.features["id"].dist["categories"]) <= 31
    assert len(json.dumps(report.to_dict())) < 20_000


def test_numeric_column_logged_as_strings(profile):
    batch = frame(800, seed=4)
    batch["x"] = batch["x"].map(lambda v: f"{v:.6f}")
    report = compute_drift(profile, batch, DriftSpec())
    _ok(report, "x", "y", "k", "c")
    assert not report.features["x"].drifted
    assert any(f.check == "type_change" and f.column == "x" for f in report.findings)
    garbage = batch.assign(x="oops")
    bad = compute_drift(profile, garbage, DriftSpec())
    assert "no usable values" in bad.features["x"].error
    _ok(bad, "y", "k", "c")
    assert any(f["check"] == "type_change" and f["severity"] == "critical" for f in data_quality(profile, garbage, ["x"]))


def test_dates_in_a_numeric_column(profile):
    batch = frame(100, seed=5).assign(x=pd.Timestamp("2026-01-01"))
    report = compute_drift(profile, batch, DriftSpec())
    assert "holds dates" in report.features["x"].error
    _ok(report, "y", "k", "c")
