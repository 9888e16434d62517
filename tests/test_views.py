"""The page tables built from stored snapshots."""

from monitor.views import distribution_frame, drift_label, feature_table, overall_frame


def _snap(batch, ts, drifted, stat):
    return {"batch_id": batch, "ts": ts, "n_rows": 10, "status": {}, "quality": {"counts": {"critical": 0}},
            "drift": {"overall": {"drifted": drifted, "share_drifted": 0.5 if drifted else 0.0},
                      "features": {"a": {"kind": "numeric", "method": "wasserstein", "statistic": stat, "threshold": 0.1,
                                         "drifted": stat >= 0.1,
                                         "dist": {"edges": [0.0, 1.0], "ref": [0.1, 0.8, 0.1], "cur": [0.0, 0.5, 0.5]}}}},
            "prediction": {"drift": {"method": "psi", "statistic": 0.02, "drifted": False}}, "explain": {}}


def test_overall_frame_marks_where_the_verdict_flips():
    frame = overall_frame([_snap("b1", "2026-01-01T00:00:00+00:00", False, 0.01),
                           _snap("b2", "2026-01-08T00:00:00+00:00", True, 0.3),
                           _snap("b3", "2026-01-15T00:00:00+00:00", True, 0.4)])
    assert frame["flipped"].tolist() == [False, True, False]


def test_feature_table_change_and_distribution_labels():
    table = feature_table(_snap("b2", "2026-01-08T00:00:00+00:00", True, 0.3), _snap("b1", "2026-01-01T00:00:00+00:00", False, 0.1))
    assert table.loc[0, "change"] == 0.3 - 0.1 and bool(table.loc[0, "drifted"])
    dist = distribution_frame(_snap("b", "2026-01-01T00:00:00+00:00", True, 0.3)["drift"]["features"]["a"])
    assert dist["bin"].tolist()[:3] == ["< 0", "0 – 1", "≥ 1"] and len(dist) == 6


def test_drift_label_says_why_there_is_no_statistic():
    assert drift_label({"method": "psi", "statistic": 0.25, "drifted": True}) == "psi = 0.2500 (drift)"
    assert drift_label({"method": "psi", "statistic": None, "error": "column is all NaN"}) == "not computed: column is all NaN"
