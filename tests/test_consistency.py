"""Every figure shown in more than one place has the same value everywhere.

For each demo model and three periods (the whole range, the last four weeks, a period with no data), the
accuracy loss, main metric, prediction shift, dataset verdict, drifted features and health with its parts
are read from Model health, Pipelines & data and Drift (as the pages render them), from the CSV and HTML
exports, and from the verdict of the Evidently report, and compared with the one function that computes each.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from monitor.figures import dataset_verdict, loss_text, prediction_shift
from monitor.kpis import STATUS_WORDS, Period, period_figure
from tests.app.apptest import APP, shown
from ui.kpi_tables import business_summary_html, kpi_frame, portfolio_frame

pytestmark = pytest.mark.slow
MODELS = ["loan_default", "store_demand"]
PERIODS = ["whole", "last four weeks", "no data"]


def _dates(demo, model: str, which: str) -> tuple[dt.date, dt.date]:
    times = [s.time.date() for s in demo.snapshots(model)]
    if which == "whole":
        return min(times), max(times)
    if which == "last four weeks":
        return max(times) - dt.timedelta(days=27), max(times)
    return dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def _page(path: str, model: str, dates: tuple[dt.date, dt.date]) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["period"] = dates
    at.session_state["model"] = model
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _cards(at: AppTest) -> dict[str, tuple[str, str]]:
    """Metric label -> (value, the note under it)."""
    out = {}
    for col in at.columns:
        if len(col.metric) == 1:
            out[col.metric[0].label] = (col.metric[0].value, shown(col.caption[0].value) if len(col.caption) else "")
    return out


@pytest.fixture(scope="module", params=[(m, p) for m in MODELS for p in PERIODS], ids=lambda v: f"{v[0]}-{v[1]}")
def case(request, demo):
    model, which = request.param
    start, end = _dates(demo, model, which)
    spec = demo.model(model)
    period = Period.from_dates(start, end)
    every = demo.snapshots(model)
    batches = [s for s in every if s.ts in period]
    business = demo.business_kpis(model, period)
    engineer = demo.engineer_kpis(model, period)
    return {
        "model": model, "which": which, "dates": (start, end), "spec": spec, "batches": batches,
        "performance": period_figure(spec, every, period),
        "shift": prediction_shift(spec, batches) if batches else None,
        "verdict": dataset_verdict(spec, batches[-1]) if batches else None,
        "business": business, "engineer": engineer,
        "reports": [demo.business_kpis(m, period) for m in MODELS],
    }


def test_model_health_shows_the_one_figure_everywhere(case):
    at = _page("pages/business.py", case["model"], case["dates"])
    cards = _cards(at)
    perf, business = case["performance"], case["business"]
    portfolio = at.dataframe[0].value.set_index("Model")
    row = portfolio.loc[case["model"]]
    if not case["batches"]:
        assert business.status == "none" and row["Status"] == STATUS_WORDS["none"]
        assert "on track" not in " ".join(v + n for v, n in cards.values())
        assert all(k.status == "none" for k in business.kpis if k.key != "training_age")
        return
    kpi = business.kpi("performance")
    value, note = cards[kpi.label]
    assert value == perf.display == kpi.display
    assert row["Main metric"] == perf.short
    if perf.relative_loss is not None:
        assert loss_text(perf.relative_loss) in note and loss_text(perf.relative_loss) in row["Main metric"]
    health = business.kpi("health")
    assert cards["Health score"][0] == health.display and row["Health score"] == health.value
    parts = next(d.value for d in at.dataframe if "part" in d.value.columns).set_index("part")
    for name, part in health.figure.parts.items():
        assert parts.loc[name, "score (0-100)"] == round(part.score) and parts.loc[name, "why"] == part.reason
    if "accuracy" in health.figure.parts and perf.relative_loss is not None:
        assert loss_text(perf.relative_loss) in health.figure.parts["accuracy"].reason
    shift = case["shift"]
    shift_kpi = business.kpi("shift")
    assert cards[shift_kpi.label][0] == shift_kpi.display
    assert shift_kpi.value == pytest.approx(shift.value)
    if shift.drifted:  # the Drift page says the predictions drifted: the business card is not green
        assert shift_kpi.status in ("warn", "alert") and "drifted" in cards[shift_kpi.label][1]


def test_pipelines_and_data_and_drift_pages_show_the_same_verdict(case):
    verdict = case["verdict"]
    eng = _page("pages/data_engineer.py", case["model"], case["dates"])
    drift_kpi = case["engineer"].kpi("drift")
    value, note = _cards(eng)[drift_kpi.label]
    page = _page("pages/drift.py", case["model"], case["dates"])
    if verdict is None:
        assert drift_kpi.value is None and value == drift_kpi.display
        assert any("No snapshots" in i.value for i in page.info) and not page.metric
        return
    assert drift_kpi.value == verdict.n_drifted and value.startswith(f"{verdict.n_drifted} of {verdict.n_features}")
    assert all(f in note for f in verdict.features)
    metrics = {m.label: m.value for m in page.metric}
    assert page.selectbox(key=f"drift-batch-{case['model']}").value == verdict.batch_id  # the latest batch of the period
    assert metrics["Dataset drift"] == ("DRIFT" if verdict.drifted else "no drift")
    assert metrics["Drifted features"] == f"{verdict.n_drifted} / {verdict.n_features}"
    table = next(d.value for d in page.dataframe if "Feature" in d.value.columns)
    assert set(table.loc[table["Drifted"], "Feature"]) == set(verdict.features)
    said = "\n".join(shown(m.value) for m in page.markdown)
    shift = case["shift"]
    assert ("(drift)" if shift.drifted else "(no drift)") in said.split("Prediction")[1].split("\n")[0]


def test_the_csv_and_html_exports_carry_the_page_figures(case):
    business, engineer, perf = case["business"], case["engineer"], case["performance"]
    rows = kpi_frame([business, engineer]).set_index(["persona", "kpi"])
    page_html = business_summary_html(case["reports"])
    portfolio = portfolio_frame(case["reports"]).set_index("Model")
    for kpi in business.kpis + engineer.kpis:
        row = rows.loc[(business.persona if kpi in business.kpis else engineer.persona, kpi.key)]
        assert row["shown"] == kpi.display and row["status"] == kpi.status
        assert (row["value"] == kpi.value) or (kpi.value is None and row["value"] != row["value"]) or row["value"] is None
    if not case["batches"]:
        assert "on track" not in page_html.split(case["model"])[1].split("</section>")[0]
        return
    assert rows.loc[("business", "performance"), "value"] == pytest.approx(perf.value)
    assert rows.loc[("engineer", "drift"), "value"] == case["verdict"].n_drifted
    assert html.escape(portfolio.loc[case["model"], "Main metric"]) in page_html
    for key in ("health", "performance", "shift"):
        assert html.escape(business.kpi(key).display) in page_html


@pytest.mark.parametrize("model", MODELS)
def test_the_evidently_report_gives_the_page_verdict(demo, model):
    from monitor.evidently_report import evidently_report

    spec = demo.model(model)
    latest = demo.snapshots(model)[-1]
    info = demo.mlflow.batch(model, latest.batch_id)
    version = demo.mlflow.model_version(spec.registered_model, info.model_version)
    reference = demo.mlflow.reference_frame(model, spec.reference, version)
    report = evidently_report(spec, reference, demo.mlflow.batch_rows(info))
    verdict = dataset_verdict(spec, latest)
    assert verdict.drifted  # the latest demo batch is in the drifted weeks: the case the issue saw
    assert report.drifted == verdict.drifted and report.n_drifted == verdict.n_drifted
