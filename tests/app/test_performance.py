"""AppTest of the performance view and of the estimated figures on Model health, on the demo workspace.

The demo classifier's labels arrive two weeks late, so its last two batches have estimated performance only.
"""

import datetime as dt

import pytest

from tests.app.apptest import open_page

pytestmark = pytest.mark.slow


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_classifier_shows_realized_and_estimated_auc_and_the_batches_waiting(demo):
    at = open_page("pages/performance.py", "loan_default", errors_allowed=False)
    metrics = _metrics(at)
    assert metrics["Batches waiting for labels"] == "2"
    assert float(metrics["Latest realized AUC"]) > 0.6 and float(metrics["Latest estimated AUC"]) > 0.6
    assert float(metrics["Baseline"]) == pytest.approx(demo.snapshots("loan_default")[-1].baseline.get("auc"), abs=1e-3)
    waiting = at.dataframe[0].value
    assert len(waiting) == 2 and waiting["estimated"].notna().all()
    assert (waiting["estimated_low"] <= waiting["estimated"]).all() and (waiting["estimated"] <= waiting["estimated_high"]).all()
    assert len(at.get("plotly_chart")) == 1


def test_the_regressor_offers_its_own_metrics(demo):
    at = open_page("pages/performance.py", "store_demand", errors_allowed=False)
    assert at.selectbox(key="perf-metric-store_demand").options[:2] == ["Mean absolute error", "Root mean squared error"]
    assert _metrics(at)["Batches waiting for labels"] == "0"


def test_model_health_uses_the_estimate_while_labels_are_late_and_says_so(demo):
    at = open_page("pages/business.py", "loan_default", errors_allowed=False)
    today = dt.datetime.now(dt.timezone.utc).date()
    at.date_input(key="period_input").set_value((today - dt.timedelta(days=13), today)).run()
    metrics = {m.label: m for m in at.metric}
    assert "Accuracy (AUC) · estimated" in metrics, list(metrics)
    captions = "\n".join(c.value for c in at.caption)
    assert "Estimated: labels are late for 2 batch(es)" in captions, captions
