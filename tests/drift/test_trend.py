from __future__ import annotations

import pandas as pd
import pytest

from monitor.drift import compute_drift, trend_frame
from monitor.drift.trend import OVERALL
from monitor.spec import DriftSpec

from .conftest import frame


def test_trend_frame_is_tidy_with_flips(profile):
    shifts = [0.0, 0.5, 0.5, 0.0]
    reports = [compute_drift(profile, frame(2000, seed=20 + i, shift=s), DriftSpec(share=0.25)).to_dict()
               for i, s in enumerate(shifts)]
    df = trend_frame(reports, ["b1", "b2", "b3", "b4"])
    assert len(df) == 4 * 5
    assert list(df.columns[:9]) == ["batch_id", "batch_index", "feature", "kind", "method", "statistic", "threshold",
                                    "drifted", "flipped"]
    x = df[df.feature == "x"].set_index("batch_id")
    assert x["drifted"].tolist() == [False, True, True, False]
    assert x["flipped"].tolist() == [False, True, False, True]
    overall = df[df.feature == OVERALL]
    assert overall["statistic"].tolist() == pytest.approx([0.0, 0.25, 0.25, 0.0])
    assert overall["threshold"].tolist() == [0.25] * 4
    assert overall["flipped"].tolist() == [False, True, False, True]
    assert df.iloc[0]["feature"] == OVERALL


def test_trend_frame_tolerates_errors_and_checks_lengths():
    reports = [{"overall": {"share_drifted": None, "share_threshold": 0.5, "drifted": False},
                "features": {"x": {"kind": "numeric", "method": "ks", "statistic": None, "threshold": 0.05,
                                   "drifted": False, "error": "column 'x' is missing from the batch"}}}]
    df = trend_frame(reports, ["b1"])
    assert pd.isna(df.loc[df.feature == "x", "statistic"]).all() and df.loc[df.feature == "x", "drifted"].isna().all()
    with pytest.raises(ValueError, match="2 batch ids"):
        trend_frame(reports, ["b1", "b2"])
    assert trend_frame([], []).empty
