"""The Evidently download tells the Drift page's verdict: same methods, thresholds, share and column verdicts."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from monitor.errors import BatchError
from monitor.evidently_report import evidently_report
from monitor.spec import DriftSpec, FeatureDrift

EVIDENTLY = re.compile(r"Dataset Drift is (detected|NOT detected)\. Dataset drift detection threshold is ([0-9.]+)")
NOTE = re.compile(r'<div id="monitor-note".*?<b>MLOps Monitor:</b> (DRIFT|no drift): (\d+) of (\d+) features drifted', re.S)


def _inputs(service, model: str, batch_id: str):
    spec = service.model(model)
    info = service.mlflow.batch(model, batch_id)
    version = service.mlflow.model_version(spec.registered_model, info.model_version)
    reference = service.mlflow.reference_frame(model, spec.reference, version,
                                               base_dir=service.settings.spec.resolve().parent)
    return spec, reference, service.mlflow.batch_rows(info)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["loan_default", "store_demand"])
def test_the_report_gives_the_stored_verdict_for_every_demo_batch(demo, model):
    snapshots = demo.snapshots(model)
    assert snapshots
    for snap in snapshots:
        spec, reference, batch = _inputs(demo, model, snap.batch_id)
        report = evidently_report(spec, reference, batch, page_drift=snap.drift)
        where = f"{model}/{snap.batch_id}"
        assert report.drifted == snap.drift.drifted, where
        assert report.n_drifted == snap.drift.n_drifted, where
        assert report.n_columns == snap.drift.n_features, where
        assert report.drift_share == snap.drift.share_threshold == spec.drift.share, where
        assert {c for c, v in report.columns.items() if v.drifted} == set(snap.drift.drifted_features), where
        assert {c: v.method for c, v in report.columns.items()} == {c: r.method for c, r in snap.drift.features.items()
                                                                    if r.error is None}, where
        # The note on the page says the same, and names the methods used.
        verdict, n_drifted, n_columns = NOTE.search(report.html).groups()
        assert (verdict == "DRIFT", int(n_drifted), int(n_columns)) == (snap.drift.drifted, snap.drift.n_drifted,
                                                                         snap.drift.n_features), where
        assert "wasserstein_guarded" in report.html and "Drift page used" not in report.html
        # Evidently's own dataset summary, rendered from its results, says the same at the model's share.
        said, share = EVIDENTLY.search(report.html).groups()
        assert (said == "detected", float(share)) == (snap.drift.drifted, spec.drift.share), where


@pytest.mark.slow
def test_the_demo_has_a_drifted_batch_and_the_service_download_says_drift(demo):
    drifted = [(m, s) for m in ("loan_default", "store_demand") for s in demo.snapshots(m) if s.drift.drifted]
    assert drifted, "the demo should have at least one batch the Drift page calls DRIFT"
    model, snap = drifted[0]
    page = demo.evidently_report_html(model, snap.batch_id)
    verdict, n_drifted, n_columns = NOTE.search(page).groups()
    assert verdict == "DRIFT" and int(n_drifted) == snap.drift.n_drifted and int(n_columns) == snap.drift.n_features
    # Evidently's own summary agrees, at the model's share rather than its 0.5 default.
    assert EVIDENTLY.search(page).groups() == ("detected", f"{demo.model(model).drift.share}")
    assert snap.drift.n_drifted / snap.drift.n_features < 0.5  # a batch Evidently's defaults would not call drift


def _frames(seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.normal(size=3000), "z": rng.normal(size=3000),
                        "c": rng.choice(["a", "b", "c"], 3000)})
    cur = pd.DataFrame({"x": rng.normal(0.6, 1, 2000), "y": rng.normal(size=2000), "z": rng.normal(size=2000),
                        "c": rng.choice(["a", "b", "c"], 2000)})
    return ref, cur


def test_the_models_share_not_evidentlys_default_decides():
    ref, cur = _frames()
    spec = SimpleNamespace(numeric_features=["x", "y", "z"], categorical_features=["c"], drift=DriftSpec(share=0.25))
    low = evidently_report(spec, ref, cur)
    assert (low.n_drifted, low.n_columns, low.drifted) == (1, 4, True)  # 1 of 4 >= 0.25; Evidently's 0.5 would say no
    high = evidently_report(SimpleNamespace(**{**vars(spec), "drift": DriftSpec(share=0.5)}), ref, cur)
    assert (high.n_drifted, high.drifted) == (1, False)


def test_model_and_feature_methods_and_thresholds_are_used_and_stated():
    ref, cur = _frames(1)
    drift = DriftSpec(share=0.5, numeric_method="ks", categorical_method="chisquare", threshold=0.01,
                      features={"y": FeatureDrift(method="psi", threshold=0.2)})
    spec = SimpleNamespace(numeric_features=["x", "y", "z"], categorical_features=["c"], drift=drift)
    report = evidently_report(spec, ref, cur)
    assert {c: (v.method, v.threshold) for c, v in report.columns.items()} == {
        "x": ("ks", 0.01), "y": ("psi", 0.2), "z": ("ks", 0.01), "c": ("chisquare", 0.01)}
    assert report.columns["x"].drifted and not report.columns["z"].drifted
    for text in ("x (numeric): method ks (Evidently stat test monitor_ks)", "y (numeric): method psi (Evidently stat test "
                 "monitor_psi)", "c (categorical): method chisquare", "share: the dataset drifts when 0.5 or more"):
        assert text in report.html, text


def test_a_method_that_differs_from_the_page_and_a_column_left_out_are_noted():
    ref, cur = _frames(2)
    ref.loc[10:, "z"] = np.nan  # 10 usable reference values: no verdict, as on the page
    spec = SimpleNamespace(numeric_features=["x", "y", "z"], categorical_features=["c"], drift=DriftSpec(share=0.3))
    page = SimpleNamespace(features={"x": SimpleNamespace(method="ks"), "y": SimpleNamespace(method="wasserstein_guarded")})
    report = evidently_report(spec, ref, cur, page_drift=page)
    assert report.n_columns == 3 and "z" not in report.columns
    note = NOTE.search(report.html).group(0)
    assert note
    assert "z is left out" in report.html and "at least 30 are needed" in report.html
    assert "x: this report uses wasserstein_guarded, the Drift page used ks" in report.html
    assert "y: this report uses" not in report.html


def test_the_note_escapes_column_names():
    ref, cur = _frames(3)
    bad = "<img src=x onerror=alert(1)>"
    ref, cur = ref.rename(columns={"c": bad}), cur.rename(columns={"c": bad})
    spec = SimpleNamespace(numeric_features=["x"], categorical_features=[bad], drift=DriftSpec())
    page = evidently_report(spec, ref, cur).html
    assert bad not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_batch_with_nothing_to_judge_is_refused_with_the_reasons():
    ref, cur = _frames(4)
    spec = SimpleNamespace(numeric_features=["x", "w"], categorical_features=[], drift=DriftSpec())
    with pytest.raises(BatchError, match="nothing to report: .*'x'.*the batch is empty.*'w' is missing from the reference"):
        evidently_report(spec, ref, cur.iloc[:0])
