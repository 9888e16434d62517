"""The values the KPI functions return: a period, one KPI, the KPIs of one model, the production version."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from monitor.figures import worst
from monitor.snapshots.types import Snapshot
from monitor.timeutil import day, parse_utc

__all__ = ["Period", "Kpi", "ModelKpis", "ProductionModel", "STATUS_WORDS", "LIGHTS", "STATUS_COLORS", "STATUS_TINTS",
           "unavailable", "span_message", "make_kpi"]

STATUS_WORDS = {"ok": "on track", "warn": "keep an eye on it", "alert": "needs attention", "none": "no data in this period"}
LIGHTS = {"ok": "🟢", "warn": "🟠", "alert": "🔴", "none": "⚪"}
STATUS_COLORS = {"ok": "#2e7d32", "warn": "#e65100", "alert": "#c62828", "none": "#78909c"}
"""The colour of each status (text and borders), the same on the cards, the portfolio and the HTML summary."""
STATUS_TINTS = {"ok": "#edf7ee", "warn": "#fff4e5", "alert": "#fdecea", "none": "#f3f5f6"}
"""A light background of each status colour, for cards and table cells."""
EXPECTED_CHANGES = {"training_age"}
"""KPIs whose change is expected (days since training grow with time): their change is never coloured."""
JITTER = {"freshness", "duration"}
"""KPIs whose change is ordinary jitter while they are green (the age of the latest batch depends on the day the
period ends; durations vary from run to run): their change is coloured only when they are amber or red."""
USUAL_LEVEL = {"shift": 0.0, "volume": "usual"}
"""The usual level of the KPIs that are neither better higher nor lower (a number, or the key of ``details``)."""


@dataclasses.dataclass(frozen=True)
class Period:
    """A time range ``[start, end)`` in UTC; :attr:`previous` is the range of the same length before it."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def from_dates(cls, start: dt.date, end: dt.date) -> Period:
        """The days ``start`` to ``end``, both included (what the period picker returns)."""
        return cls(parse_utc(start), parse_utc(end) + dt.timedelta(days=1))

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)

    def __contains__(self, ts: object) -> bool:
        return self.start <= parse_utc(ts) < self.end  # type: ignore[arg-type]

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    @property
    def last_day(self) -> str:
        return day(self.end - dt.timedelta(days=1))

    @property
    def words(self) -> str:
        return f"{day(self.start)} to {self.last_day}"

    def select(self, snapshots: Sequence[Snapshot]) -> list[Snapshot]:
        """The snapshots of the period, oldest first."""
        return sorted((s for s in snapshots if self.start <= s.time < self.end), key=lambda s: s.ts)

    def upto(self, snapshots: Sequence[Snapshot], end: dt.datetime | None = None) -> list[Snapshot]:
        """The snapshots before the end of the period (or ``end``), oldest first."""
        end = self.end if end is None else end
        return sorted((s for s in snapshots if s.time < end), key=lambda s: s.ts)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclasses.dataclass(frozen=True)
