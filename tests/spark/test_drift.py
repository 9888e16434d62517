"""Drift of a batch summarised on Spark equals the drift of the same batch in pandas.

Verdicts must be identical. Categorical statistics use the same counts (equal to 1e-12); numeric
ones read the batch through its sketch, which moves the batch CDF by at most ~3.2/1022, so the
normalized Wasserstein distance may move by that much times the range in standard deviations;
observed well below the 2e-3 allowed here.
"""

from __future__ import annotations

import pytest

from monitor.drift import ReferenceProfile, column_drift, compute_drift, data_quality
from monitor.spark import summarise_batch
from monitor.spec import DriftSpec

from .conftest import CATEGORICAL, NUMERIC, frame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def profile():
    return ReferenceProfile.fit(frame(30_000, seed=21), NUMERIC, CATEGORICAL, extra_numeric=["prediction"])


@pytest.fixture(scope="module", params=[0.0, 0.4], ids=["same", "shifted"])
def batches(request, spark):
    batch = frame(25_000, seed=22, shift=request.param, new_share=0.05 if request.param else 0.0)
    summary = summarise_batch(spark.createDataFrame(batch).repartition(3), NUMERIC, CATEGORICAL, extra_numeric=["prediction"],
                              chunk_rows=5_000)
    return batch, summary


@pytest.mark.parametrize("spec", [None, DriftSpec(numeric_method="wasserstein", categorical_method="jensenshannon", threshold=0.1)],
                         ids=["defaults", "evidently-methods"])
def test_drift_report_from_the_summary_matches_the_full_batch(profile, batches, spec):
    batch, summary = batches
    full, summed = compute_drift(profile, batch, spec), compute_drift(profile, summary, spec)
    assert {c: f.drifted for c, f in summed.features.items()} == {c: f.drifted for c, f in full.features.items()}
    assert (summed.n_drifted, summed.drifted, summed.share_drifted) == (full.n_drifted, full.drifted, full.share_drifted)
    for c, f in full.features.items():
        g = summed.features[c]
        assert g.error is None and f.error is None
        assert (g.n_cur, g.method, g.missing_cur) == (f.n_cur, f.method, f.missing_cur)
        tol = 1e-12 if c in CATEGORICAL or c == "k" else 2e-3
        assert g.statistic == pytest.approx(f.statistic, abs=tol), c
        assert g.threshold == pytest.approx(f.threshold, abs=tol), c
    pred_full = column_drift(profile, "prediction", batch["prediction"])
    pred_summed = column_drift(profile, "prediction", summary.columns["prediction"])
    assert pred_summed.drifted == pred_full.drifted
    assert pred_summed.statistic == pytest.approx(pred_full.statistic, abs=2e-3)


def test_data_quality_from_the_summary_matches_the_full_batch(profile, batches):
    batch, summary = batches
    expected = NUMERIC + CATEGORICAL + ["prediction"]
    full, summed = data_quality(profile, batch, expected), data_quality(profile, summary, expected)
    assert [(f["check"], f["column"], f["severity"]) for f in summed] == [(f["check"], f["column"], f["severity"]) for f in full]
    for f, g in zip(full, summed, strict=True):
        assert g["value"] == pytest.approx(f["value"], abs=1e-3)
