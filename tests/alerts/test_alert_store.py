"""Alert state, history and actions are store documents: one contract for SQLite and Cosmos DB (cosmosdb-server)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from monitor.alerts.rules import RuleState
from monitor.alerts.state import PARTITION, AlertEvent, AlertStore, Delivery, transition
from monitor.store.sqlite import SqliteSnapshotStore

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
NOW = dt.datetime(2026, 5, 4, 9, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("cosmos", marks=pytest.mark.azure)])
def alerts(request, tmp_path) -> AlertStore:
    if request.param == "sqlite":
        return AlertStore(SqliteSnapshotStore(tmp_path / "snapshots.db"))
    return AlertStore(request.getfixturevalue("cosmos_store_factory")())


def firing(key: str = "dataset_drift", model: str = "churn") -> RuleState:
    return RuleState(model, key.split(":")[0], key, True, f"{key} of {model} fires.", page="drift", batch_id="w07",
                     personas=("data_science",))


def test_state_and_history_round_trip_and_unchanged_writes_nothing(alerts):
    state, events = transition(None, firing(), now=NOW, app_url="http://app", channels=["teams"], cooldown_hours=6)
    assert alerts.save(events[0]) and alerts.save(state)
    assert alerts.states() == [state]
    assert alerts.events() == events
    assert alerts.event(events[0].id) == events[0]
    assert not alerts.save(state) and not alerts.save(events[0])  # the same content: nothing written
    assert alerts.store.kinds(PARTITION) == ["alert_event", "alert_state"]
    assert alerts.store.query("churn") == []  # the model's own partition is untouched


def test_delivery_status_is_updated_in_place(alerts):
    _, (event,) = transition(None, firing(), now=NOW, app_url="http://app", channels=["teams", "email"], cooldown_hours=6)
    alerts.save(event)
    done = dataclasses.replace(event, deliveries={"teams": Delivery("sent", 1, None, "HTTP 202", NOW.isoformat()),
                                                  "email": Delivery("pending", 2, "HTTP 500", "HTTP 500")})
    assert alerts.save(done)
    (stored,) = alerts.events()
    assert stored.pending == ["email"] and stored.deliveries["teams"].answer == "HTTP 202"


def test_history_is_oldest_first_and_ranges_by_time(alerts):
    made: list[AlertEvent] = []
    for i, key in enumerate(["health", "feature_drift:debt/ratio?#", "stale"]):  # any feature name makes a valid id
        _, (event,) = transition(None, firing(key), now=NOW + dt.timedelta(hours=i), app_url="http://app", channels=[],
                                 cooldown_hours=6)
        alerts.save(event)
        made.append(event)
    assert [e.key for e in alerts.events()] == ["health", "feature_drift:debt/ratio?#", "stale"]
    assert [e.key for e in alerts.events(start=NOW + dt.timedelta(hours=1))] == ["feature_drift:debt/ratio?#", "stale"]
    assert [e.key for e in alerts.events(end=NOW + dt.timedelta(hours=1))] == ["health"]
    assert {e.id for e in alerts.events()} == {e.id for e in made}


def test_acknowledge_and_mute_are_kept_per_alert(alerts):
    alerts.acknowledge("churn", "health", "ep-1", "ada", now=NOW)
    alerts.mute("churn", "health", NOW + dt.timedelta(hours=4), "ada", now=NOW)
    alerts.mute("fraud", "stale", NOW + dt.timedelta(hours=1), "bob", now=NOW)
    got = alerts.actions()
    assert got[("churn", "health")].acked_episode == "ep-1" and got[("churn", "health")].muted(NOW)
    assert not got[("churn", "health")].muted(NOW + dt.timedelta(hours=5))
    alerts.mute("churn", "health", None, "ada", now=NOW + dt.timedelta(minutes=5))
    lifted = alerts.actions()[("churn", "health")]
    assert lifted.muted_until is None and lifted.acked_by == "ada"  # lifting a mute keeps the acknowledgement
    assert alerts.actions()[("fraud", "stale")].muted_by == "bob"
