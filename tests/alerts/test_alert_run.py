"""The job's alert step across runs, on a service stand-in (synthetic snapshots, a real SQLite store, a loopback
receiver): a mute holds messages until it ends, a model taken out of monitor.toml closes its alerts, and an alert
store that fails never fails the job."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib

import pytest

from monitor.alerts.deliver import run_alerts
from monitor.alerts.state import PARTITION, AlertStore
from monitor.config import Settings
from monitor.errors import BackendError
from monitor.job import run_job
from monitor.spec import parse_spec
from monitor.store.sqlite import SqliteSnapshotStore
from tests.alerts.peers import Receiver
from tests.alerts.records import run, snap, week

MODEL = """
[[models]]
name = "{name}"
registered_model = "churn-clf"
task = "classification"
numeric_features = ["x1", "x2"]
categorical_features = ["c"]
prediction = "prediction"
score = "score"
target = "y"
pipelines = ["pl_churn"]
"""
RULES = "[alerts.rules]\nhealth = false\nlabels_late = false\n"


class _Mlflow:
    def list_batches(self, name):
        return []


class Service:
    """What the job and the alert step use of :class:`monitor.service.MonitorService`, over synthetic records."""

    def __init__(self, store, settings, models=("churn",)):
        self.store, self.settings, self.mlflow = store, settings, _Mlflow()
        self.spec = parse_spec(tomllib.loads(RULES + "".join(MODEL.format(name=m) for m in models)))
        self.history = [snap(n) for n in range(1, 7)] + [snap(n, drifted=("x1", "c")) for n in range(7, 10)]

    def snapshots(self, model, start=None, end=None):
        return self.history if model == "churn" else []

    def snapshot_sources(self, model):
        return {s.batch_id: s.source for s in self.snapshots(model)}

    def pipeline_runs(self, start=None, end=None, pipelines=None):
        return [run(n) for n in range(1, 10)]


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def service(tmp_path, receiver):
    settings = Settings(alert_webhook_url=f"{receiver.url}/hook", alert_retries=0, app_url="https://monitor.example.com")
    return Service(SqliteSnapshotStore(tmp_path / "snapshots.db"), settings)


def test_a_muted_alert_is_sent_when_the_mute_ends_if_it_still_fires(service, receiver):
    alerts = AlertStore(service.store)
    alerts.mute("churn", "dataset_drift", week(9) + dt.timedelta(hours=4), "ada", now=week(9))
    first = run_alerts(service, ["churn"], [], now=week(9) + dt.timedelta(hours=1))
    assert [e.key for e in first.fired] == ["dataset_drift"]
    assert (first.sent, first.pending, first.held) == (0, 0, 1) and first.summary() == "alerts sent: 0, pending: 0, held: 1"
    assert receiver.requests == []
    still = run_alerts(service, ["churn"], [], now=week(9) + dt.timedelta(hours=3))
    assert (still.sent, still.held, still.fired) == (0, 1, [])
    after = run_alerts(service, ["churn"], [], now=week(9) + dt.timedelta(hours=5))
    assert (after.sent, after.held) == (1, 0) and after.fired == []
    (body,) = receiver.to("/hook")
    assert body["key"] == "dataset_drift" and body["link"].startswith("https://monitor.example.com/drift?model=churn&batch=")


def test_a_model_taken_out_of_monitor_toml_closes_its_alerts_without_a_message(service, receiver):
    run_alerts(service, ["churn"], [], now=week(9))
    assert len(receiver.requests) == 1
    renamed = Service(service.store, service.settings, models=("retention",))
    gone = run_alerts(renamed, ["retention"], [], now=week(9) + dt.timedelta(hours=1))
    assert gone.sent == 0 and len(receiver.requests) == 1
    closed = [e for e in AlertStore(service.store).events() if e.kind == "closed"]
    assert [(e.model, e.key) for e in closed] == [("churn", "dataset_drift")]
    assert closed[0].note == "no longer evaluated: its model is no longer in monitor.toml"
    assert not any(s.firing for s in AlertStore(service.store).states() if s.model == "churn")


class _FailingAlerts(SqliteSnapshotStore):
    def _query(self, model, kind, start, end):
        if model == PARTITION:
            raise BackendError(self.name, "disk I/O error")
        return super()._query(model, kind, start, end)


def test_an_alert_store_that_fails_never_fails_the_job(service, tmp_path):
    broken = Service(_FailingAlerts(tmp_path / "other.db"), service.settings)
    result = run_job(broken, now=week(9))
    assert result.ok and result.alerts is None
    assert result.alerts_error == ("alerts were not evaluated: SQLite snapshot store is unreachable or failed: disk I/O "
                                   "error")
    assert result.summary() == "snapshots written: 0, skipped: 0, failed: 0, alerts: not evaluated"
    quiet = Service(_FailingAlerts(tmp_path / "third.db"), dataclasses.replace(service.settings, alert_webhook_url=""))
    assert run_job(quiet, now=week(9)).summary() == "snapshots written: 0, skipped: 0, failed: 0"
