"""Data-engineer KPIs on hand-built snapshots and pipeline runs with known answers."""

import pytest
from kpi_data import CLASSIFIER, NOW, REGRESSOR, finding, run, snapshot, week, weeks

from monitor.kpis import Period, engineer_kpis, usual_ranges

DURATIONS = {0: 18, 1: 19, 2: 17, 3: 18, 4: 20, 5: 27.5, 6: 19, 7: 18}


def _runs():
    runs = [run(n, m, hours=2 if n == 5 else -1) for n, m in DURATIONS.items()]
    runs.append(run(5, 31, "Failed", message="Operation on target CopyRawData failed: timeout"))
    runs.append(run(6, 5, "Failed", pipeline="pl_unrelated", message="not this model's"))
    return runs


def _snaps():
    return [snapshot(n, hours=3 if n == 5 else 0, drifted=("a", "c") if n >= 6 else (),
                     findings={5: (finding("a", "critical"), finding("c", "warning", "unseen_category")),
                               6: (finding("a", "warning"),)}.get(n, ())) for n in range(8)]


@pytest.fixture
def report():
    return engineer_kpis(CLASSIFIER, _snaps(), _runs(), weeks(4, 7), now=NOW)


def test_pipeline_success_rate_lists_the_failed_run(report):
    k = report.kpi("success")
    assert k.value == 80 and k.display == "80.0%" and k.status == "warn"  # 4 of 5 finished runs
    assert k.previous == 100 and k.delta_display == "-20.0 pts"
    [failed] = k.details["failed"]
    assert failed["pipeline"] == "pl_ingest" and failed["duration_min"] == 31 and "timeout" in failed["message"]
    assert failed["start"] == week(5, -1).isoformat() and "pl_ingest-5-Failed" in k.run_ids
    assert "pl_unrelated-6-Failed" not in k.run_ids and "4 of 5 finished runs succeeded" in k.note
    assert "(Operation on target CopyRawData failed: timeout) — re-run succeeded at 2025-02-10 08:00 UTC." in k.note
    assert k.delta_color == "normal"  # the rate fell: red


def test_freshness_flags_the_late_batch(report):
    k = report.kpi("freshness")
    assert k.value == pytest.approx(6.75) and k.display == "6.8 days"  # week-7 batch to the end of the period
    assert k.status == "warn" and k.details["late"][0]["batch_id"] == "churn-w05"
    assert "churn-w05 (+3.0 h)" in k.note and "churn-w05" in k.batch_ids


def test_freshness_overdue_when_no_batch_for_two_intervals():
    period = Period.from_dates(week(4).date(), week(10).date())
    k = engineer_kpis(CLASSIFIER, _snaps(), [], period, now=week(7, 24 * 15)).kpi("freshness")
    assert k.value == pytest.approx(15) and k.status == "alert" and "Overdue by 8.0 days" in k.note


def test_quality_findings_by_severity_and_column(report):
    k = report.kpi("quality")
    assert k.value == 3 and k.status == "alert" and k.previous == 0
    assert k.details["by_severity"] == {"critical": 1, "warning": 2}
    assert k.note == "1 critical, 2 warning — columns: a (2), c (1)"


def test_drifted_features_of_the_latest_batch_and_since_when(report):
    k = report.kpi("drift")
    assert k.value == 2 and k.display == "2 of 4" and k.status == "alert"
    assert k.details["features"] == ["a", "c"] and k.details["since"] == "churn-w06"
    assert "since the batch of 2025-02-17" in k.note and k.batch_ids == ("churn-w07", "churn-w06")


def test_duration_against_the_usual_range_flags_the_slow_rerun(report):
    # Q1 18, Q3 19.25: Tukey fences 16.125-21.125, widened to the median 18.5 +/- 25%
    assert usual_ranges(_runs())["pl_ingest"] == pytest.approx((13.875, 23.125))
    k = report.kpi("duration")
    assert k.value == 19.5 and k.previous == 18 and k.status == "warn"
    [flagged] = k.details["flagged"]
    assert flagged["duration_min"] == 27.5 and flagged["run_id"] == "pl_ingest-5-Succeeded"
    assert "took 27.5 min" in k.note


def test_no_pipelines_linked_is_an_empty_state():
    snaps = [snapshot(n, model="demand") for n in range(8)]
    r = engineer_kpis(REGRESSOR, snaps, _runs(), weeks(4, 7), now=NOW)
    for key in ("success", "duration"):
        assert r.kpi(key).value is None and r.kpi(key).status == "none" and "`pipelines`" in r.kpi(key).note
    assert r.kpi("freshness").value is not None and r.kpi("drift").value == 0
