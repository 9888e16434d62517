"""What needs attention, change colours and plain-language wording, on hand-built snapshots and runs."""

import pytest
from kpi_data import CLASSIFIER, NOW, REGRESSOR, finding, run, snapshot, weeks

from monitor.figures import prediction_shift
from monitor.kpis import ProductionModel, attention, business_kpis, engineer_kpis
from monitor.kpis.words import how_often, shift_plain, utc_text
from monitor.views import findings_frame
from ui.kpi_tables import business_summary_html, findings_groups, portfolio_frame, runs_frame

BASE = {"auc": 0.90, "accuracy": 0.85}
OLD = ProductionModel("1", "2024-06-01T00:00:00+00:00", "train-run")  # 277 days before NOW: red


def _troubled():
    """Weeks 0-7; from week 6 two of four inputs drift, the latest batch has two critical findings, AUC is 8% below
    the baseline, the predictions shifted, and the version in production is old."""
    return [snapshot(n, drifted=("a", "b") if n >= 6 else (),
                     findings=(finding("a", "critical"), finding("b", "critical")) if n == 7 else (),
                     perf={"auc": 0.828, "accuracy": 0.8, "n_labelled": 100}, baseline=BASE,
                     rate=0.15 if n >= 6 else 0.10) for n in range(8)]


def test_every_failing_part_is_listed_red_first_each_with_a_next_step_and_its_page():
    report = business_kpis(CLASSIFIER, _troubled(), weeks(4, 7), production=OLD, now=NOW)
    items = attention(report)
    assert [i.key for i in items] == ["input data", "data quality", "accuracy", "training age", "prediction shift"]
    assert [i.status for i in items] == ["alert"] * 4 + ["warn"]  # red first
    assert all(i.next_step and i.what.endswith(".") for i in items)
    assert {i.key: i.page for i in items} == {"input data": "drift", "data quality": "drift", "accuracy": "performance",
                                              "prediction shift": "drift", "training age": "provenance"}
    by_key = {i.key: i for i in items}
    assert by_key["input data"].batch_id == "churn-w07" and by_key["input data"].batch_ts.startswith("2025-02-24")
    assert by_key["input data"].short == "Inputs changed (0/100)" and by_key["data quality"].short == "Data problems (50/100)"
    assert by_key["accuracy"].figure == "8% worse" and by_key["accuracy"].batch_id is None
    assert by_key["prediction shift"].what.startswith("The model predicted 'churned' for 12.5% of cases, against 10.0%")
    # every part below 80, lowest first
    assert report.kpi("health").note == "Pulled down by input data (0/100), accuracy (20/100) and data quality (50/100)."
    why = portfolio_frame([report]).loc[0, "Why"]
    assert all(i.short in why for i in items)  # the portfolio names every failing part, not only the worst


def test_a_healthy_model_needs_no_attention():
    calm = [snapshot(n, perf={"auc": 0.9, "accuracy": 0.85, "n_labelled": 100}, baseline=BASE) for n in range(8)]
    report = business_kpis(CLASSIFIER, calm, weeks(4, 7), now=NOW)
    assert report.status == "ok" and attention(report) == []
    assert report.kpi("health").note == "All parts are at full marks."
    assert portfolio_frame([report]).loc[0, "Why"] == "nothing to report"


def test_one_failing_part_is_named_with_its_reason():
    snaps = [snapshot(n, drifted=("a", "b") if n >= 6 else ()) for n in range(8)]
    note = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("health").note
    assert note == ("Pulled down by input data (0/100): 2 of 4 inputs look different from the training data "
                    "(the batch of 2025-02-24).")


def test_the_html_summary_lists_what_needs_attention_in_colour():
    page = business_summary_html([business_kpis(CLASSIFIER, _troubled(), weeks(4, 7), production=OLD, now=NOW)])
    assert "What needs attention" in page and "Next step:" in page and "Inputs changed" in page
    assert "--c:#c62828" in page and "<script" not in page


