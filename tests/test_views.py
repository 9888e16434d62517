"""The page tables built from typed snapshots."""

import pandas as pd

from monitor.snapshots import Snapshot
from monitor.views import (
    distribution_frame,
    drift_label,
    drift_matrix,
    drifting_since,
    feature_table,
    findings_frame,
    overall_frame,
)


def _snap(batch, ts, drifted, stat, findings=()):
    return Snapshot.from_doc({
        "model": "m", "batch_id": batch, "ts": ts, "n_rows": 10, "schema_version": 2,
        "quality": {"findings": list(findings)},
        "drift": {"overall": {"drifted": drifted, "share_drifted": 0.5 if drifted else 0.0, "n_features": 1,
                              "n_drifted": int(stat >= 0.1), "share_threshold": 0.5},
                  "features": {"a": {"kind": "numeric", "method": "wasserstein", "statistic": stat, "threshold": 0.1,
                                     "drifted": stat >= 0.1, "rule": "drift if normalized Wasserstein distance >= 0.1",
                                     "dist": {"edges": [0.0, 1.0], "ref": [0.1, 0.8, 0.1], "cur": [0.0, 0.5, 0.5]}}}},
        "prediction": {"drift": {"method": "psi", "statistic": 0.02, "drifted": False}}})


def test_overall_frame_marks_where_the_verdict_flips():
    frame = overall_frame([_snap("b1", "2026-01-01T00:00:00+00:00", False, 0.01),
                           _snap("b2", "2026-01-08T00:00:00+00:00", True, 0.3),
                           _snap("b3", "2026-01-15T00:00:00+00:00", True, 0.4)])
    assert frame["flipped"].tolist() == [False, True, False]
    assert frame["drifted_features"].tolist() == ["", "a", "a"]


def test_feature_table_change_and_distribution_labels():
    table = feature_table(_snap("b2", "2026-01-08T00:00:00+00:00", True, 0.3), _snap("b1", "2026-01-01T00:00:00+00:00", False, 0.1))
    assert table.loc[0, "change"] == 0.3 - 0.1 and bool(table.loc[0, "drifted"])
    dist = distribution_frame(_snap("b", "2026-01-01T00:00:00+00:00", True, 0.3).drift.features["a"])
    assert dist["bin"].tolist()[:3] == ["< 0", "0 – 1", "≥ 1"] and len(dist) == 6


def test_drift_matrix_is_relative_to_the_threshold_and_drifting_since_finds_the_run():
    snaps = [_snap("b1", "2026-01-01T00:00:00+00:00", False, 0.05), _snap("b2", "2026-01-08T00:00:00+00:00", True, 0.2),
             _snap("b3", "2026-01-15T00:00:00+00:00", True, 0.3)]
    matrix = drift_matrix(snaps)
    assert matrix["relative"].round(6).tolist() == [0.5, 2.0, 3.0]
    assert drifting_since(snaps)["a"].batch_id == "b2"
    assert drifting_since(snaps[:1]) == {}


def test_findings_put_critical_first_then_by_column():
    f = [{"check": "missing", "column": "b", "severity": "info", "detail": "x"},
         {"check": "missing", "column": "a", "severity": "critical", "detail": "y"},
         {"check": "range", "column": "a", "severity": "warning", "detail": "z"}]
    frame = findings_frame([_snap("b1", "2026-01-01T00:00:00+00:00", False, 0.0, f)])
    assert frame["severity"].tolist() == ["critical", "warning", "info"]
    assert isinstance(frame.loc[0, "batch_time"], pd.Timestamp)


def test_drift_label_says_why_there_is_no_statistic():
    snap = _snap("b", "2026-01-01T00:00:00+00:00", False, 0.25)
    assert drift_label(snap.prediction.drift) == "psi = 0.0200 (no drift)"
    assert drift_label(None).startswith("not computed")
