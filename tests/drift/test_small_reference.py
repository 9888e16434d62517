"""A reference too small to say anything gives a clear warning and no drift verdicts, not drifted features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitor.drift import ReferenceProfile, compute_drift
from monitor.drift.report import MIN_REFERENCE_VALUES
from tests.drift.conftest import frame


def _features(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(z=df["x"] * 2, d=np.where(df["x"] > 0, "up", "down"))


NUMERIC, CATEGORICAL = ["x", "y", "k", "z"], ["c", "d"]


def test_one_reference_row_gives_a_warning_and_no_drifted_feature():
    one_row = ReferenceProfile.fit(_features(frame(1, seed=3)), NUMERIC, CATEGORICAL)
    report = compute_drift(one_row, _features(frame(2000, seed=4)))
    assert report.n_drifted == 0 and not report.drifted
    assert report.n_features == 0 and report.share_drifted is None
    checks = {f.check: f.to_doc() for f in report.findings}
    assert checks["small_reference"]["severity"] == "warning"
    assert "only 1 row(s)" in checks["small_reference"]["detail"]
    for column in NUMERIC + CATEGORICAL:
        result = report.features[column]
        assert not result.drifted and result.statistic is None
        assert f"only 1 usable value(s) in the reference; at least {MIN_REFERENCE_VALUES}" in result.error
    assert "6 feature(s) could not be checked" in report.rule


def test_a_column_with_too_few_usable_reference_values_is_not_judged():
    ref = _features(frame(500, seed=5))
    ref.loc[ref.index[10:], "y"] = np.nan  # 10 usable values left
    profile = ReferenceProfile.fit(ref, NUMERIC, CATEGORICAL)
    report = compute_drift(profile, _features(frame(500, seed=6, shift=3.0)))
    assert "only 10 usable value(s)" in report.features["y"].error
    assert report.features["x"].drifted  # the other columns are judged as usual
    assert "small_reference" not in {f.check for f in report.findings}


def test_a_reference_of_the_minimum_size_is_judged():
    profile = ReferenceProfile.fit(_features(frame(MIN_REFERENCE_VALUES, seed=7)), NUMERIC, CATEGORICAL)
    report = compute_drift(profile, _features(frame(1000, seed=8)))
    assert report.n_features == len(NUMERIC + CATEGORICAL)
    assert all(r.error is None for r in report.features.values())
