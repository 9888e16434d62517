"""The demo workspace with alert rules and every channel configured, replayed week by week through the job.

The job runs on a copy of the demo's snapshot store and a copy of monitor.toml with alert tables (the shared
workspace is only read), with `now` set to moments of the demo's timeline: the week-7 problems raise exactly
the expected alerts, a channel that answers 500 gets its messages on the next run, the week-8 ingestion failure
fires and its re-run sends one resolution, labels late today fire, and a second `run` sends nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.alerts.state import PARTITION, AlertStore
from monitor.job import run_job
from tests.alerts.peers import SMTP_PASSWORD, Receiver, channel_settings, smtp_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ALERTS = """
[alerts.routes]
business = ["teams"]
data_science = ["slack"]
data_engineering = ["email", "webhook"]

[alerts.rules]
feature_drift = { features = ["debt_ratio", "temperature"] }
labels_late = { days = 5 }
pipeline_not_rerun = { hours = 2 }
"""
LOAN_ALERTS = """
[models.alerts]
rules.performance = { metric = "auc", threshold = 0.5, max_drop = 0.5 }
"""
DEMAND_ALERTS = """
[models.alerts]
routes.data_science = ["slack", "webhook"]
rules.performance = false
"""


def _spec_with_alerts(path: Path) -> Path:
    text = (ROOT / "monitor.toml").read_text()
    first, second = text.split("\n[[models]]\n")[1:]  # loan_default, then store_demand
    out = path / "monitor.toml"
    out.write_text(ALERTS + "\n[[models]]\n" + first + LOAN_ALERTS + "\n[[models]]\n" + second + DEMAND_ALERTS)
    return out


def _copy_store(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM documents WHERE model = ?", (PARTITION,))  # alerts of the shared run start over
    return target


@dataclasses.dataclass
class Step:
    summary: str
    fired: set[tuple[str, str, str | None]]
    resolved: set[tuple[str, str]]


@pytest.fixture(scope="module")
def timeline(demo, tmp_path_factory):
    from monitor.bootstrap import build_service

    folder = tmp_path_factory.mktemp("alerts-demo")
    with Receiver() as receiver, smtp_server() as smtp:
        saved = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = str(smtp.cert)
        try:
            channels = channel_settings(receiver, smtp)
            settings = dataclasses.replace(demo.settings, spec=_spec_with_alerts(folder),
                                           sqlite_path=_copy_store(demo.store.path, folder / "snapshots.db"), **channels)
            service = build_service(settings)
            batch = {(m, w): next(s.batch_id for s in service.snapshots(m) if f"-w{w:02d}-" in s.batch_id)
                     for m in ("loan_default", "store_demand") for w in (6, 7, 8, 11)}
            runs = service.pipeline_runs(pipelines=["pl_store_sales_ingest"])
            failed = next(r for r in runs if r.status == "Failed")
            rerun = next(r for r in runs if r.status == "Succeeded" and r.run_start > failed.run_start)

            def at(iso: str, **delta) -> dt.datetime:
                return dt.datetime.fromisoformat(iso) + dt.timedelta(**delta)

            steps: dict[str, Step] = {}
            plan = [
                ("week 6", at(service.snapshot("store_demand", batch["store_demand", 6]).ts, hours=1), {}),
                ("week 7", at(service.snapshot("store_demand", batch["store_demand", 7]).ts, hours=1),
                 {"/slack": [(500, b"rollup_error"), (500, b"rollup_error")]}),
                ("week 8 failure", at(failed.run_end, minutes=10), {}),
                ("not re-run", at(failed.run_end, hours=2, minutes=15), {}),
                ("re-run", at(service.snapshot("store_demand", batch["store_demand", 8]).ts, minutes=30), {}),
                ("today", None, {}),
            ]
            assert at(failed.run_end, hours=2, minutes=15) < at(rerun.run_start) < at(rerun.run_end) < plan[4][1]
            for name, now, script in plan:
                receiver.script.update(script)
                result = run_job(service, now=now)
                assert result.ok and result.alerts_error is None, (name, result.failed, result.alerts_error)
                steps[name] = Step(result.summary(), {(e.model, e.key, e.batch_id or e.run_id) for e in result.alerts.fired},
                                   {(e.model, e.key) for e in result.alerts.resolved})
            env = {**os.environ, "MONITOR_SPEC": str(settings.spec), "MONITOR_SQLITE_PATH": str(settings.sqlite_path),
                   **{f"MONITOR_{k.upper()}": str(v) for k, v in channels.items()}}
            again = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env, capture_output=True,
                                   text=True, timeout=600)
            yield steps, again, receiver, smtp, batch, failed, AlertStore(service.store)
        finally:
            if saved is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = saved


def test_weeks_one_to_six_raise_nothing(timeline):
    steps = timeline[0]
    assert steps["week 6"].fired == set() and steps["week 6"].summary.endswith("alerts sent: 0, pending: 0")


def test_the_week_7_problems_raise_exactly_the_expected_alerts(timeline):
    steps, _, receiver, _, batch, _, _ = timeline
    expected = {(m, key, batch[m, 7]) for m, feature in (("loan_default", "debt_ratio"), ("store_demand", "temperature"))
                for key in ("health", "dataset_drift", f"feature_drift:{feature}")}
    assert steps["week 7"].fired == expected
    cards = [b["attachments"][0]["content"] for b in receiver.to("/teams")]  # business: health, to Teams
    assert sorted(c["actions"][0]["url"] for c in cards) == sorted(
        f"https://monitor.example.com/health?model={m}&batch={batch[m, 7]}" for m in ("loan_default", "store_demand"))
    for card in cards:
        model = card["body"][0]["text"].rsplit(" ", 1)[-1]
        assert card["body"][0]["text"] == f"Health of {model}"
        assert card["body"][1]["text"].startswith(f"Health of {model} is ")
        assert f"since batch {batch[model, 7]}" in card["body"][1]["text"]


def test_a_channel_that_answers_500_gets_the_alerts_on_the_next_run(timeline):
    steps, _, receiver, _, batch, failed, alerts = timeline
    # Week 7: Teams took 2 (health), the webhook 2 (store_demand's data-science alerts); Slack answered 500 twice.
    assert steps["week 7"].summary.endswith("alerts sent: 4, pending: 4")
    slack = receiver.to("/slack")
    assert len(slack) == 2 + 4  # one delivery tried twice in week 7, then the four pending ones at the next run
    assert steps["week 8 failure"].summary.endswith("alerts sent: 6, pending: 0")
    assert {b["blocks"][0]["text"]["text"] for b in slack[2:]} == {
        "Dataset drift of loan_default", "Feature drift (debt_ratio) of loan_default",
        "Dataset drift of store_demand", "Feature drift (temperature) of store_demand"}
    drift = next(e for e in alerts.events() if e.key == "dataset_drift" and e.model == "loan_default")
    assert drift.deliveries["slack"].status == "sent" and drift.deliveries["slack"].attempts == 3


def test_the_week_8_failure_fires_and_its_rerun_sends_one_resolution(timeline):
    steps, _, receiver, smtp, batch, failed, _ = timeline
    key, rerun = "pipeline_failed:pl_store_sales_ingest", "pipeline_not_rerun:pl_store_sales_ingest"
    assert steps["week 8 failure"].fired == {("store_demand", key, failed.run_id)}
    # Two hours on, the run is still not redone, and store_demand's week-8 batch is now overdue as well.
    assert steps["not re-run"].fired == {("store_demand", rerun, failed.run_id),
                                         ("store_demand", "stale", batch["store_demand", 7])}
    assert steps["not re-run"].summary.endswith("alerts sent: 4, pending: 0")
    # The re-run succeeds and the week-8 batch arrives three hours late: each problem sends one resolution.
    assert steps["re-run"].fired == set()
    assert steps["re-run"].resolved == {("store_demand", key), ("store_demand", rerun), ("store_demand", "stale")}
    assert steps["re-run"].summary.endswith("alerts sent: 6, pending: 0")
    hooks = [b for b in receiver.to("/hook") if b["key"] == key]
    assert [b["event"] for b in hooks] == ["fired", "resolved"]
    assert hooks[0]["link"] == f"https://monitor.example.com/pipelines?model=store_demand&run={failed.run_id}"
    assert "SqlOperationFailed" in hooks[0]["message"] and hooks[1]["message"].startswith("Over at ")
    subjects = [str(m[2]["Subject"]).strip() for m in smtp.messages]  # a long subject is folded after "Subject:"
    assert subjects.count("[MLOps Monitor] Resolved: Pipeline failed (pl_store_sales_ingest) of store_demand") == 1
    assert subjects.count("[MLOps Monitor] Pipeline failed (pl_store_sales_ingest) of store_demand") == 1
    assert all(m[1] == ["oncall@example.com", "lead@example.com"] for m in smtp.messages)


def test_labels_late_today_fire_and_a_second_run_sends_nothing(timeline):
    steps, again, receiver, smtp, batch, _, alerts = timeline
    assert steps["today"].fired == {("loan_default", "labels_late", batch["loan_default", 11])}
    assert steps["today"].summary.endswith("alerts sent: 2, pending: 0")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "snapshots written: 0, skipped: 24, failed: 0, alerts sent: 0, pending: 0"
    history = alerts.events()
    assert len(history) == 6 + 1 + 2 + 3 + 1  # every change of state once, nothing for the second run
    assert len(receiver.requests) == 2 + 6 + 2 + (1 + 2 + 3 + 1)  # teams, slack, webhook: data science, data engineering
    assert len(smtp.messages) == 1 + 2 + 3 + 1
    assert SMTP_PASSWORD not in again.stdout + again.stderr