def test_zero_and_expected_changes_are_grey():
    snaps = [snapshot(n, rate=0.15 if n >= 4 else 0.10) for n in range(12)]
    report = business_kpis(CLASSIFIER, snaps, weeks(8, 11), production=OLD, now=NOW)
    volume, age, shift = report.kpi("volume"), report.kpi("training_age"), report.kpi("shift")
    assert volume.delta == 0 and volume.delta_color == "off" and volume.delta_arrow == "off"
    assert age.delta > 0 and age.delta_color == "off"  # days since training grow with time
    assert shift.delta == pytest.approx(0.0) and shift.delta_color == "off"
    rising = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("shift")  # 0 pts before, +5 pts now: red
    assert rising.status == "alert" and rising.delta > 0 and rising.delta_color == "inverse"
    calm = business_kpis(REGRESSOR, [snapshot(n, model="demand", mean=100 + n) for n in range(8)], weeks(4, 7),
                         now=NOW).kpi("shift")
    assert calm.status == "ok" and calm.delta > 0 and calm.delta_color == "off"  # within its green band


def test_green_freshness_and_duration_changes_are_grey():
    runs = [run(n, 18 + n % 3) for n in range(12)]
    report = engineer_kpis(CLASSIFIER, [snapshot(n) for n in range(12)], runs, weeks(8, 11), now=NOW)
    for key in ("freshness", "duration"):
        kpi = report.kpi(key)
        assert kpi.status == "ok" and kpi.delta_color == "off", (key, kpi.delta, kpi.delta_color)


@pytest.mark.parametrize(("ratio", "words"), [(1.94, "nearly twice as often"), (2.05, "about twice as often"),
                                               (1.0, "about as often"), (1.2, "20% more often"),
                                               (0.7, "30% less often"), (0.5, "about half as often"),
                                               (3.4, "3.4 times as often"), (0.2, "only 20% as often")])
def test_how_often_in_words(ratio, words):
    assert how_often(ratio) == words


def test_shifts_in_plain_language():
    loan = prediction_shift(CLASSIFIER, [snapshot(7, rate=0.033, ref_rate=0.017)])
    assert shift_plain(CLASSIFIER, loan) == ("The model predicted 'churned' for 3.3% of cases, against 1.7% in the "
                                             "training data: nearly twice as often.")
    demand = prediction_shift(REGRESSOR, [snapshot(7, model="demand", mean=41.2, ref_mean=38.15)])
    assert shift_plain(REGRESSOR, demand) == "Average predicted units 41.2, 8.0% above the training data (38.1)."
    lower = prediction_shift(REGRESSOR, [snapshot(7, model="demand", mean=97.5, ref_mean=100.0)])
    assert shift_plain(REGRESSOR, lower) == "Average predicted units 97.5, 2.5% below the training data (100.0)."
    assert utc_text("2026-11-16T05:00:00+00:00") == "2026-11-16 05:00 UTC"


def test_a_failed_run_says_whether_a_later_run_succeeded():
    runs = [run(1, 18), run(2, 31, "Failed", message="timeout"), run(2, 27, hours=2), run(3, 12, "Failed")]
    frame = runs_frame(runs).set_index("run_id")
    assert frame.loc["pl_ingest-2-Failed", "follow_up"] == "re-run succeeded at 2025-01-20 08:00 UTC"
    assert frame.loc["pl_ingest-3-Failed", "follow_up"] == "no successful run since"
    assert frame.loc["pl_ingest-1-Succeeded", "follow_up"] == ""


def test_findings_are_grouped_by_column_and_severity_critical_first():
    snaps = [snapshot(n, findings=(finding("a", "info"), finding("b", "critical"), finding("a", "warning", "range")))
             for n in range(3)] + [snapshot(3, findings=(finding("b", "critical"),))]
    groups = findings_groups(findings_frame(snaps))
    assert list(groups["severity"]) == ["critical", "warning", "info"]
    first = groups.iloc[0]
    assert (first["column"], first["findings"], first["batches"]) == ("b", 4, 4)
    assert first["first seen"] == "2025-01-06 06:00 UTC" and first["latest"] == "2025-01-27 06:00 UTC"
    assert first["latest batch"] == "churn-w03"
    assert findings_groups(findings_frame([snapshot(0)])).empty
