"""The values the KPI functions return: a period, one KPI, the KPIs of one model, the production version."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from monitor.figures import worst
from monitor.snapshots.types import Snapshot
from monitor.timeutil import day, parse_utc

__all__ = ["Period", "Kpi", "ModelKpis", "ProductionModel", "STATUS_WORDS", "LIGHTS", "unavailable", "span_message", "make_kpi"]

STATUS_WORDS = {"ok": "on track", "warn": "keep an eye on it", "alert": "needs attention", "none": "no data in this period"}
LIGHTS = {"ok": "🟢", "warn": "🟠", "alert": "🔴", "none": "⚪"}


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
    def delta_color(self) -> str:
        """``normal`` when up is good, ``inverse`` when down is good, ``off`` when neither."""
        return {True: "normal", False: "inverse", None: "off"}[self.higher_is_better]

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
