from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ReferenceProfile, column_drift, compute_drift
from monitor.spec import DriftSpec, FeatureDrift

from .conftest import frame

FEATURE_KEYS = {"column", "kind", "method", "statistic", "threshold", "drifted", "p_value", "missing_ref", "missing_cur", "n_cur",
                "unseen_share", "error", "dist", "rule"}


def test_unshifted_batch_does_not_drift(profile):
    report = compute_drift(profile, frame(3000, seed=11), DriftSpec())
    assert report.n_drifted == 0 and not report.drifted
    assert {f.method for f in report.features.values()} == {"wasserstein_guarded", "jensenshannon_guarded"}


def test_shifted_batch_report_shape_and_verdict(profile):
    report = compute_drift(profile, frame(3000, seed=12, shift=0.5, new_share=0.1), DriftSpec(share=0.5))
    doc = report.to_dict()
    json.dumps(doc, allow_nan=False)
    assert set(doc["overall"]) == {"n_features", "n_drifted", "share_drifted", "weighted_score", "drifted", "share_threshold", "rule"}
    assert {c: f["drifted"] for c, f in doc["features"].items()} == {"x": True, "y": False, "k": False, "c": True}
    assert doc["overall"]["share_drifted"] == 0.5 and doc["overall"]["drifted"] is True
    assert doc["overall"]["rule"].startswith("dataset drift if the share of drifted features >= 0.5: 2 of 4")
    for f in doc["features"].values():
        assert set(f) == FEATURE_KEYS
    assert doc["features"]["c"]["unseen_share"] == pytest.approx(0.1, abs=0.02)


def test_weights_give_importance_weighted_score(profile):
    batch = frame(3000, seed=12, shift=0.5)
    equal = compute_drift(profile, batch, DriftSpec())
    assert equal.weighted_score == pytest.approx(0.25)  # only x drifts
    weighted = compute_drift(profile, batch, DriftSpec(), weights={"x": 3.0, "y": 1.0, "k": 0.0, "c": 0.0})
    assert weighted.weighted_score == pytest.approx(0.75)
    assert compute_drift(profile, batch, DriftSpec(), weights={"zzz": 1.0}).weighted_score == pytest.approx(0.25)


def test_spec_overrides_per_model_and_per_feature(profile):
    spec = DriftSpec(numeric_method="ks", categorical_method="chisquare", threshold=0.01,
                     features={"y": FeatureDrift(method="psi", threshold=0.2), "c": FeatureDrift(threshold=0.001)})
    report = compute_drift(profile, frame(1000, seed=13), spec)
    got = {c: (f.method, f.threshold) for c, f in report.features.items()}
    assert got == {"x": ("ks", 0.01), "y": ("psi", 0.2), "k": ("ks", 0.01), "c": ("chisquare", 0.001)}


def test_bad_method_in_spec_is_a_column_error_listing_valid_names(profile):
    report = compute_drift(profile, frame(500, seed=14), DriftSpec(features={"c": FeatureDrift(method="ks")}))
    err = report.features["c"].error
    assert "does not apply to categorical" in err and "jensenshannon_guarded" in err
    assert report.n_features == 3 and any(f.column == "c" for f in report.findings)


def test_dist_has_shared_bins_for_plots(profile):
    doc = compute_drift(profile, frame(2000, seed=15, shift=1.0), DriftSpec()).to_dict()
    d = doc["features"]["x"]["dist"]
    assert d["type"] == "numeric" and len(d["ref"]) == len(d["cur"]) == len(d["edges"]) + 1
    assert len(d["edges"]) <= 21 and d["ref"][0] == 0 and d["ref"][-1] == 0  # under/overflow are empty for the reference
    assert sum(d["ref"]) == pytest.approx(1, abs=1e-5) and sum(d["cur"]) == pytest.approx(1, abs=1e-5)
    assert d["cur"][-1] > 0  # shifted right: some values above the reference max
    c = doc["features"]["c"]["dist"]
    assert c["categories"] == ["a", "b", "c"] and sum(c["cur"]) == pytest.approx(1, abs=1e-5)


def test_report_for_25_features_stays_small():
    rng = np.random.default_rng(0)
    cols = {f"n{i}": rng.normal(size=20_000) for i in range(20)}
    cols.update({f"c{i}": rng.integers(0, 200, 20_000).astype(str) for i in range(5)})
    ref = pd.DataFrame(cols)
    profile = ReferenceProfile.fit(ref, [f"n{i}" for i in range(20)], [f"c{i}" for i in range(5)])
    doc = compute_drift(profile, ref.sample(5000, random_state=1), DriftSpec()).to_dict()
    assert len(json.dumps(doc)) < 50_000
    assert len(doc["features"]["c0"]["dist"]["categories"]) == 31  # 30 + "other"


def test_column_drift_for_prediction_and_unknown_column(profile):
    r = column_drift(profile, "pred", pd.Series(np.random.default_rng(1).random(1000) ** 2))
    assert r.kind == "numeric" and r.drifted
    assert set(r.to_dict()) == FEATURE_KEYS
    with pytest.raises(KeyError, match="not in the reference profile"):
        column_drift(profile, "target", pd.Series([1, 2]))
    with pytest.raises(ValueError, match="valid methods for numeric columns: chisquare"):
        column_drift(profile, "pred", pd.Series([0.1]), method="nope")
