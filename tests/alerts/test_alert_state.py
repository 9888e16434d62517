"""Once per change of state: the pure transition from a stored state and a rule's new state to the events to send."""

from __future__ import annotations

import dataclasses
import datetime as dt

from monitor.alerts.rules import RuleState
from monitor.alerts.state import AlertAction, Delivery, close, transition

NOW = dt.datetime(2026, 5, 4, 9, tzinfo=dt.timezone.utc)
URL = "https://monitor.example.com"
FIRING = RuleState("churn", "dataset_drift", "dataset_drift", True, "Dataset drift in churn since batch w07.", page="drift",
                   batch_id="w07", since="2026-04-20T06:00:00+00:00", personas=("data_science",))
OK = dataclasses.replace(FIRING, firing=False, message="No dataset drift in churn on batch w09.", batch_id="w09", since=None)


def step(previous, current, at, *, channels=("teams", "email"), cooldown=6.0, action=None, fired=None):
    return transition(previous, current, now=at, app_url=URL, channels=channels, cooldown_hours=cooldown, action=action,
                      fired=fired)


def hours(n: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=n)


def test_fires_once_when_the_state_changes_and_never_while_it_stays():
    state, events = step(None, FIRING, NOW)
    assert [e.kind for e in events] == ["fired"]
    fired = events[0]
    assert fired.model == "churn" and fired.batch_id == "w07" and fired.message == FIRING.message
    assert fired.link == f"{URL}/drift?model=churn&batch=w07"
    assert fired.pending == ["teams", "email"] and fired.hold_until is None
    assert state.firing and state.episode == fired.episode and state.opened_at == NOW.isoformat()
    again, more = step(state, FIRING, hours(1))
    assert more == [] and again.episode == state.episode and again.changed_at == state.changed_at


def test_a_state_that_is_ok_from_the_start_sends_nothing():
    state, events = step(None, OK, NOW)
    assert events == [] and not state.firing and state.episode is None


def test_clearing_sends_one_resolution_to_where_the_alert_went():
    state, (fired,) = step(None, FIRING, NOW)
    sent = dataclasses.replace(fired, deliveries={"teams": Delivery("sent", 1)})  # only teams was routed then
    cleared, events = step(state, OK, hours(2), channels=("slack",), fired=sent)
    assert [e.kind for e in events] == ["resolved"]
    assert events[0].pending == ["teams"] and events[0].episode == fired.episode
    assert events[0].message == OK.message and not cleared.firing and cleared.resolved_at == hours(2).isoformat()
    still, nothing = step(cleared, OK, hours(3))
    assert nothing == [] and still.resolved_at == cleared.resolved_at


def test_a_refire_within_the_cool_down_is_held_and_sent_only_if_it_lasts():
    state, (first,) = step(None, FIRING, NOW)
    state, _ = step(state, OK, hours(1), fired=first)
    state, (refired,) = step(state, FIRING, hours(2), cooldown=6)
    assert refired.hold_until == hours(6).isoformat() and "cool-down of 6 h" in refired.hold_reason
    assert refired.held(hours(5)) and not refired.held(hours(6))
    assert state.notified_at == NOW.isoformat()  # the held alert is not a notification
    # It clears while held: both are recorded as suppressed, nothing is sent.
    state, events = step(state, OK, hours(3), fired=refired)
    assert [(e.kind, e.suppressed) for e in events] == [("fired", "cleared while held (cool-down of 6 h after the "
                                                                  "previous notification)"),
                                                         ("resolved", "cleared while held (cool-down of 6 h after the "
                                                                      "previous notification)")]
    assert all(e.pending == [] for e in events)
    _, (later,) = step(state, FIRING, hours(7), cooldown=6)
    assert later.hold_until is None  # past the cool-down: sent at once


def test_a_muted_alert_waits_for_the_end_of_the_mute():
    action = AlertAction("churn", "dataset_drift", NOW.isoformat(), muted_until=hours(4).isoformat(), muted_by="ada")
    state, (fired,) = step(None, FIRING, NOW, action=action)
    assert fired.hold_until == hours(4).isoformat() and fired.hold_reason == "muted by ada"
    assert fired.pending == ["teams", "email"]  # still owed once the mute ends
    expired = dataclasses.replace(action, muted_until=(NOW - dt.timedelta(minutes=1)).isoformat())
    _, (unmuted,) = step(None, FIRING, NOW, action=expired)
    assert unmuted.hold_until is None


def test_a_rule_routed_nowhere_is_recorded_with_the_reason():
    _, (fired,) = transition(None, FIRING, now=NOW, app_url=URL, channels=(), cooldown_hours=6,
                             unrouted="no alert channel is configured")
    assert fired.deliveries == {} and fired.note == "no alert channel is configured" and fired.pending == []


def test_a_rule_no_longer_evaluated_is_closed_without_a_message():
    state, _ = step(None, FIRING, NOW)
    closed, (event,) = close(state, now=hours(1))
    assert not closed.firing and event.kind == "closed" and event.deliveries == {}
    assert "switched off or removed from monitor.toml" in event.note
