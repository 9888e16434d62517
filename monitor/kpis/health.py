"""The health score and performance-against-baseline KPIs: both read one :class:`PeriodPerformance` of the period.

The performance card, its note, the health score's accuracy part and the portfolio's main-metric column
show the same figure because they are all built from the one result of :func:`period_figure`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from monitor.figures import (
    HEALTH_LEVELS,
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    HealthScore,
    PeriodPerformance,
    batches_text,
    health_score,
    loss_text,
    metric_text,
    period_performance,
)
from monitor.kpis.definitions import HELP, PERFORMANCE_TITLES
from monitor.kpis.values import Kpi, Period, make_kpi
from monitor.snapshots.types import Snapshot
from monitor.spec import ModelSpec
from monitor.timeutil import day, days_between

__all__ = ["period_figure", "health_kpi", "health_note", "performance_kpi"]


def period_figure(spec: ModelSpec, snapshots: Sequence[Snapshot], period: Period) -> PeriodPerformance:
    """The performance figure of the period: its batches, with the history up to its end for the last known value."""
    return period_performance(spec, period.select(snapshots), period.upto(snapshots))


def _health_at(spec: ModelSpec, batches: Sequence[Snapshot], history: Sequence[Snapshot], age: float,
               figure: PeriodPerformance | None = None):
    return health_score(spec, batches[-1], figure or period_performance(spec, batches, history), age)


def health_kpi(spec: ModelSpec, snapshots: Sequence[Snapshot], period: Period, as_of: dt.datetime,
               figure: PeriodPerformance) -> Kpi:
    """Health of the period: input data, data quality and freshness of its latest batch, accuracy from ``figure``."""
    current, history = period.select(snapshots), period.upto(snapshots)
    if not current:
        return make_kpi("health", "Health score", None, None, str, str, help=HELP["health"],
                        note=f"No batches in this period ({period.words}), so there is nothing to score.")
    health = _health_at(spec, current, history, max(0.0, days_between(current[-1].ts, as_of)), figure)
    before = period.previous.select(snapshots)
    prev = _health_at(spec, before, period.upto(snapshots, period.previous.end),
                      max(0.0, days_between(before[-1].ts, period.previous.end))) if before else None
    trend = []  # the health as the period went on: what the card would have shown after each of its batches
    for i, s in enumerate(current):
        upto = [h for h in history if h.ts <= s.ts]
        age = days_between(s.ts, as_of) if i == len(current) - 1 else \
            days_between(upto[-2].ts, s.ts) if len(upto) > 1 else 0.0
        trend.append((s.ts, float(_health_at(spec, current[: i + 1], upto, max(0.0, age)).score)))
    note = health_note(health)
    return make_kpi("health", "Health score", float(health.score), float(prev.score) if prev else None,
                    lambda v: f"{v:.0f} / 100", lambda d: f"{d:+.0f}", help=HELP["health"], note=note,
                    status=health.status, higher_is_better=True, trend=tuple(trend), batch_ids=health.batch_ids,
                    details={"score": health.score, "worst": health.worst,
                             "parts": {k: {"score": p.score, "reason": p.reason, "batch_ids": list(p.batch_ids)}
                                       for k, p in health.parts.items()}},
                    figure=health)


def health_note(health: HealthScore) -> str:
    """The parts that pull the score down (below 80, lowest first), or the lowest part when none does."""
    low = sorted((p.score, name) for name, p in health.parts.items() if p.score < HEALTH_LEVELS[0])
    if len(low) == 1:
        name = low[0][1]
        return f"Pulled down by {name} ({low[0][0]:.0f}/100): {health.parts[name].reason}."
    if low:
        names = [f"{name} ({score:.0f}/100)" for score, name in low]
        return f"Pulled down by {', '.join(names[:-1])} and {names[-1]}."
    if health.worst:
        return (f"Every part is at {HEALTH_LEVELS[0]} or more; the lowest is {health.worst} "
                f"({health.parts[health.worst].score:.0f}/100): {health.parts[health.worst].reason}.")
    return "All parts are at full marks."


def _delta_format(metric: str):
    return {"auc": "{:+.3f}", "accuracy": "{:+.1%}", "mape": "{:+.1%}"}.get(metric, "{:+,.2f}").format


def _measured(s: Snapshot, metric: str) -> float | None:
    if s.performance is not None:
        return s.performance.get(metric)
    return s.estimated.get(metric) if s.estimated is not None else None


def performance_kpi(spec: ModelSpec, snapshots: Sequence[Snapshot], period: Period, figure: PeriodPerformance) -> Kpi:
    """The main metric of the period against the baseline (realized, else estimated, else last known)."""
    f, current = figure, period.select(snapshots)
    title = PERFORMANCE_TITLES.get(f.metric, METRIC_LABELS.get(f.metric, f.metric))
    if f.value is None:
        note, empty = "No labels have arrived for this model yet: accuracy appears once they do.", "awaiting labels"
        if f.waiting:
            note = (f"No labels have arrived for this model yet: the {len(f.waiting)} batch(es) of this period wait "
                    "for theirs, and none has an estimate. Accuracy appears once labels arrive.")
        elif not period.upto(snapshots):
            note, empty = f"No batches in this period ({period.words}) nor before it: no accuracy to show.", "—"
        return make_kpi("performance", title, None, None, str, str, empty=empty, help=HELP["performance"],
                        note=note, batch_ids=tuple(s.batch_id for s in current), figure=f,
                        details={"metric": f.metric, "kind": f.kind, "labels_late": f.waiting})
    fmt = lambda v: metric_text(f.metric, v)  # noqa: E731
    notes = []
    if f.baseline is not None:
        measured = f", measured on {f.baseline_source}" if f.baseline_source else ""
        notes.append(f"Baseline {fmt(f.baseline)}{measured}: {loss_text(f.relative_loss)}.")
    else:
        notes.append("No baseline to compare with: the model version has no measured baseline.")
    if f.kind == "realized":
        notes.append(f"Realized on {f.where}, weighted by labelled rows.")
        if f.waiting:
            notes.append(f"Labels are late for {len(f.waiting)} batch(es) since {day(f.waiting_since)}; they count "
                         "once their labels arrive.")
    elif f.kind == "estimated":
        source = "scores" if spec.task == "classification" else "inputs and predictions"
        notes.append(f"Estimated: labels are late for {len(f.waiting)} batch(es) since {day(f.waiting_since)}, so "
                     f"this is estimated from the model's {source} ({f.method or 'estimator'}) on {f.where}; the "
                     "realized value replaces it when labels arrive.")
    else:
        notes.append(f"Labels for this period have not arrived yet; showing the last known value, from {f.where} "
                     f"({', '.join(f.batch_ids)}).")
    if f.second and f.second_value is not None:
        notes.append(f"{METRIC_LABELS[f.second]} {metric_text(f.second, f.second_value)} on the same batches.")
    prev = None
    if f.kind in ("realized", "estimated"):
        before = period_performance(spec, period.previous.select(snapshots), metric=f.metric)
        prev = before.value if before.kind == f.kind else None
    return make_kpi("performance", title + (" · estimated" if f.kind == "estimated" else ""), f.value, prev, fmt,
                    _delta_format(f.metric), help=HELP["performance"], note=" ".join(notes), status=f.status,
                    higher_is_better=HIGHER_IS_BETTER.get(f.metric), batch_ids=f.batch_ids, figure=f,
                    trend=tuple((s.ts, v) for s in current if (v := _measured(s, f.metric)) is not None),
                    details={"metric": f.metric, "kind": f.kind, "baseline": f.baseline,
                             "relative_loss": f.relative_loss, "labels_late": f.waiting,
                             "from": batches_text(f.times)})
