"""Rule evaluation is a pure function of snapshots, pipeline runs and job failures (synthetic records, known answers)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from monitor.alerts.config import ModelAlerts, parse_alerts
from monitor.alerts.rules import evaluate, evaluate_broken
from monitor.job import JobFailure
from tests.alerts.records import REGRESSOR, SPEC, run, snap, week


def states(snaps, runs=(), *, now, config: ModelAlerts | None = None, failures=None, spec=SPEC) -> dict:
    return {s.key: s for s in evaluate(spec, config or ModelAlerts(), snaps, list(runs), now=now, failures=failures)}


def rules(**tables) -> ModelAlerts:
    problems: list[str] = []
    config = parse_alerts({"rules": tables}, problems)
    assert not problems, problems
    return config


CLEAN = [snap(n) for n in range(1, 7)]
DRIFTING = CLEAN + [snap(n, drifted=("x1", "c")) for n in range(7, 10)]


def test_a_clean_history_fires_nothing_and_every_rule_has_a_state():
    got = states(CLEAN, [run(n) for n in range(1, 7)], now=week(6) + dt.timedelta(hours=2), failures=[])
    assert set(got) == {"health", "dataset_drift", "performance", "stale", "labels_late", "pipeline_failed:pl_churn",
                        "pipeline_not_rerun:pl_churn", "job_failed"}
    assert not [k for k, s in got.items() if s.firing]
    assert all(s.message.endswith(".") and "\n" not in s.message for s in got.values())


def test_drift_from_week_7_fires_with_the_first_drifted_batch():
    config = rules(feature_drift={"features": ["x1", "x2"]})
    got = states(DRIFTING, now=week(9) + dt.timedelta(hours=1), config=config)
    firing = {k: s.batch_id for k, s in got.items() if s.firing}
    assert firing == {"health": "churn-w07", "dataset_drift": "churn-w07", "feature_drift:x1": "churn-w07"}
    assert got["dataset_drift"].since == week(7).isoformat()
    assert "2 of 3 features drifted" in got["dataset_drift"].message and "x1, c" in got["dataset_drift"].message
    assert got["feature_drift:x1"].message.startswith("Feature x1 of churn drifts since batch churn-w07 (ks 0.4")
    assert got["dataset_drift"].personas == ("data_science",) and got["health"].personas == ("business",)
    assert got["health"].page == "health" and got["dataset_drift"].page == "drift"


def test_a_moment_of_the_past_sees_only_what_existed_then():
    got = states(DRIFTING, now=week(6) + dt.timedelta(hours=1))
    assert not [k for k, s in got.items() if s.firing]
    assert got["stale"].batch_id == "churn-w06"


def test_health_level_red_ignores_amber():
    amber = CLEAN + [snap(7, drifted=("x1",))]  # input data scores 0: health 70, amber
    assert states(amber, now=week(7))["health"].firing
    red_only = states(amber, now=week(7), config=rules(health={"level": "red"}))["health"]
    assert not red_only.firing and "amber (70/100)" in red_only.message


def test_performance_against_threshold_and_baseline_realized_else_estimated():
    history = CLEAN + [snap(7, auc=0.70), snap(8, auc=None, estimated=0.68), snap(9, auc=None)]
    got = states(history, now=week(9), config=rules(performance={"max_drop": 0.05}))["performance"]
    assert got.firing and got.batch_id == "churn-w07"  # w09 is not measured: skipped, not a break
    assert got.message.startswith("AUC of churn is 0.68 (estimated) on batch churn-w08, 15% worse than the baseline 0.8")
    no_estimates = states(history, now=week(9), config=rules(performance={"estimated": False, "max_drop": 0.2}))
    assert not no_estimates["performance"].firing and "0.7 (realized) on batch churn-w07" in no_estimates["performance"].message
    threshold = states(history, now=week(9), config=rules(performance={"threshold": 0.75, "max_drop": 0.5}))["performance"]
    assert threshold.firing and "below the threshold 0.75" in threshold.message


def test_performance_of_a_regressor_is_worse_above_its_threshold():
    history = [snap(n, auc=None, mae=10.0) for n in range(1, 4)] + [snap(4, auc=None, mae=12.5)]
    got = states(history, now=week(4), spec=REGRESSOR, config=rules(performance={"threshold": 12}))["performance"]
    assert got.firing and got.batch_id == "churn-w04"
    assert "MAE of demand is 12.5 (realized)" in got.message and "above the threshold 12" in got.message
    assert "25% worse than the baseline 10" in got.message


def test_a_failed_run_fires_then_clears_when_a_later_run_succeeds():
    failed = run(8, "Failed", minutes=31)
    rerun = run(8, start=week(8) + dt.timedelta(hours=2))
    runs = [run(n) for n in range(1, 8)] + [failed, rerun]
    config = rules(pipeline_not_rerun={"hours": 2})
    during = states(CLEAN, runs, now=week(8) - dt.timedelta(minutes=20), config=config)
    assert during["pipeline_failed:pl_churn"].firing and during["pipeline_failed:pl_churn"].run_id == failed.run_id
    assert "failed at 2026-04-20 05:31 UTC: timeout reading the sales table" in during["pipeline_failed:pl_churn"].message
    assert during["pipeline_failed:pl_churn"].severity == "critical"
    assert not during["pipeline_not_rerun:pl_churn"].firing
    late = states(CLEAN, runs, now=week(8) + dt.timedelta(hours=1, minutes=40), config=config)
    assert late["pipeline_not_rerun:pl_churn"].firing  # failed at 05:31, nothing good by 07:40
    assert late["pipeline_not_rerun:pl_churn"].since == (week(8) - dt.timedelta(minutes=29) + dt.timedelta(hours=2)).isoformat()
    after = states(CLEAN, runs, now=week(8) + dt.timedelta(hours=3), config=config)
    assert not after["pipeline_failed:pl_churn"].firing and not after["pipeline_not_rerun:pl_churn"].firing


def test_the_newest_batch_is_stale_after_its_schedule_and_grace():
    on_time = states(CLEAN, now=week(7) + dt.timedelta(minutes=59))
    assert not on_time["stale"].firing
    late = states(CLEAN, now=week(7) + dt.timedelta(hours=3))["stale"]
    assert late.firing and late.batch_id == "churn-w06"
    assert "is 7.1 days old; one is expected every 7 days (+1 h grace)" in late.message


def test_labels_are_late_beyond_n_days_and_the_oldest_waiting_batch_is_named():
    history = CLEAN[:4] + [snap(5, auc=None), snap(6, auc=None)]
    got = states(history, now=week(6) + dt.timedelta(days=1), config=rules(labels_late={"days": 5}))["labels_late"]
    assert got.firing and got.batch_id == "churn-w05"
    assert "1 batch(es) are late" in got.message  # w06 has waited one day only
    assert not states(history, now=week(6), config=rules(labels_late={"days": 10}))["labels_late"].firing
    assert "labels_late" not in states(history, now=week(6), spec=dataclasses.replace(SPEC, target=None))


def test_job_failures_fire_and_a_broken_model_still_gets_its_alert():
    failure = JobFailure("churn", "churn-w03", "reference data lacks feature column(s) x2")
    got = states(CLEAN, now=week(6), failures=[failure, failure])["job_failed"]
    assert got.firing and got.batch_id == "churn-w03" and got.severity == "critical"
    assert got.message == ("The monitoring job failed for churn on batch churn-w03: reference data lacks feature column(s) "
                           "x2 (1 more failure(s)).")
    assert "job_failed" not in states(CLEAN, now=week(6))  # the job did not run for it: not judged
    broken = evaluate_broken("legacy", ModelAlerts(), [JobFailure("legacy", None, "its table is broken")], now=week(6))
    assert [(s.key, s.firing, s.page) for s in broken] == [("job_failed", True, "models")]


def test_rules_switched_off_are_not_evaluated():
    config = rules(health=False, stale=False, pipeline_failed=False, pipeline_not_rerun=False, labels_late=False,
                   performance=False)
    assert set(states(DRIFTING, [run(1)], now=week(9), config=config)) == {"dataset_drift"}
    assert evaluate_broken("x", config, [], now=week(1)) != []
    assert evaluate_broken("x", rules(job_failed=False), [], now=week(1)) == []


@pytest.mark.parametrize(("batch", "run_id", "query"), [
    ("b w/7 #1", None, "model=churn&batch=b+w%2F7+%231"),
    (None, "run-9", "model=churn&run=run-9"),
])
def test_the_link_names_the_page_model_and_batch(batch, run_id, query):
    state = dataclasses.replace(states(DRIFTING, now=week(9))["dataset_drift"], batch_id=batch, run_id=run_id)
    assert state.link("https://monitor.example.com/") == f"https://monitor.example.com/drift?{query}"
