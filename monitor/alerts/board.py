"""What the Alerts page shows: open alerts first, then the history, for the personas a visitor has.

Plain values and frames built from the alert documents; the page only renders them and calls
:meth:`monitor.alerts.state.AlertStore.acknowledge` / ``mute`` for the buttons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Iterable

import pandas as pd

from monitor.alerts.config import title
from monitor.alerts.state import AlertAction, AlertEvent, AlertState, AlertStore
from monitor.store.base import SnapshotStore

__all__ = ["OpenAlert", "Board", "board", "open_frame", "history_frame", "MUTE_CHOICES"]

MUTE_CHOICES = {"1 hour": 1, "4 hours": 4, "1 day": 24, "3 days": 72, "1 week": 168}
_SEVERITY = {"critical": 0, "warning": 1}


def _ts(value: str | None) -> pd.Timestamp:
    return pd.Timestamp(value) if value else pd.NaT


@dataclasses.dataclass(frozen=True)
class OpenAlert:
    """An open (firing) alert with what users did to it."""

    state: AlertState
    action: AlertAction | None
    now: dt.datetime

    @property
    def label(self) -> str:
        return f"{title(self.state.key)} of {self.state.model}"

    @property
    def acknowledged(self) -> str:
        a = self.action
        return f"by {a.acked_by} at {a.acked_at[:16].replace('T', ' ')} UTC" if a and a.acked_episode == \
            self.state.episode and a.acked_at else ""

    @property
    def muted_until(self) -> str | None:
        return self.action.muted_until if self.action is not None and self.action.muted(self.now) else None

    @property
    def path(self) -> str:
        """The app page that shows the cause, relative to the app (query: model, batch or run)."""
        query = {"model": self.state.model, **({"batch": self.state.batch_id} if self.state.batch_id else {}),
                 **({"run": self.state.run_id} if self.state.run_id else {})}
        return f"{self.state.page}?{urllib.parse.urlencode(query)}"


@dataclasses.dataclass(frozen=True)
class Board:
    open: tuple[OpenAlert, ...]
    history: tuple[AlertEvent, ...]
    personas: tuple[str, ...]

    @property
    def pending(self) -> int:
        """Messages waiting for a channel, among the history shown."""
        return sum(len(e.pending) for e in self.history)


def _routed(personas: Iterable[str], wanted: set[str] | None) -> bool:
    return wanted is None or bool(set(personas) & wanted)


def board(store: SnapshotStore, personas: Iterable[str] | None = None, models: Iterable[str] | None = None,
          now: dt.datetime | None = None, history_days: int = 90) -> Board:
    """Open alerts (critical first, newest first) and the history of the last ``history_days`` days, newest first,
    of the alerts routed to ``personas`` (all when None) for ``models`` (all when None)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    alerts = AlertStore(store)
    wanted = set(personas) if personas is not None else None
    chosen = set(models) if models is not None else None
    actions = alerts.actions()
    keep = [s for s in alerts.states() if s.firing and _routed(s.personas, wanted)
            and (chosen is None or s.model in chosen)]
    keep.sort(key=lambda s: (s.opened_at or ""), reverse=True)
    keep.sort(key=lambda s: _SEVERITY.get(s.severity, 2))
    history = [e for e in alerts.events(start=now - dt.timedelta(days=history_days)) if _routed(e.personas, wanted)
               and (chosen is None or e.model in chosen)]
    return Board(tuple(OpenAlert(s, actions.get((s.model, s.key)), now) for s in keep), tuple(reversed(history)),
                 tuple(sorted(wanted)) if wanted is not None else ())


def open_frame(items: Iterable[OpenAlert]) -> pd.DataFrame:
    rows = [{
        "severity": a.state.severity, "model": a.state.model, "alert": title(a.state.key),
        "batch": a.state.batch_id or "", "run": a.state.run_id or "", "why": a.state.message,
        "open since": _ts(a.state.opened_at), "acknowledged": a.acknowledged, "muted until": _ts(a.muted_until),
        "routed to": ", ".join(a.state.personas), "page": a.path,
    } for a in items]
    return pd.DataFrame(rows, columns=["severity", "model", "alert", "batch", "page", "why", "open since", "acknowledged",
                                       "muted until", "routed to", "run"])


def _deliveries(event: AlertEvent) -> str:
    if event.suppressed:
        return f"not sent: {event.suppressed}"
    if not event.deliveries:
        return event.note or "no channel"
    parts = []
    for name, d in event.deliveries.items():
        text = f"{name}: {d.status}"
        if d.status == "pending" and d.error:
            text += f" ({d.error})"
        parts.append(text)
    held = f" (held until {event.hold_until[:16].replace('T', ' ')} UTC: {event.hold_reason})" if event.hold_until and \
        event.pending else ""
    return "; ".join(parts) + held


def history_frame(events: Iterable[AlertEvent]) -> pd.DataFrame:
    rows = [{
        "at": _ts(e.at), "event": e.kind, "severity": e.severity, "model": e.model, "alert": title(e.key),
        "batch": e.batch_id or "", "run": e.run_id or "", "message": e.message, "delivery": _deliveries(e),
    } for e in events]
    return pd.DataFrame(rows, columns=["at", "event", "severity", "model", "alert", "batch", "run", "message", "delivery"])