class Kpi:
    """One KPI of one model over a period, with its change from the previous period and its sources.

    ``figure`` is the typed result the value, status and note were read from (for the business KPIs a
    :mod:`monitor.figures` result), so a page or an export showing more of it shows the same figure.
    """

    key: str
    label: str
    value: float | None
    display: str
    status: str = "none"
    note: str = ""
    help: str = ""
    previous: float | None = None
    delta: float | None = None
    delta_display: str | None = None
    higher_is_better: bool | None = None
    trend: tuple[tuple[str, float], ...] = ()
    batch_ids: tuple[str, ...] = ()
    run_ids: tuple[str, ...] = ()
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    figure: Any = None

    @property
    def unchanged(self) -> bool:
        """No change to show: no previous period, or a change that rounds to zero as displayed (``+0``, ``+0.0 pts``)."""
        return self.delta is None or not re.search(r"[1-9]", self.delta_display or "")

    @property
    def delta_color(self) -> str:
        """The colour of the change under the value: ``normal`` (up is green), ``inverse`` (up is red) or ``off`` (grey).

        Grey for no change and for expected changes: days since training grow with time, the freshness and
        duration of green figures jitter, and a figure with a usual level (prediction volume, prediction shift)
        is grey while it is within its green band; outside it, a change away from the usual level is red and a
        change back towards it green. Otherwise green when the figure improved, red when it got worse.
        """
        if self.unchanged or self.key in EXPECTED_CHANGES or (self.key in JITTER and self.status == "ok"):
            return "off"
        if self.higher_is_better is None:
            centre = USUAL_LEVEL.get(self.key)
            if centre is None or self.status not in ("warn", "alert") or self.previous is None or self.value is None:
                return "off"
            centre = self.details.get(centre) if isinstance(centre, str) else centre
            if centre is None:
                return "off"
            away = abs(self.value - centre) > abs(self.previous - centre)
            return ("inverse" if self.delta > 0 else "normal") if away else ("normal" if self.delta > 0 else "inverse")
        return "normal" if self.higher_is_better else "inverse"

    @property
    def delta_arrow(self) -> str:
        """``off`` when there is no change to show, else ``auto`` (the arrow follows the sign)."""
        return "off" if self.unchanged else "auto"

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "figure"}
        out.update(trend=[list(p) for p in self.trend], batch_ids=list(self.batch_ids), run_ids=list(self.run_ids),
                   details=dict(self.details),
                   figure=dataclasses.asdict(self.figure) if dataclasses.is_dataclass(self.figure) else None)
        return out


def make_kpi(key: str, label: str, value: float | None, previous: float | None, fmt: Callable[[float], str],
             delta_fmt: Callable[[float], str], *, empty: str = "—", **kw: Any) -> Kpi:
    """A :class:`Kpi` with its display text and its change from the previous period."""
    delta = value - previous if value is not None and previous is not None else None
    return Kpi(key, label, value, fmt(value) if value is not None else empty, previous=previous, delta=delta,
               delta_display=delta_fmt(delta) if delta is not None else None, **kw)


@dataclasses.dataclass(frozen=True)
class ModelKpis:
    """The five KPIs of one model for one persona (``business`` or ``engineer``).

    ``has_data`` is False when the period holds none of the model's batches: the model is then never
    reported ``on track`` (its status is ``none`` unless a KPI is amber or red).
    """

    model: str
    persona: str
    period: Period
    as_of: str
    kpis: tuple[Kpi, ...]
    message: str = ""
    has_data: bool = True

    @property
    def status(self) -> str:
        """The worst status among the KPIs (``none`` when nothing could be computed or the period has no data)."""
        status = worst([k.status for k in self.kpis])
        return "none" if status == "ok" and not self.has_data else status

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    def get(self, key: str) -> Kpi | None:
        return next((k for k in self.kpis if k.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "persona": self.persona, "period": self.period.to_dict(), "as_of": self.as_of,
                "message": self.message, "status": self.status, "has_data": self.has_data,
                "kpis": [k.to_dict() for k in self.kpis]}


@dataclasses.dataclass(frozen=True)
class ProductionModel:
    """The model version in production and when it was trained."""

    version: str
    trained_at: str | None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def unavailable(model: str, persona: str, period: Period, reason: str) -> ModelKpis:
    """A result without KPIs, for a model whose figures could not be read (the page says why)."""
    return ModelKpis(model, persona, period, dt.datetime.now(dt.timezone.utc).isoformat(), (), reason, has_data=False)


def span_message(model: str, snapshots: Sequence[Snapshot], period: Period) -> str:
    """What is missing when the period holds no batch of the model: where its batches are, if anywhere."""
    if period.select(snapshots):
        return ""
    if not snapshots:
        return f"No batches of {model} have been monitored yet."
    times = sorted(s.ts for s in snapshots)
    return (f"No batches of {model} in this period ({period.words}); the first is from {day(times[0])}, "
            f"the latest from {day(times[-1])}.")
