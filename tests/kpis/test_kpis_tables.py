"""Portfolio row, CSV table, runs table and the HTML summary."""

import json

from kpi_data import CLASSIFIER, NOW, REGRESSOR, run, snapshot, weeks

from monitor.kpis import STATUS_TINTS, business_kpis, unavailable
from ui.kpi_tables import business_summary_html, health_parts_frame, kpi_frame, portfolio_frame, portfolio_style, runs_frame


def _reports():
    drifting = [snapshot(n, drifted=("a", "b") if n >= 6 else ()) for n in range(8)]
    calm = [snapshot(n, model="demand") for n in range(8)]
    return [business_kpis(CLASSIFIER, drifting, weeks(4, 7), now=NOW), business_kpis(REGRESSOR, calm, weeks(4, 7), now=NOW)]


def test_portfolio_has_one_row_per_model_with_a_coloured_status():
    frame = portfolio_frame([*_reports(), unavailable("broken", "business", weeks(4, 7), "store unreachable")])
    assert list(frame["Model"]) == ["churn", "demand", "broken"]
    assert list(frame["Status"]) == ["needs attention", "on track", "no data in this period"]
    assert frame.loc[0, "Why"] == "Inputs changed (0/100)" and frame.loc[2, "Why"] == "store unreachable"
    styles = portfolio_style(frame).to_html()
    assert STATUS_TINTS["alert"] in styles and STATUS_TINTS["ok"] in styles and STATUS_TINTS["none"] in styles
    assert "Accuracy" not in frame.columns and frame.loc[1, "Main metric"] == "awaiting labels"


def test_kpi_table_traces_each_kpi_to_its_batches():
    frame = kpi_frame(_reports())
    assert len(frame) == 10 and set(frame["kpi"]) == {"health", "performance", "volume", "shift", "training_age"}
    volume = frame[(frame["model"] == "churn") & (frame["kpi"] == "volume")].iloc[0]
    assert volume["batch_ids"] == "churn-w04 churn-w05 churn-w06 churn-w07" and volume["value"] == 4000
    assert frame["definition"].str.len().min() > 50
    json.dumps([r.to_dict() for r in _reports()])


def test_runs_frame_newest_first_with_flags():
    runs = [run(1, 18), run(2, 40), run(3, 10, "Failed", message="boom")]
    frame = runs_frame(runs, flagged=["pl_ingest-2-Succeeded"])
    assert list(frame["status"]) == ["Failed", "Succeeded", "Succeeded"]
    assert list(frame["outside_usual_range"]) == [False, True, False] and frame.loc[0, "message"] == "boom"


def test_html_summary_is_self_contained():
    page = business_summary_html(_reports())
    assert page.startswith("<!DOCTYPE html>") and "churn" in page and "demand" in page
    assert "<script" not in page and "http" not in page and "<svg" in page and "Health score" in page


def test_health_parts_table_names_the_batches_of_each_part():
    parts = health_parts_frame(_reports()[0].kpi("health"))
    assert list(parts["part"]) == ["input data", "data quality", "freshness"]
    assert list(parts["score (0-100)"]) == [0, 100, 100] and set(parts["batches"]) == {"churn-w07"}
