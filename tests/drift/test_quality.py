from __future__ import annotations

import json

import numpy as np
import pandas as pd

from monitor.drift import data_quality

from .conftest import frame

EXPECTED = ["x", "y", "k", "c", "pred"]


def _by_check(findings):
    out = {}
    for f in findings:
        assert set(f) == {"check", "column", "severity", "detail", "value"}
        assert f["severity"] in ("info", "warning", "critical")
        if f["column"] is not None:
            assert f"'{f['column']}'" in f["detail"]
        out.setdefault(f["check"], []).append(f)
    return out


def test_clean_batch_has_no_warnings(profile):
    findings = data_quality(profile, frame(2000, seed=30), EXPECTED)
    assert all(f["severity"] == "info" for f in findings)
    json.dumps(findings, allow_nan=False)


def test_schema_mismatch_missing_extra_and_type_change(profile):
    batch = frame(1000, seed=31).drop(columns=["y"]).assign(extra=1)
    batch["k"] = batch["k"].astype(str)
    got = _by_check(data_quality(profile, batch, EXPECTED))
    assert [(f["column"], f["severity"]) for f in got["missing_column"]] == [("y", "critical")]
    assert [(f["column"], f["severity"]) for f in got["extra_column"]] == [("extra", "info")]
    change = got["type_change"][0]
    assert change["column"] == "k" and change["severity"] == "warning" and "1000 of 1000" in change["detail"]


def test_missing_rate_rise_and_entirely_missing(profile):
    batch = frame(2000, seed=32)
    batch.loc[: 399, "x"] = np.nan  # 20% missing against 0% in the reference
    batch["y"] = np.nan
    got = _by_check(data_quality(profile, batch, EXPECTED))
    rates = {f["column"]: f for f in got["missing_rate"]}
    assert rates["x"]["severity"] == "warning" and rates["x"]["value"] == 0.2
    assert rates["y"]["severity"] == "critical" and "entirely missing" in rates["y"]["detail"]


def test_out_of_range_and_unseen_categories(profile):
    batch = frame(1000, seed=33, shift=2.0, new_share=0.05)
    got = _by_check(data_quality(profile, batch, EXPECTED))
    oor = {f["column"]: f for f in got["out_of_range"]}
    assert oor["x"]["severity"] == "warning" and 0.01 < oor["x"]["value"] < 0.1
    unseen = got["unseen_categories"][0]
    assert unseen["column"] == "c" and unseen["severity"] == "warning" and "'new'" in unseen["detail"]
    assert 0.03 < unseen["value"] < 0.07


def test_infinite_values_and_empty_batch(profile):
    batch = frame(100, seed=34)
    batch.loc[:4, "pred"] = np.inf
    got = _by_check(data_quality(profile, batch, EXPECTED))
    assert got["infinite_values"][0]["value"] == 0.05
    empty = _by_check(data_quality(profile, frame(0, seed=1), EXPECTED))
    assert empty["empty_batch"][0]["severity"] == "critical"


def test_unparseable_text_in_numeric_column_is_critical(profile):
    batch = frame(50, seed=35)
    batch["x"] = pd.Series(["n/a"] * 50, dtype=object)
    got = _by_check(data_quality(profile, batch, EXPECTED))
    assert got["type_change"][0]["severity"] == "critical"
