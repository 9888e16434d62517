"""One figure, one answer: the card, its note, the health part, the portfolio and the exports agree, a drifted
prediction distribution is never green, and a period without data is never "on track"."""

import datetime as dt

import pytest
from kpi_data import CLASSIFIER, NOW, REGRESSOR, snapshot, week, weeks

from monitor.alerts.config import ModelAlerts
from monitor.alerts.rules import evaluate
from monitor.figures import health_series, performance_status, prediction_shift
from monitor.kpis import STATUS_WORDS, Period, ProductionModel, business_kpis
from ui.kpi_tables import business_summary_html, kpi_frame, portfolio_frame

MAE = {0: 6.5, 1: 6.5, 2: 6.5, 3: 6.5, 4: 6.9, 5: 7.0, 6: 7.2, 7: 7.3}  # the latest batch alone is 12% worse
BASE = {"mae": 6.5, "mape": 0.1}


def _regressor(**kw):
    return [snapshot(n, model="demand", perf={"mae": m, "mape": 0.11, "n_labelled": 1000}, baseline=BASE, **kw)
            for n, m in MAE.items()]


def test_card_note_health_part_and_portfolio_show_one_performance_figure():
    report = business_kpis(REGRESSOR, _regressor(drifted=("a",)), weeks(4, 7), now=NOW)
    card, health = report.kpi("performance"), report.kpi("health")
    assert card.value == pytest.approx(7.1) and card.display == "7.10" and card.status == "warn"  # 9.2% worse
    assert health.figure.parts["accuracy"].reason == card.figure.sentence  # the very same figure
    assert "9% worse" in card.note and "9% worse than the baseline 6.50" in health.figure.parts["accuracy"].reason
    assert "the 4 batches of 2025-02-03 to 2025-02-24" in health.figure.parts["accuracy"].reason
    row = portfolio_frame([report]).iloc[0]
    assert row["Main metric"] == "MAE 7.10 (9% worse)"
    shown = " ".join([card.note, health.note, *(p.reason for p in health.figure.parts.values()), row["Why"],
                      row["Main metric"]])
    assert "12%" not in shown and "7.30" not in shown  # the latest batch's own figure is not slipped in
    csv = kpi_frame([report]).set_index("kpi")
    assert csv.loc["performance", "shown"] == card.display and csv.loc["performance", "note"] == card.note
    html = business_summary_html([report])
    assert "MAE 7.10 (9% worse)" in html and card.note.split(": ")[0] in html


def test_a_classifier_card_states_its_second_metric_on_the_same_batches_only():
    snaps = [snapshot(n, perf={"auc": 0.74 + 0.001 * n, "accuracy": 0.85 - 0.01 * n, "n_labelled": 100},
                      baseline={"auc": 0.715, "accuracy": 0.878}) for n in range(6)] + [snapshot(6), snapshot(7)]
    card = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("performance")
    assert card.display == "0.745" and card.batch_ids == ("churn-w04", "churn-w05")
    assert "Accuracy 80.5% on the same batches" in card.note and "80.0%" not in card.note  # not week 5's own 80.0%
    assert "0.746" not in card.note  # nor week 5's own AUC


def test_shift_is_not_green_when_the_prediction_distribution_drifted():
    calm = _regressor(mean=105.0, ref_mean=100.0)
    assert business_kpis(REGRESSOR, calm, weeks(4, 7), now=NOW).kpi("shift").status == "ok"  # +5%: green
    drifted = _regressor(mean=105.0, ref_mean=100.0, prediction_drifted=True)
    k = business_kpis(REGRESSOR, drifted, weeks(4, 7), now=NOW).kpi("shift")
    assert k.display == "+5.0%" and k.status == "warn"
    assert "Average predicted units 105.0, 5.0% above the training data (100.0)" in k.note
    assert ("The distribution of the predictions drifted in 4 of the 4 batches, including the latest: the batch of "
            "2025-02-24 (demand-w07)") in k.note
    assert k.details["prediction_drifted"] and k.figure.drift_batch == "demand-w07"
    big = prediction_shift(REGRESSOR, _regressor(mean=130.0, ref_mean=100.0, prediction_drifted=True))
    assert big.status == "alert"  # drift never lowers a red level


def test_an_empty_period_before_the_data_is_not_on_track():
    prod = ProductionModel("1", "2025-01-01T00:00:00+00:00", "train-run")
    snaps = [snapshot(n) for n in range(8)]
    before = Period.from_dates(dt.date(2024, 6, 1), dt.date(2024, 8, 31))
    r = business_kpis(CLASSIFIER, snaps, before, production=prod, now=NOW)
    assert r.status == "none" and STATUS_WORDS[r.status] == "no data in this period"
    assert all(k.status == "none" for k in r.kpis)
    assert r.message == ("No batches of churn in this period (2024-06-01 to 2024-08-31); the first is from 2025-01-06, "
                         "the latest from 2025-02-24.")
    age = r.kpi("training_age")
    assert age.value is None and age.display == "trained later"
    assert "trained on 2025-01-01, after this period" in age.note and "0 days" not in age.note
    row = portfolio_frame([r]).iloc[0]
    assert row["Status"] == "no data in this period" and "on track" not in row.to_string()
    assert row["Trained"] == "trained later"


def test_a_period_without_batches_is_never_green_even_with_a_recent_training():
    prod = ProductionModel("1", "2025-01-01T00:00:00+00:00")
    snaps = [snapshot(n) for n in range(4)]  # weeks 0-3, then nothing
    tuesday = week(5).date() + dt.timedelta(days=1)
    gap = Period.from_dates(tuesday, tuesday + dt.timedelta(days=1))  # two days, no batch expected in them
    r = business_kpis(CLASSIFIER, snaps, gap, production=prod, now=NOW)
    assert r.kpi("training_age").status == "ok" and r.status == "none"
    assert "No batches of churn in this period" in r.message and "the latest from 2025-01-27" in r.message
    assert r.kpi("health").value is None and "No batches in this period" in r.kpi("health").note
    stopped = business_kpis(CLASSIFIER, snaps, weeks(5, 7), production=prod, now=NOW)
    assert stopped.kpi("volume").value == 0 and stopped.kpi("volume").status == "alert"  # 3 batches expected
    assert stopped.status == "alert"


def test_alerts_judge_each_batch_with_the_figures_of_the_pages():
    snaps = _regressor(drifted=("a", "b"))
    states = {s.key: s for s in evaluate(REGRESSOR, ModelAlerts(), snaps, [], now=week(7, 1))}
    series = health_series(REGRESSOR, snaps, 1 / 24)
    assert f"({series[-1][1].score}/100)" in states["health"].message
    perf = states["performance"]
    assert perf.firing and "MAE of demand is 7.3 (realized) on batch demand-w07" in perf.message
    assert performance_status("mae", 7.3, 6.5) == "alert" and performance_status("mae", None, 6.5) == "none"
