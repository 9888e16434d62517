"""Business KPIs on hand-built snapshots with known answers."""

import datetime as dt

import pytest
from kpi_data import CLASSIFIER, NOW, REGRESSOR, finding, snapshot, week, weeks

from monitor.figures import health_score, period_performance
from monitor.kpis import Period, ProductionModel, business_kpis

PERF = {"auc": 0.88, "accuracy": 0.80, "n_labelled": 100}
BASE = {"auc": 0.90, "accuracy": 0.85}


def test_period_from_dates_and_previous_period_of_same_length():
    p = Period.from_dates(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert p.days == 31
    assert p.previous.start == dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc) and p.previous.end == p.start
    assert "2025-01-31T23:00:00+00:00" in p and "2025-02-01T00:00:00+00:00" not in p


def test_health_score_weights_each_part_and_names_the_worst():
    s = snapshot(3, drifted=("a",), findings=(finding("a", "critical"), finding("b", "warning")),
                 perf={"auc": 0.81, "accuracy": 0.8, "n_labelled": 100}, baseline=BASE)
    h = health_score(CLASSIFIER, s, period_performance(CLASSIFIER, [s]), age_days=3)
    assert h.parts["input data"].score == 50 and h.parts["data quality"].score == 70
    assert h.parts["accuracy"].score == pytest.approx(0, abs=1e-6) and h.parts["freshness"].score == 100
    assert h.score == 49 and h.worst == "accuracy" and h.status == "alert"  # 0.3*50 + 0.2*70 + 0.3*0 + 0.2*100
    assert h.parts["accuracy"].batch_ids == ("churn-w03",) and "the batch of 2025-01-27" in h.parts["accuracy"].reason
    unlabelled = health_score(CLASSIFIER, s, None, age_days=3)
    assert unlabelled.score == 70 and "accuracy" not in unlabelled.parts and unlabelled.worst == "input data"
    assert health_score(CLASSIFIER, s, None, age_days=10.5).parts["freshness"].score == 50


def test_health_kpi_drops_with_drift_and_names_the_worst_contributor():
    snaps = [snapshot(n, drifted=("a", "b") if n >= 6 else ()) for n in range(8)]
    k = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("health")
    assert k.value == 57 and k.status == "alert"  # (0.3*0 + 0.2*100 + 0.2*100) / 0.7
    assert "input data" in k.note and "2 of 4 inputs" in k.note
    assert k.previous == 100 and k.delta == -43 and k.delta_display == "-43"
    assert [v for _, v in k.trend] == [100, 100, 57, 57] and k.batch_ids == ("churn-w07",)


def test_performance_on_labelled_batches_says_labels_are_late():
    snaps = [snapshot(n, perf={**PERF, "auc": {4: 0.88, 5: 0.84}.get(n, 0.9), "n_labelled": 300 if n == 5 else 100}
                      if n <= 5 else None, baseline=BASE) for n in range(8)]
    k = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("performance")
    assert k.label == "Accuracy (AUC)" and k.value == pytest.approx(0.85)  # (0.88*100 + 0.84*300) / 400
    assert k.display == "0.850" and k.status == "warn"  # 5.6% below 0.90
    assert k.batch_ids == ("churn-w04", "churn-w05")
    assert "Labels are late for 2 batch(es) since 2025-02-17" in k.note
    assert "Realized on the 2 batches of 2025-02-03 to 2025-02-10" in k.note and "0.840" not in k.note
    assert k.details["labels_late"] == ("churn-w06", "churn-w07")
    assert k.previous == pytest.approx(0.9) and k.delta_color == "normal"


def test_performance_shows_the_last_known_value_when_no_label_arrived_in_the_period():
    snaps = [snapshot(n, perf={**PERF, "auc": 0.84} if n <= 5 else None, baseline=BASE) for n in range(8)]
    k = business_kpis(CLASSIFIER, snaps, weeks(6, 7), now=NOW).kpi("performance")
    assert k.value == pytest.approx(0.84) and k.batch_ids == ("churn-w05",)
    assert "last known value, from the batch of 2025-02-10 (churn-w05)" in k.note and k.figure.kind == "last known"
    assert k.previous is None  # a value carried from before the period has no change to show


