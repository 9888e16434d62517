"""Alert state, history and user actions: documents in the snapshot store, partition ``_alerts``.

Three kinds of document, all through the :class:`monitor.store.base.SnapshotStore` port (SQLite
and Cosmos DB alike):

- ``alert_state``: one per (model, rule key), the rule's current state and its open episode;
- ``alert_event``: the history, one per change of state (``fired``, ``resolved``, ``closed``), with
  the delivery status of each channel it goes to (``pending`` until the channel took it);
- ``alert_action``: what users did on the Alerts page (acknowledge, mute until a time).

:func:`transition` is the pure heart: from the stored state and the rule's new state it makes the
new state document and the events of the change, if any. Only the job writes states and events;
only the page writes actions, so neither overwrites the other's documents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.alerts.rules import RuleState
from monitor.store.base import SCHEMA_VERSION, SnapshotStore

__all__ = ["PARTITION", "Delivery", "AlertEvent", "AlertState", "AlertAction", "AlertStore", "transition", "close"]

PARTITION = "_alerts"
STATE, EVENT, ACTION = "alert_state", "alert_event", "alert_action"
_SAFE = re.compile(r"^[A-Za-z0-9_.\-:]+$")


def _part(text: str) -> str:
    """A piece of a document id: as is when it is plain, else a digest (ids may not hold / \\ ? #)."""
    return text if _SAFE.match(text) else "h" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat()


def _utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One event to one channel: ``pending`` until the channel accepted it, then ``sent``."""

    status: str = "pending"
    attempts: int = 0
    error: str | None = None
    answer: str | None = None
    sent_at: str | None = None


@dataclasses.dataclass(frozen=True)
class AlertEvent:
    """One entry of the history: an alert fired, resolved, or closed (its rule no longer evaluated)."""

    id: str
    kind: str
    model: str
    rule: str
    key: str
    episode: str
    at: str
    severity: str
    message: str
    link: str
    page: str
    batch_id: str | None = None
    run_id: str | None = None
    personas: tuple[str, ...] = ()
    deliveries: Mapping[str, Delivery] = dataclasses.field(default_factory=dict)
    hold_until: str | None = None
    hold_reason: str | None = None
    suppressed: str | None = None
    note: str | None = None

    @property
    def pending(self) -> list[str]:
        """Channels still to be given this event (none once it is suppressed)."""
        if self.suppressed:
            return []
        return [c for c, d in self.deliveries.items() if d.status == "pending"]

    def held(self, now: dt.datetime) -> bool:
        return self.hold_until is not None and _utc(self.hold_until) > now

    def to_doc(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        body["personas"] = list(self.personas)
        return {**body, "kind": EVENT, "event": self.kind, "subject": self.model, "model": PARTITION, "ts": self.at,
                "schema_version": SCHEMA_VERSION}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AlertEvent:
        names = {f.name for f in dataclasses.fields(cls)} - {"kind", "model", "personas", "deliveries"}
        return cls(kind=doc["event"], model=doc["subject"], personas=tuple(doc.get("personas") or ()),
                   deliveries={c: Delivery(**d) for c, d in (doc.get("deliveries") or {}).items()},
                   **{k: doc.get(k) for k in names})


@dataclasses.dataclass(frozen=True)
class AlertState:
    """The stored state of one rule of one model."""

    model: str
    rule: str
    key: str
    firing: bool
    severity: str
    message: str
    page: str
    changed_at: str
    batch_id: str | None = None
    run_id: str | None = None
    since: str | None = None
    personas: tuple[str, ...] = ()
    episode: str | None = None
    opened_at: str | None = None
    resolved_at: str | None = None
    notified_at: str | None = None
    link: str = ""

    @property
    def id(self) -> str:
        return f"state:{_part(self.model)}:{_part(self.key)}"

    def to_doc(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        body["personas"] = list(self.personas)
        return {**body, "id": self.id, "kind": STATE, "subject": self.model, "model": PARTITION, "ts": self.changed_at,
                "schema_version": SCHEMA_VERSION}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AlertState:
        names = {f.name for f in dataclasses.fields(cls)} - {"model", "personas"}
        return cls(model=doc["subject"], personas=tuple(doc.get("personas") or ()), **{k: doc.get(k) for k in names})


@dataclasses.dataclass(frozen=True)
class AlertAction:
    """What users did to one alert: acknowledged an episode, muted it until a time."""

    model: str
    key: str
    at: str
    acked_episode: str | None = None
    acked_by: str | None = None
    acked_at: str | None = None
    muted_until: str | None = None
    muted_by: str | None = None

    @property
    def id(self) -> str:
        return f"action:{_part(self.model)}:{_part(self.key)}"

    def muted(self, now: dt.datetime) -> bool:
        return self.muted_until is not None and _utc(self.muted_until) > now

    def to_doc(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "id": self.id, "kind": ACTION, "subject": self.model, "model": PARTITION,
                "ts": self.at, "schema_version": SCHEMA_VERSION}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AlertAction:
        names = {f.name for f in dataclasses.fields(cls)} - {"model"}
        return cls(model=doc["subject"], **{k: doc.get(k) for k in names})


def _event(kind: str, state: AlertState, episode: str, now: dt.datetime, channels: Iterable[str], **extra: Any) -> AlertEvent:
    return AlertEvent(id=f"event:{episode}:{kind}", kind=kind, model=state.model, rule=state.rule, key=state.key,
                      episode=episode, at=_iso(now), severity=state.severity, message=state.message, link=state.link,
                      page=state.page, batch_id=state.batch_id, run_id=state.run_id, personas=state.personas,
                      deliveries={c: Delivery() for c in channels}, **extra)


def _hold(action: AlertAction | None, previous: AlertState | None, cooldown_hours: float,
          now: dt.datetime) -> tuple[str | None, str | None]:
    """(hold until, why) for a new notification: muted by a user, or within the rule's cool-down."""
    if action is not None and action.muted(now):
        return action.muted_until, f"muted by {action.muted_by or 'a user'}"
    if previous is not None and previous.notified_at and cooldown_hours > 0:
        until = _utc(previous.notified_at) + dt.timedelta(hours=cooldown_hours)
        if until > now:
            return _iso(until), f"cool-down of {cooldown_hours:g} h after the previous notification"
    return None, None


def transition(previous: AlertState | None, current: RuleState, *, now: dt.datetime, app_url: str,
               channels: Sequence[str], cooldown_hours: float, action: AlertAction | None = None,
               fired: AlertEvent | None = None, unrouted: str = "not routed to any channel") -> tuple[AlertState, list[AlertEvent]]:
    """The new state of one rule and the events of its change (none while it stays as it was).

    ``channels`` are where a new alert goes; a resolution goes where its alert went. ``fired`` is the stored
    ``fired`` event of the open episode: if it was held (muted, cool-down) and never delivered, the alert and its
    resolution are both marked suppressed instead of sent, and that is recorded in the history.
    """
    was_firing = previous is not None and previous.firing
    base = AlertState(model=current.model, rule=current.rule, key=current.key, firing=current.firing,
                      severity=current.severity, message=current.message, page=current.page,
                      changed_at=previous.changed_at if previous and previous.firing == current.firing else _iso(now),
                      batch_id=current.batch_id, run_id=current.run_id, since=current.since, personas=current.personas,
                      episode=previous.episode if previous else None, opened_at=previous.opened_at if previous else None,
                      resolved_at=previous.resolved_at if previous else None,
                      notified_at=previous.notified_at if previous else None, link=current.link(app_url))
    if current.firing and not was_firing:
        episode = _part(f"{current.model}:{current.key}") + ":" + now.strftime("%Y%m%dT%H%M%S")
        hold_until, reason = _hold(action, previous, cooldown_hours, now)
        state = dataclasses.replace(base, episode=episode, opened_at=_iso(now), resolved_at=None,
                                    notified_at=base.notified_at if hold_until else _iso(now))
        note = None if channels else unrouted
        return state, [_event("fired", state, episode, now, channels, hold_until=hold_until, hold_reason=reason, note=note)]
    if was_firing and not current.firing:
        state = dataclasses.replace(base, resolved_at=_iso(now))
        episode = previous.episode or "unknown"
        if fired is not None and fired.held(now) and not any(d.status == "sent" for d in fired.deliveries.values()):
            why = f"cleared while held ({fired.hold_reason})"
            return state, [dataclasses.replace(fired, suppressed=why),
                           _event("resolved", state, episode, now, (), suppressed=why)]
        if fired is None:
            targets: list[str] = list(channels)
        else:
            targets = [] if fired.suppressed else list(fired.deliveries)
        muted = action is not None and action.muted(now)
        note = None if targets else "not sent: its alert went to no channel"
        return state, [_event("resolved", state, episode, now, targets, note=note,
                              hold_until=action.muted_until if muted else None,
                              hold_reason=f"muted by {action.muted_by or 'a user'}" if muted else None)]
    return base, []


def close(previous: AlertState, *, now: dt.datetime,
          why: str = "the rule was switched off or removed from monitor.toml") -> tuple[AlertState, list[AlertEvent]]:
    """A firing state whose rule is no longer evaluated (switched off, removed): closed, with nothing sent."""
    why = f"no longer evaluated: {why}"
    state = dataclasses.replace(previous, firing=False, message=f"{previous.message.rstrip('.')} ({why}).",
                                changed_at=_iso(now), resolved_at=_iso(now))
    return state, [_event("closed", state, previous.episode or "unknown", now, (), note=why)]


class AlertStore:
    """Alert documents in the snapshot store, partition ``_alerts``."""

    def __init__(self, store: SnapshotStore):
        self.store = store

    def states(self) -> list[AlertState]:
        return [AlertState.from_doc(d) for d in self.store.query(PARTITION, STATE)]

    def events(self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None) -> list[AlertEvent]:
        """The history, oldest first."""
        return [AlertEvent.from_doc(d) for d in self.store.query(PARTITION, EVENT, start, end)]

    def event(self, event_id: str) -> AlertEvent | None:
        doc = self.store.get(PARTITION, event_id)
        return AlertEvent.from_doc(doc) if doc else None

    def actions(self) -> dict[tuple[str, str], AlertAction]:
        return {(a.model, a.key): a for a in (AlertAction.from_doc(d) for d in self.store.query(PARTITION, ACTION))}

    def save(self, item: AlertState | AlertEvent | AlertAction) -> bool:
        """Store a state, an event or an action; ``False`` when the stored one is the same."""
        return self.store.upsert(item.to_doc())

    def acknowledge(self, model: str, key: str, episode: str, by: str, now: dt.datetime | None = None) -> AlertAction:
        now = now or dt.datetime.now(dt.timezone.utc)
        current = self.actions().get((model, key)) or AlertAction(model, key, _iso(now))
        action = dataclasses.replace(current, at=_iso(now), acked_episode=episode, acked_by=by, acked_at=_iso(now))
        self.save(action)
        return action

    def mute(self, model: str, key: str, until: dt.datetime | None, by: str, now: dt.datetime | None = None) -> AlertAction:
        """Hold every notification of one alert until ``until`` (``None`` lifts the mute)."""
        now = now or dt.datetime.now(dt.timezone.utc)
        current = self.actions().get((model, key)) or AlertAction(model, key, _iso(now))
        action = dataclasses.replace(current, at=_iso(now), muted_until=_iso(until) if until else None,
                                     muted_by=by if until else None)
        self.save(action)
        return action