def test_performance_without_any_labels_is_an_empty_state():
    k = business_kpis(CLASSIFIER, [snapshot(n) for n in range(8)], weeks(4, 7), now=NOW).kpi("performance")
    assert k.value is None and k.display == "awaiting labels" and k.status == "none"
    assert "No labels have arrived" in k.note


def test_regressor_performance_is_mae_with_mape_named():
    snaps = [snapshot(n, model="demand", perf={"mae": 5.5, "mape": 0.11, "rmse": 7.0, "n_labelled": 1000},
                      baseline={"mae": 5.0, "mape": 0.1}) for n in range(8)]
    k = business_kpis(REGRESSOR, snaps, weeks(4, 7), now=NOW).kpi("performance")
    assert k.label == "Average error (MAE)" and k.display == "5.50" and k.status == "warn"
    assert "10% worse" in k.note and "11.0%" in k.note and k.higher_is_better is False
    assert k.delta == 0 and k.delta_color == "off" and k.delta_arrow == "off"  # no change: grey, no arrow


def test_volume_against_the_usual_volume():
    full = [snapshot(n) for n in range(8)]
    k = business_kpis(CLASSIFIER, full, weeks(4, 7), now=NOW).kpi("volume")
    assert k.value == 4000 and k.details["usual"] == 4000 and k.status == "ok" and k.delta == 0
    short = business_kpis(CLASSIFIER, full[:6], weeks(4, 7), now=NOW).kpi("volume")
    assert short.value == 2000 and short.details["ratio"] == 0.5 and short.status == "warn"
    onboarded = business_kpis(CLASSIFIER, full[2:], weeks(0, 7), now=NOW).kpi("volume")
    assert onboarded.details["usual"] == 6000 and onboarded.status == "ok"  # no batches expected before the first


def test_prediction_shift_in_business_terms():
    snaps = [snapshot(n, rate={4: 0.12, 5: 0.12, 6: 0.15, 7: 0.15}.get(n, 0.10)) for n in range(8)]
    k = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("shift")
    assert k.value == pytest.approx(3.5) and k.display == "+3.5 pts" and k.status == "alert"
    assert k.note.startswith("The model predicted 'churned' for 13.5% of cases, against 10.0% in the training data: "
                             "35% more often.") and k.delta_display == "+3.5 pts"
    assert k.delta_color == "inverse"  # red: further from the training data than the period before (0 pts)
    regression = [snapshot(n, model="demand", mean=105.0) for n in range(8)]
    r = business_kpis(REGRESSOR, regression, weeks(4, 7), now=NOW).kpi("shift")
    assert r.display == "+5.0%" and r.status == "ok" and r.delta_color == "off"  # within its green band: grey
    assert r.note.startswith("Average predicted units 105.0, 5.0% above the training data (100.0).")


def test_days_since_training_with_the_production_version():
    prod = ProductionModel("2", "2025-01-01T00:00:00+00:00", "train-run")
    snaps = [snapshot(n, version="1" if n < 6 else "2") for n in range(8)]
    k = business_kpis(CLASSIFIER, snaps, weeks(4, 7), production=prod, now=NOW).kpi("training_age")
    assert k.value == 61 and k.display == "61 days" and k.previous == 33 and k.status == "ok"
    assert "Version 2 in production, trained on 2025-01-01" in k.note and "version(s) 1" in k.note
    assert k.run_ids == ("train-run",) and k.batch_ids == ("churn-w06", "churn-w07")
    missing = business_kpis(CLASSIFIER, snaps, weeks(4, 7), now=NOW).kpi("training_age")
    assert missing.value is None and missing.status == "none"


def test_a_new_model_without_batches_has_five_empty_kpis():
    prod = ProductionModel("1", week(-1).isoformat())
    r = business_kpis(CLASSIFIER, [], weeks(4, 7), production=prod, now=NOW)
    assert r.message == "No batches of churn have been monitored yet." and len(r.kpis) == 5 and r.status == "none"
    assert [k.value for k in r.kpis][:4] == [None] * 4 and r.kpi("training_age").value is not None
