"""Persona KPIs: five numbers per model for business users, five for data engineers.

Every KPI is a pure function of stored snapshots, pipeline runs, the model's onboarding spec and
the production version's training date; :func:`business_kpis_for` and :func:`engineer_kpis_for`
collect those from the service. Each :class:`Kpi` carries the batch ids and pipeline run ids it was
computed from, its definition (``help``) and the same figure for the period before, of equal length.
The definitions are written out in ``docs/kpis.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from monitor.errors import MonitorError
from monitor.sources.pipelines import PipelineRun
from monitor.spec import ModelSpec

__all__ = [
    "Period", "Kpi", "ModelKpis", "ProductionModel", "HealthScore", "health_score",
    "business_kpis", "engineer_kpis", "business_kpis_for", "engineer_kpis_for", "production_model_for",
    "unavailable", "usual_ranges", "portfolio_frame", "kpi_frame", "runs_frame",
    "HEALTH_WEIGHTS", "STATUS_WORDS", "LIGHTS",
]

STATUS_ORDER = {"none": 0, "ok": 1, "warn": 2, "alert": 3}
STATUS_WORDS = {"ok": "on track", "warn": "keep an eye on it", "alert": "needs attention", "none": "no data yet"}
LIGHTS = {"ok": "🟢", "warn": "🟠", "alert": "🔴", "none": "⚪"}

# Health score: weight of each part (renormalised over the parts that can be computed).
HEALTH_WEIGHTS = {"input data": 0.3, "data quality": 0.2, "accuracy": 0.3, "freshness": 0.2}
HEALTH_LEVELS = (80, 60)              # >= 80 ok, >= 60 warn, below alert
QUALITY_PENALTY = {"critical": 25, "warning": 5}
PERFORMANCE_TOLERANCE = 0.10          # a 10% relative loss against the training baseline scores 0
PERFORMANCE_LEVELS = (0.05, 0.10)     # relative loss: <= 5% ok, <= 10% warn
VOLUME_LEVELS = (0.25, 0.50)          # |actual / usual - 1|: <= 25% ok, <= 50% warn
SHIFT_LEVELS = (0.10, 0.25)           # |current / reference - 1|: <= 10% ok, <= 25% warn
TRAINING_AGE_DAYS = (90, 180)         # <= 90 days ok, <= 180 warn
SUCCESS_LEVELS = (1.0, 0.8)           # every run ok, >= 80% warn
LATE_GRACE = dt.timedelta(hours=1)    # a batch is late when it comes more than schedule + 1 h after the previous one
MIN_RUNS_FOR_RANGE = 4                # successful runs needed before a pipeline has a usual duration range
DURATION_TOLERANCE = 0.25             # the usual duration range is at least median +/- 25%
FINISHED = ("Succeeded", "Failed", "Cancelled")


# -- values -------------------------------------------------------------------------------------------
def _utc(value: dt.datetime | dt.date | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Period:
    """A time range ``[start, end)`` in UTC; :attr:`previous` is the range of the same length before it."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def from_dates(cls, start: dt.date, end: dt.date) -> Period:
        """The days ``start`` to ``end``, both included (what the period picker returns)."""
        return cls(_utc(start), _utc(end) + dt.timedelta(days=1))

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)

    def __contains__(self, ts: object) -> bool:
        return self.start <= _utc(ts) < self.end  # type: ignore[arg-type]

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclasses.dataclass(frozen=True)
class Kpi:
    """One KPI of one model over a period, with its change from the previous period and its sources."""

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

    @property
    def delta_color(self) -> str:
        """``normal`` when up is good, ``inverse`` when down is good, ``off`` when neither."""
        return {True: "normal", False: "inverse", None: "off"}[self.higher_is_better]

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["trend"] = [list(p) for p in self.trend]
        out["batch_ids"], out["run_ids"] = list(self.batch_ids), list(self.run_ids)
        return out


@dataclasses.dataclass(frozen=True)
class ModelKpis:
    """The five KPIs of one model for one persona (``business`` or ``engineer``)."""

    model: str
    persona: str
    period: Period
    as_of: str
    kpis: tuple[Kpi, ...]
    message: str = ""

    @property
    def status(self) -> str:
        """The worst status among the KPIs (``none`` when nothing could be computed)."""
        return max((k.status for k in self.kpis), key=STATUS_ORDER.__getitem__, default="none")

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "persona": self.persona, "period": self.period.to_dict(), "as_of": self.as_of,
                "message": self.message, "status": self.status, "kpis": [k.to_dict() for k in self.kpis]}


@dataclasses.dataclass(frozen=True)
class ProductionModel:
    """The model version in production and when it was trained."""

    version: str
    trained_at: str | None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class HealthScore:
    """Health of one batch: the weighted score, each part's score and reason, and the worst part."""

    score: int | None
    parts: Mapping[str, tuple[float, str]]
    worst: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "parts": {k: {"score": s, "reason": r} for k, (s, r) in self.parts.items()},
                "worst": self.worst}


# -- helpers ------------------------------------------------------------------------------------------
def _level(x: float | None, levels: tuple[float, float], higher_is_better: bool = False) -> str:
    if x is None:
        return "none"
    if higher_is_better:
        return "ok" if x >= levels[0] else "warn" if x >= levels[1] else "alert"
    return "ok" if x <= levels[0] else "warn" if x <= levels[1] else "alert"


def _kpi(key: str, label: str, value: float | None, previous: float | None, fmt: Callable[[float], str],
         delta_fmt: Callable[[float], str], **kw: Any) -> Kpi:
    delta = value - previous if value is not None and previous is not None else None
    empty = kw.pop("empty", "—")
    return Kpi(key, label, value, fmt(value) if value is not None else empty, previous=previous,
               delta=delta, delta_display=delta_fmt(delta) if delta is not None else None, **kw)


def _in(snaps: Sequence[Mapping[str, Any]], period: Period) -> list[Mapping[str, Any]]:
    return [s for s in snaps if s["ts"] in period]


def _upto(snaps: Sequence[Mapping[str, Any]], end: dt.datetime) -> list[Mapping[str, Any]]:
    return [s for s in snaps if _utc(s["ts"]) < end]


def _ids(snaps: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(s["batch_id"] for s in snaps)


def _day(ts: str | dt.datetime) -> str:
    return _utc(ts).strftime("%Y-%m-%d")


def _days(a: str | dt.datetime, b: str | dt.datetime) -> float:
    return (_utc(b) - _utc(a)).total_seconds() / 86400


def _weighted(snaps: Sequence[Mapping[str, Any]], get: Callable[[Mapping[str, Any]], float | None],
              weight: Callable[[Mapping[str, Any]], float]) -> float | None:
    pairs = [(v, weight(s)) for s in snaps if (v := get(s)) is not None]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def _series(snaps: Sequence[Mapping[str, Any]], get: Callable[[Mapping[str, Any]], float | None]) -> tuple[tuple[str, float], ...]:
    return tuple((s["ts"], float(v)) for s in snaps if (v := get(s)) is not None)


# -- health -------------------------------------------------------------------------------------------
_HIGHER_BETTER = {"auc": True, "accuracy": True, "precision": True, "recall": True, "f1": True, "r2": True,
                  "mae": False, "mape": False, "rmse": False, "log_loss": False}
_METRIC_NAMES = {"auc": "AUC", "accuracy": "accuracy", "mae": "average error (MAE)", "mape": "average % error (MAPE)"}


def _primary_metric(spec: ModelSpec, perf: Mapping[str, Any] | None) -> str:
    if spec.task == "classification":
        return "auc" if perf and perf.get("auc") is not None else "accuracy"
    return "mae"


def _relative_loss(metric: str, value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    change = (value - baseline) / abs(baseline)
    return -change if _HIGHER_BETTER[metric] else change


def _estimated(snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
    """The estimated metrics of a batch (made before its labels arrive), or an empty mapping."""
    return (snapshot.get("estimated") or {}).get("metrics") or {}


def _last_labelled(snaps: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((s for s in reversed(snaps) if s.get("performance")), None)


def health_score(spec: ModelSpec, snapshot: Mapping[str, Any], labelled: Mapping[str, Any] | None,
                 age_days: float) -> HealthScore:
    """Health (0-100) of one batch: a weighted mean of four parts, each scored 0-100.

    input data: 100 x (1 - share of drifted features / drift share threshold), floored at 0;
    data quality: 100 - 25 per critical and 5 per warning finding, floored at 0;
    accuracy: 100 x (1 - relative loss of the main metric against the training baseline / 10%),
    on the latest batch with labels (left out when there is none);
    freshness: 100 while the data is at most one schedule interval old, falling to 0 at two.
    """
    parts: dict[str, tuple[float, str]] = {}
    overall = (snapshot.get("drift") or {}).get("overall") or {}
    if overall.get("share_drifted") is not None:
        threshold = overall.get("share_threshold") or spec.drift.share
        score = 100 * max(0.0, 1 - overall["share_drifted"] / threshold)
        parts["input data"] = (score, f"{overall.get('n_drifted', 0)} of {overall.get('n_features', 0)} inputs "
                                      "look different from the training data")
    counts = (snapshot.get("quality") or {}).get("counts") or {}
    crit, warn = counts.get("critical", 0), counts.get("warning", 0)
    parts["data quality"] = (max(0.0, 100.0 - sum(QUALITY_PENALTY[k] * counts.get(k, 0) for k in QUALITY_PENALTY)),
                             f"{crit} serious and {warn} minor data problems in the latest batch")
    estimate = _estimated(snapshot)
    if not snapshot.get("performance") and estimate:
        metric = _primary_metric(spec, estimate)
        loss = _relative_loss(metric, estimate.get(metric), (snapshot.get("baseline") or {}).get(metric))
        if loss is not None:
            word = "worse" if loss > 0 else "better"
            parts["accuracy"] = (100 * max(0.0, min(1.0, 1 - loss / PERFORMANCE_TOLERANCE)),
                                 f"estimated {_METRIC_NAMES[metric]} is {abs(loss):.0%} {word} than at baseline "
                                 f"(labels of the batch of {_day(snapshot['ts'])} not in yet)")
    elif labelled is not None:
        perf, base = labelled.get("performance") or {}, labelled.get("baseline") or {}
        metric = _primary_metric(spec, perf)
        loss = _relative_loss(metric, perf.get(metric), base.get(metric))
        if loss is not None:
            word = "worse" if loss > 0 else "better"
            parts["accuracy"] = (100 * max(0.0, min(1.0, 1 - loss / PERFORMANCE_TOLERANCE)),
                                 f"{_METRIC_NAMES[metric]} is {abs(loss):.0%} {word} than at baseline "
                                 f"(batch of {_day(labelled['ts'])})")
    sched = spec.schedule_days
    parts["freshness"] = (100 * max(0.0, min(1.0, 1 - (age_days - sched) / sched)),
                          f"the latest data is {age_days:.1f} days old (expected every {sched:g} days)")
    total = sum(HEALTH_WEIGHTS[k] for k in parts)
    score = round(sum(HEALTH_WEIGHTS[k] * s for k, (s, _) in parts.items()) / total)
    worst = min(parts, key=lambda k: parts[k][0]) if min(s for s, _ in parts.values()) < 100 else None
    return HealthScore(score, {k: (round(s, 1), r) for k, (s, r) in parts.items()}, worst)


def _health_at(spec: ModelSpec, history: Sequence[Mapping[str, Any]], as_of: dt.datetime) -> HealthScore | None:
    if not history:
        return None
    return health_score(spec, history[-1], _last_labelled(history), max(0.0, _days(history[-1]["ts"], as_of)))


# -- business KPIs -------------------------------------------------------------------------------------
HELP = {
    "health": "Health score 0-100 of the latest batch: weighted mean of input data (30%: 100 × (1 − share of changed "
              "inputs ÷ alert share)), data quality (20%: 100 − 25 per serious and 5 per minor problem), accuracy "
              "(30%: 100 × (1 − loss against the baseline ÷ 10%), latest batch with labels) and freshness (20%: 100 up to "
              "one schedule interval, 0 at two). Parts without data are left out. Green ≥ 80, amber ≥ 60, red below. "
              "Source: stored batch snapshots.",
    "performance": "Main accuracy figure on the batches in the period whose labels have arrived (AUC, or accuracy, for "
                   "classifiers; mean absolute error for regressors), averaged weighted by labelled rows, against the "
                   "baseline: the same figure on data the model did not train on (validation data, else "
                   "cross-validation). Green within 5% of the baseline, amber within 10%, red beyond. While labels are "
                   "late, the figure is estimated from the model's scores (classifiers) or inputs and predictions "
                   "(regressors) and marked 'estimated'; with neither, the last known value and its date. "
                   "Source: snapshot performance and estimate.",
    "volume": "Predictions made in the period (rows scored), against the usual volume: the typical batch size "
              "(median over all batches so far) × the batches the schedule expects in the period. Green within 25% "
              "of usual, amber within 50%, red beyond. Source: snapshot row counts, monitor.toml schedule_days.",
    "shift": "How far the average prediction moved from the training data: for classifiers the share of positive "
             "predictions in percentage points, for regressors the mean predicted value in percent. Green within "
             "10% (relative) of training, amber within 25%, red beyond. Source: snapshot prediction summary.",
    "training_age": "Days from the training of the model version in production (alias champion/production, else the "
                    "newest) to the end of the period. Green up to 90 days, amber up to 180, red beyond. "
                    "Source: MLflow model registry and training run.",
}


def _health_kpi(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]], period: Period, as_of: dt.datetime) -> Kpi:
    current = _in(snaps, period)
    history = _upto(snaps, period.end)
    health = _health_at(spec, history, as_of) if current else None
    prev_history = _upto(snaps, period.previous.end)
    prev = _health_at(spec, prev_history, period.previous.end) if _in(snaps, period.previous) else None
    trend = []
    for i, s in enumerate(history):
        gap = _days(history[i - 1]["ts"], s["ts"]) if i else 0.0
        h = health_score(spec, s, _last_labelled(history[: i + 1]), gap)
        if s["ts"] in period:
            trend.append((s["ts"], float(h.score)))
    if health is None:
        return _kpi("health", "Health score", None, None, str, str, help=HELP["health"],
                    note="No batches in this period, so there is nothing to score yet.")
    note = "All parts are at full marks."
    if health.worst:
        note = f"Weakest part: {health.worst} — {health.parts[health.worst][1]}."
    labelled = _last_labelled(history)
    used = {history[-1]["batch_id"], *((labelled["batch_id"],) if labelled else ())}
    return _kpi("health", "Health score", float(health.score), float(prev.score) if prev else None,
                lambda v: f"{v:.0f} / 100", lambda d: f"{d:+.0f}", help=HELP["health"], note=note,
                status=_level(health.score, HEALTH_LEVELS, higher_is_better=True), higher_is_better=True,
                trend=tuple(trend), batch_ids=tuple(sorted(used)), details=health.to_dict())


def _period_performance(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]]) -> tuple[str, float | None, list]:
    labelled = [s for s in snaps if s.get("performance")]
    metric = "accuracy" if spec.task == "classification" and any(
        (s["performance"].get("auc") is None) for s in labelled) else _primary_metric(spec, {"auc": 1})
    used = [s for s in labelled if s["performance"].get(metric) is not None]
    value = _weighted(used, lambda s: s["performance"][metric], lambda s: s["performance"].get("n_labelled") or 1)
    return metric, value, used


def _fmt_metric(metric: str) -> Callable[[float], str]:
    return {"auc": "{:.3f}", "accuracy": "{:.1%}", "mae": "{:,.2f}", "mape": "{:.1%}"}[metric].format


def _performance_kpi(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]], period: Period) -> Kpi:
    current, history = _in(snaps, period), _upto(snaps, period.end)
    metric, value, used = _period_performance(spec, current)
    _, prev, _ = _period_performance(spec, _in(snaps, period.previous))
    last = _last_labelled(history)
    label = {"auc": "Accuracy (AUC)", "accuracy": "Accuracy", "mae": "Average error (MAE)"}[metric]
    waiting = [s for s in current if not s.get("performance")]
    if value is None and any(_estimated(s) for s in waiting):
        return _estimated_kpi(spec, current, waiting, history, last)
    if last is None:
        return _kpi("performance", label, None, None, str, str, empty="awaiting labels", help=HELP["performance"],
                    note="No labels have arrived for this model yet: accuracy appears once they do.",
                    batch_ids=_ids(current))
    notes, ids = [], list(_ids(used))
    if value is None:
        metric = _primary_metric(spec, last["performance"])
        value = last["performance"].get(metric)
        notes.append(f"Labels for this period have not arrived yet; showing the last known value, from the batch of "
                     f"{_day(last['ts'])}.")
        ids = [last["batch_id"]]
        label = {"auc": "Accuracy (AUC)", "accuracy": "Accuracy", "mae": "Average error (MAE)"}[metric]
    base = (last.get("baseline") or {}).get(metric)
    loss = _relative_loss(metric, value, base)
    fmt = _fmt_metric(metric)
    if base is not None and loss is not None:
        measured = f", measured on {last['baseline_source']}" if last.get("baseline_source") else ""
        notes.insert(0, f"Baseline {fmt(base)}{measured}: {abs(loss):.0%} {'worse' if loss > 0 else 'better'}.")
    if waiting and used:
        notes.append(f"Labels are late for {len(waiting)} batch(es) since {_day(waiting[0]['ts'])}; last known value "
                     f"{fmt(last['performance'][metric])} on {_day(last['ts'])}.")
    second = "accuracy" if metric == "auc" else "mape" if metric == "mae" else None
    if second and last["performance"].get(second) is not None:
        notes.append(f"Latest {_METRIC_NAMES[second]}: {_fmt_metric(second)(last['performance'][second])}.")
    return _kpi("performance", label, value, prev, fmt, lambda d: ("{:+.3f}" if metric == "auc" else "{:+.1%}" if
                metric == "accuracy" else "{:+,.2f}").format(d), help=HELP["performance"], note=" ".join(notes),
                status=_level(loss, PERFORMANCE_LEVELS) if loss is not None else "ok",
                higher_is_better=_HIGHER_BETTER[metric], batch_ids=tuple(ids),
                trend=_series(history, lambda s: (s.get("performance") or {}).get(metric)),
                details={"metric": metric, "baseline": base, "relative_loss": loss, "labels_late": _ids(waiting),
                         "last_known": {"batch_id": last["batch_id"], "ts": last["ts"],
                                        "value": last["performance"].get(metric)}})


def _estimated_kpi(spec: ModelSpec, current: Sequence[Mapping[str, Any]], waiting: Sequence[Mapping[str, Any]],
                   history: Sequence[Mapping[str, Any]], last: Mapping[str, Any] | None) -> Kpi:
    """The performance KPI of a period whose labels are late: estimated from the model's scores, and said so."""
    estimated = [s for s in waiting if _estimated(s)]
    metric = _primary_metric(spec, _estimated(estimated[-1]))
    value = _weighted(estimated, lambda s: _estimated(s).get(metric), lambda s: s["estimated"].get("n") or s.get("n_rows") or 1)
    base = (estimated[-1].get("baseline") or {}).get(metric)
    loss = _relative_loss(metric, value, base)
    fmt = _fmt_metric(metric)
    notes = [f"Estimated: labels are late for {len(waiting)} batch(es) since {_day(waiting[0]['ts'])}, so this is "
             f"estimated from the model's {'scores' if spec.task == 'classification' else 'inputs and predictions'} "
             f"({estimated[-1]['estimated'].get('method') or 'estimator'}); the realized value replaces it when labels arrive."]
    if base is not None and loss is not None:
        measured = f", measured on {estimated[-1]['baseline_source']}" if estimated[-1].get("baseline_source") else ""
        notes.insert(0, f"Baseline {fmt(base)}{measured}: {abs(loss):.0%} {'worse' if loss > 0 else 'better'}.")
    if last is not None and last["performance"].get(metric) is not None:
        notes.append(f"Last realized value {fmt(last['performance'][metric])} on {_day(last['ts'])}.")
    label = {"auc": "Accuracy (AUC)", "accuracy": "Accuracy", "mae": "Average error (MAE)"}[metric] + " · estimated"
    return _kpi("performance", label, value, None, fmt, str, help=HELP["performance"], note=" ".join(notes),
                status=_level(loss, PERFORMANCE_LEVELS) if loss is not None else "ok",
                higher_is_better=_HIGHER_BETTER[metric], batch_ids=_ids(estimated),
                trend=_series(history, lambda s: (s.get("performance") or {}).get(metric) or _estimated(s).get(metric)),
                details={"metric": metric, "baseline": base, "relative_loss": loss, "labels_late": _ids(waiting),
                         "estimated": True})


def _expected_batches(first: dt.datetime, schedule_days: float, start: dt.datetime, end: dt.datetime) -> int:
    """Schedule ticks ``first + k * schedule`` (k >= 0) falling in ``[start, end)``."""
    step = dt.timedelta(days=schedule_days)
    if end <= first:
        return 0
    k_lo = max(0, -(-(start - first) // step)) if start > first else 0
    k_hi = (end - first - dt.timedelta(microseconds=1)) // step
    return max(0, k_hi - k_lo + 1)


def _volume_kpi(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]], period: Period, as_of: dt.datetime) -> Kpi:
    current, history = _in(snaps, period), _upto(snaps, period.end)
    value = float(sum(s.get("n_rows") or 0 for s in current)) if current else None
    previous = _in(snaps, period.previous)
    prev = float(sum(s.get("n_rows") or 0 for s in previous)) if previous else None
    usual = ratio = None
    if history:
        typical = statistics.median(s.get("n_rows") or 0 for s in history)
        expected = _expected_batches(_utc(history[0]["ts"]), spec.schedule_days, period.start, max(as_of, period.start))
        usual = typical * expected
        ratio = (value or 0) / usual if usual else None
    if value is None:
        note = "No predictions in this period."
    elif usual:
        note = f"Usually about {usual:,.0f} ({expected} batch(es) of about {typical:,.0f}): {ratio:.0%} of usual."
    else:
        note = "Not enough history yet to know the usual volume."
    return _kpi("volume", "Predictions made", value, prev, "{:,.0f}".format, "{:+,.0f}".format, help=HELP["volume"],
                note=note, status=_level(abs(ratio - 1), VOLUME_LEVELS) if ratio is not None else "none",
                higher_is_better=None, trend=_series(current, lambda s: s.get("n_rows")), batch_ids=_ids(current),
                details={"usual": usual, "ratio": ratio})


def _shift(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]]) -> tuple[float | None, float | None, float | None]:
    """(current level, reference level, relative shift) of the average prediction over the batches."""
    key = "positive_rate" if spec.task == "classification" else "mean"
    level = _weighted(snaps, lambda s: (s.get("prediction") or {}).get(key), lambda s: s.get("n_rows") or 1)
    ref = next((r for s in reversed(snaps) if (r := ((s.get("prediction") or {}).get("reference") or {}).get(key)) is not None), None)
    rel = level / ref - 1 if level is not None and ref else None
    return level, ref, rel


def _shift_value(spec: ModelSpec, level: float | None, ref: float | None) -> float | None:
    if level is None or ref is None:
        return None
    return 100 * (level - ref) if spec.task == "classification" else (100 * (level / ref - 1) if ref else None)


def _shift_kpi(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]], period: Period) -> Kpi:
    current = _in(snaps, period)
    level, ref, rel = _shift(spec, current)
    prev = _shift_value(spec, *_shift(spec, _in(snaps, period.previous))[:2])
    value = _shift_value(spec, level, ref)
    classifier = spec.task == "classification"
    unit = " pts" if classifier else "%"
    if value is None:
        note = "No predictions in this period." if not current else "The training data's average prediction is unknown."
    elif classifier:
        note = f"{level:.1%} of cases predicted '{spec.target or 'positive'}', against {ref:.1%} in the training data."
    else:
        note = f"Average prediction {level:,.1f}, against {ref:,.1f} in the training data."
    trend = _series(current, lambda s: _shift_value(spec, *_shift(spec, [s])[:2]))
    return _kpi("shift", "Shift in predictions", value, prev, lambda v: f"{v:+.1f}{unit}", lambda d: f"{d:+.1f}{unit}",
                help=HELP["shift"], note=note, status=_level(abs(rel), SHIFT_LEVELS) if rel is not None else "none",
                higher_is_better=None, trend=trend, batch_ids=_ids(current),
                details={"level": level, "reference": ref, "relative": rel})


def _training_age_kpi(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]], period: Period, as_of: dt.datetime,
                      production: ProductionModel | None) -> Kpi:
    if production is None or not production.trained_at:
        return _kpi("training_age", "Days since training", None, None, str, str, help=HELP["training_age"],
                    note="The model registry has no version of this model in production.")
    trained = _utc(production.trained_at)
    value = max(0.0, _days(trained, as_of))
    prev = _days(trained, period.previous.end) if period.previous.end > trained else None
    current = _in(snaps, period)
    others = sorted({str(s.get("model_version")) for s in current} - {production.version})
    note = f"Version {production.version} in production, trained on {_day(trained)}."
    if others:
        note += f" Batches in this period were also scored by version(s) {', '.join(others)}."
    return _kpi("training_age", "Days since training", value, prev, "{:.0f} days".format, "{:+.0f}".format,
                help=HELP["training_age"], note=note, status=_level(value, TRAINING_AGE_DAYS), higher_is_better=False,
                trend=_series(current, lambda s: max(0.0, _days(trained, s["ts"]))),
                batch_ids=tuple(s["batch_id"] for s in current if str(s.get("model_version")) == production.version),
                run_ids=(production.run_id,) if production.run_id else (), details=production.to_dict())


def business_kpis(spec: ModelSpec, snapshots: Sequence[Mapping[str, Any]], period: Period, *,
                  production: ProductionModel | None = None, now: dt.datetime | None = None) -> ModelKpis:
    """Health, performance against baseline, prediction volume, prediction shift and days since training."""
    snaps = sorted(snapshots, key=lambda s: s["ts"])
    as_of = min(_utc(now or dt.datetime.now(dt.timezone.utc)), period.end)
    kpis = (_health_kpi(spec, snaps, period, as_of), _performance_kpi(spec, snaps, period),
            _volume_kpi(spec, snaps, period, as_of), _shift_kpi(spec, snaps, period),
            _training_age_kpi(spec, snaps, period, as_of, production))
    message = ""
    if not _upto(snaps, period.end):
        message = f"No batches have been monitored for {spec.name} yet."
    elif not _in(snaps, period):
        message = f"No batches of {spec.name} in this period; the latest is from {_day(_upto(snaps, period.end)[-1]['ts'])}."
    return ModelKpis(spec.name, "business", period, as_of.isoformat(), kpis, message)


# -- data-engineer KPIs -------------------------------------------------------------------------------
HELP_ENGINEER = {
    "success": "Succeeded ÷ finished runs (Succeeded, Failed, Cancelled) of the model's pipelines (monitor.toml "
               "`pipelines`) that started in the period. Green at 100%, amber from 80%, red below. "
               "Source: ADF pipeline runs or the local pipeline-run source.",
    "freshness": "Days from the latest monitored batch to the end of the period (or now), against the schedule "
                 "(monitor.toml `schedule_days`). A batch is late when it arrives more than the schedule + 1 h after "
                 "the previous one. Green when on time, amber when overdue or a batch in the period was late, red past "
                 "two intervals. Source: snapshot batch times.",
    "quality": "Data-quality findings (missing values, unseen categories, out-of-range values, type and schema "
               "problems) in the period's batches, by severity and column. Red with any critical finding, amber with "
               "any warning. Source: snapshot quality findings.",
    "drift": "Features whose drift test fails in the latest batch of the period (per-feature method and threshold), "
             "and since when every batch has drifted features. Red when the share of drifted features reaches the model's drift "
             "share, amber with any drifted feature. Source: snapshot drift report.",
    "duration": "Median duration of the main pipeline's successful runs in the period. Usual range per pipeline: "
                "Q1 − 1.5 × IQR to Q3 + 1.5 × IQR of its successful runs (at least 4) up to the end of the period, and "
                "never narrower than the median ± 25%; "
                "runs outside it are flagged (amber). Source: pipeline-run durations.",
}


def _model_runs(spec: ModelSpec, runs: Sequence[PipelineRun], period: Period) -> list[PipelineRun]:
    return sorted((r for r in runs if r.pipeline_name in spec.pipelines and r.run_start and r.run_start in period),
                  key=lambda r: r.run_start or "")


def _success_rate(runs: Sequence[PipelineRun]) -> float | None:
    finished = [r for r in runs if r.status in FINISHED]
    return sum(r.status == "Succeeded" for r in finished) / len(finished) if finished else None


def _minutes(run: PipelineRun) -> float | None:
    return run.duration_ms / 60_000 if run.duration_ms is not None else None


def _failed_row(r: PipelineRun) -> dict[str, Any]:
    return {"run_id": r.run_id, "pipeline": r.pipeline_name, "start": r.run_start, "duration_min": _minutes(r),
            "status": r.status, "message": r.message}


_NO_PIPELINES = "No pipelines are linked to this model: list them under `pipelines` in its monitor.toml table."


def _success_kpi(spec: ModelSpec, runs: Sequence[PipelineRun], period: Period) -> Kpi:
    if not spec.pipelines:
        return _kpi("success", "Pipeline success rate", None, None, str, str, help=HELP_ENGINEER["success"],
                    note=_NO_PIPELINES)
    current = _model_runs(spec, runs, period)
    rate, prev = _success_rate(current), _success_rate(_model_runs(spec, runs, period.previous))
    failed = [r for r in current if r.failed]
    finished = [r for r in current if r.status in FINISHED]
    note = f"No runs of {', '.join(spec.pipelines)} in this period." if not current else \
        f"{len(finished) - len(failed)} of {len(finished)} finished runs succeeded."
    if failed:
        note += " Failed: " + "; ".join(f"{r.pipeline_name} on {_day(r.run_start)} ({r.message or r.status})" for r in failed)
    weeks: dict[str, list[PipelineRun]] = {}
    for r in finished:
        start = _utc(r.run_start)
        weeks.setdefault((start - dt.timedelta(days=start.weekday())).date().isoformat(), []).append(r)
    trend = tuple((w, 100 * (_success_rate(rs) or 0)) for w, rs in sorted(weeks.items()))
    return _kpi("success", "Pipeline success rate", 100 * rate if rate is not None else None,
                100 * prev if prev is not None else None, "{:.1f}%".format, "{:+.1f} pts".format,
                help=HELP_ENGINEER["success"], note=note, higher_is_better=True, trend=trend,
                status=_level(rate, SUCCESS_LEVELS, higher_is_better=True), run_ids=tuple(r.run_id for r in current),
                details={"failed": [_failed_row(r) for r in failed], "finished": len(finished)})


def _late_batches(spec: ModelSpec, history: Sequence[Mapping[str, Any]], period: Period) -> list[dict[str, Any]]:
    allowed = dt.timedelta(days=spec.schedule_days) + LATE_GRACE
    late = []
    for before, s in zip(history, history[1:], strict=False):
        gap = _utc(s["ts"]) - _utc(before["ts"])
        if s["ts"] in period and gap > allowed:
            late.append({"batch_id": s["batch_id"], "ts": s["ts"],
                         "late_hours": (gap - dt.timedelta(days=spec.schedule_days)).total_seconds() / 3600})
    return late


def _age_text(days: float) -> str:
    return f"{days * 24:.0f} h" if days < 2 else f"{days:.1f} days"


def _freshness_kpi(spec: ModelSpec, snaps: Sequence[Mapping[str, Any]], period: Period, as_of: dt.datetime) -> Kpi:
    history = _upto(snaps, min(period.end, as_of + dt.timedelta(microseconds=1)))
    prev_history = _upto(snaps, period.previous.end)
    if not history:
        return _kpi("freshness", "Data freshness", None, None, str, str, help=HELP_ENGINEER["freshness"],
                    note="No batches have arrived for this model yet.")
    age = _days(history[-1]["ts"], as_of)
    prev = _days(prev_history[-1]["ts"], period.previous.end) if prev_history else None
    late = _late_batches(spec, history, period)
    sched = spec.schedule_days
    note = f"Latest batch {history[-1]['batch_id']} on {_day(history[-1]['ts'])}; expected every {sched:g} days."
    status = "ok"
    if age > sched + LATE_GRACE.total_seconds() / 86400:
        note += f" Overdue by {_age_text(age - sched)}."
        status = "warn"
    if late:
        note += " Late: " + ", ".join(f"{b['batch_id']} (+{b['late_hours']:.1f} h)" for b in late) + "."
        status = "warn"
    if age > 2 * sched:
        status = "alert"
    current = _in(history, period)
    trend = tuple((s["ts"], _days(b["ts"], s["ts"])) for b, s in zip(history, history[1:], strict=False) if s["ts"] in period)
    return _kpi("freshness", "Data freshness", age, prev, _age_text, lambda d: f"{d:+.1f} days",
                help=HELP_ENGINEER["freshness"], note=note, status=status, higher_is_better=False, trend=trend,
                batch_ids=tuple(dict.fromkeys([history[-1]["batch_id"], *(b["batch_id"] for b in late)])),
                details={"late": late, "latest": history[-1]["ts"], "n_batches": len(current)})


def _quality_kpi(snaps: Sequence[Mapping[str, Any]], period: Period) -> Kpi:
    current = _in(snaps, period)

    def findings(batch: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [f for s in batch for f in (s.get("quality") or {}).get("findings") or []]

    found = findings(current)
    if not current:
        return _kpi("quality", "Data quality issues", None, None, str, str, help=HELP_ENGINEER["quality"],
                    note="No batches in this period.")
    by_severity = Counter(f.get("severity", "info") for f in found)
    by_column = Counter(str(f.get("column")) for f in found if f.get("column"))
    note = "No data-quality findings." if not found else (
        ", ".join(f"{by_severity[k]} {k}" for k in ("critical", "warning", "info") if by_severity[k])
        + " — columns: " + ", ".join(f"{c} ({n})" for c, n in by_column.most_common()))
    prev_batches = _in(snaps, period.previous)
    status = "alert" if by_severity["critical"] else "warn" if by_severity["warning"] else "ok"
    return _kpi("quality", "Data quality issues", float(len(found)), float(len(findings(prev_batches))) if prev_batches else None,
                "{:.0f}".format, "{:+.0f}".format, help=HELP_ENGINEER["quality"], note=note, status=status,
                higher_is_better=False, trend=_series(current, lambda s: len((s.get("quality") or {}).get("findings") or [])),
                batch_ids=_ids(current), details={"by_severity": dict(by_severity), "by_column": dict(by_column)})


def _drifted(s: Mapping[str, Any]) -> list[str]:
    return [c for c, r in ((s.get("drift") or {}).get("features") or {}).items() if r.get("drifted")]


def _drift_kpi(snaps: Sequence[Mapping[str, Any]], period: Period) -> Kpi:
    current, history = _in(snaps, period), _upto(snaps, period.end)
    if not current:
        return _kpi("drift", "Drifted features", None, None, str, str, help=HELP_ENGINEER["drift"],
                    note="No batches in this period.")
    latest = current[-1]
    overall = (latest.get("drift") or {}).get("overall") or {}
    names = _drifted(latest)
    previous = _in(snaps, period.previous)
    since = None
    for s in reversed(history):
        if not _drifted(s):
            break
        since = s
    note = f"Latest batch {latest['batch_id']}: " + (", ".join(names) + " drifted." if names else "no feature drifted.")
    if since is not None:
        note += f" Features have drifted in every batch since the batch of {_day(since['ts'])} ({since['batch_id']})."
    status = "alert" if overall.get("drifted") else "warn" if names else "ok"
    n_features = overall.get("n_features") or len((latest.get("drift") or {}).get("features") or {})
    return _kpi("drift", "Drifted features", float(len(names)), float(len(_drifted(previous[-1]))) if previous else None,
                lambda v: f"{v:.0f} of {n_features}", "{:+.0f}".format, help=HELP_ENGINEER["drift"], note=note,
                status=status, higher_is_better=False, trend=_series(current, lambda s: len(_drifted(s))),
                batch_ids=(latest["batch_id"],) + ((since["batch_id"],) if since and since is not latest else ()),
                details={"features": names, "since": since["batch_id"] if since else None,
                         "since_ts": since["ts"] if since else None, "share_drifted": overall.get("share_drifted")})


def usual_ranges(runs: Sequence[PipelineRun]) -> dict[str, tuple[float, float]]:
    """Usual duration range (minutes) of each pipeline: Tukey fences over its successful runs, at least median ± 25%."""
    by_pipeline: dict[str, list[float]] = {}
    for r in runs:
        if r.status == "Succeeded" and (m := _minutes(r)) is not None:
            by_pipeline.setdefault(r.pipeline_name, []).append(m)
    out = {}
    for name, values in by_pipeline.items():
        if len(values) >= MIN_RUNS_FOR_RANGE:
            q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
            # a tight history would flag ordinary jitter: the range is never narrower than median +/- 25%
            low = min(q1 - 1.5 * (q3 - q1), (1 - DURATION_TOLERANCE) * median)
            high = max(q3 + 1.5 * (q3 - q1), (1 + DURATION_TOLERANCE) * median)
            out[name] = (max(0.0, low), high)
    return out


def _duration_kpi(spec: ModelSpec, runs: Sequence[PipelineRun], period: Period) -> Kpi:
    if not spec.pipelines:
        return _kpi("duration", "Pipeline duration", None, None, str, str, help=HELP_ENGINEER["duration"],
                    note=_NO_PIPELINES)
    history = [r for r in runs if r.pipeline_name in spec.pipelines and r.run_start and _utc(r.run_start) < period.end]
    ranges = usual_ranges(history)
    current = [r for r in _model_runs(spec, runs, period) if r.status == "Succeeded" and _minutes(r) is not None]
    if not current:
        return _kpi("duration", "Pipeline duration", None, None, str, str, help=HELP_ENGINEER["duration"],
                    note="No successful pipeline runs in this period.")
    main = Counter(r.pipeline_name for r in current).most_common(1)[0][0]
    flagged = [r for r in current if r.pipeline_name in ranges
               and not ranges[r.pipeline_name][0] <= _minutes(r) <= ranges[r.pipeline_name][1]]
    previous = [_minutes(r) for r in _model_runs(spec, runs, period.previous) if r.pipeline_name == main
                and r.status == "Succeeded" and _minutes(r) is not None]
    parts = [f"{p}: usual {lo:.1f}–{hi:.1f} min" for p, (lo, hi) in sorted(ranges.items())]
    parts += [f"{p}: not enough runs for a usual range" for p in sorted({r.pipeline_name for r in current} - set(ranges))]
    note = f"Main pipeline {main}. " + "; ".join(parts) + "."
    if flagged:
        note += " Outside the usual range: " + "; ".join(
            f"{r.pipeline_name} on {_day(r.run_start)} took {_minutes(r):.1f} min" for r in flagged) + "."
    return _kpi("duration", "Pipeline duration", statistics.median(_minutes(r) for r in current if r.pipeline_name == main),
                statistics.median(previous) if previous else None, "{:.1f} min".format, "{:+.1f} min".format,
                help=HELP_ENGINEER["duration"], note=note, status="warn" if flagged else "ok", higher_is_better=False,
                trend=tuple((r.run_start, _minutes(r)) for r in current if r.pipeline_name == main),
                run_ids=tuple(r.run_id for r in current),
                details={"main": main, "ranges": {k: list(v) for k, v in ranges.items()},
                         "flagged": [_failed_row(r) | {"usual": list(ranges[r.pipeline_name])} for r in flagged]})


def engineer_kpis(spec: ModelSpec, snapshots: Sequence[Mapping[str, Any]], runs: Sequence[PipelineRun], period: Period, *,
                  now: dt.datetime | None = None) -> ModelKpis:
    """Pipeline success rate, data freshness, data-quality issues, drifted features and pipeline duration."""
    snaps = sorted(snapshots, key=lambda s: s["ts"])
    as_of = min(_utc(now or dt.datetime.now(dt.timezone.utc)), period.end)
    kpis = (_success_kpi(spec, runs, period), _freshness_kpi(spec, snaps, period, as_of), _quality_kpi(snaps, period),
            _drift_kpi(snaps, period), _duration_kpi(spec, runs, period))
    message = "" if _in(snaps, period) else f"No batches of {spec.name} in this period."
    return ModelKpis(spec.name, "engineer", period, as_of.isoformat(), kpis, message)


# -- collectors ---------------------------------------------------------------------------------------
def production_model_for(service: Any, spec: ModelSpec) -> ProductionModel | None:
    """The production version of a model and its training date (profile doc, else training run, else registration)."""
    try:
        info = service.mlflow.production_version(spec.registered_model)
    except MonitorError:
        return None
    if info is None:
        return None
    trained_at = (service.profile_doc(spec.name, info.version) or {}).get("trained_at")
    if not trained_at and info.run_id:
        try:
            trained_at = service.mlflow.run(info.run_id).get("start")
        except MonitorError:
            trained_at = None
    return ProductionModel(str(info.version), trained_at or info.created or None, info.run_id)


def business_kpis_for(service: Any, model: str, period: Period, now: dt.datetime | None = None) -> ModelKpis:
    """:func:`business_kpis` of one model, read from the service (all batches up to the end of the period)."""
    spec = service.model(model)
    return business_kpis(spec, service.snapshots(model, None, period.end), period,
                         production=production_model_for(service, spec), now=now)


def engineer_kpis_for(service: Any, model: str, period: Period, now: dt.datetime | None = None) -> ModelKpis:
    """:func:`engineer_kpis` of one model, read from the service (runs from 90 days before the previous period)."""
    spec = service.model(model)
    runs = service.pipeline_runs(period.previous.start - dt.timedelta(days=90), period.end, list(spec.pipelines)) \
        if spec.pipelines else []
    return engineer_kpis(spec, service.snapshots(model, None, period.end), runs, period, now=now)


def unavailable(model: str, persona: str, period: Period, reason: str) -> ModelKpis:
    """A result without KPIs, for a model whose figures could not be read (the page says why)."""
    return ModelKpis(model, persona, period, dt.datetime.now(dt.timezone.utc).isoformat(), (), reason)


# -- tables -------------------------------------------------------------------------------------------
def _reason(kpi: Kpi) -> str:
    parts = kpi.details.get("parts") if kpi.key == "health" else None
    if parts and kpi.details.get("worst"):
        worst = kpi.details["worst"]
        return f"{worst}: {parts[worst]['reason']}"
    return f"{kpi.label.lower()}: {kpi.note.split('. ')[0].rstrip('.')}"


def portfolio_frame(reports: Sequence[ModelKpis]) -> pd.DataFrame:
    """One row per model for business users: traffic light, health score and what needs attention."""
    rows = []
    for r in reports:
        kpis = {k.key: k for k in r.kpis}
        worst = [k for k in r.kpis if k.status == r.status and r.status in ("warn", "alert")]
        why = r.message or "; ".join(_reason(k) for k in worst) or "nothing to report"
        rows.append({
            "": LIGHTS[r.status], "Model": r.model, "Status": STATUS_WORDS[r.status],
            "Health score": kpis["health"].value if "health" in kpis else None,
            "Accuracy": kpis["performance"].display if "performance" in kpis else "—",
            "Predictions": kpis["volume"].display if "volume" in kpis else "—",
            "Trained": kpis["training_age"].display + " ago" if kpis.get("training_age") and
            kpis["training_age"].value is not None else "—",
            "Why": why,
        })
    return pd.DataFrame(rows, columns=["", "Model", "Status", "Health score", "Accuracy", "Predictions", "Trained", "Why"])


def kpi_frame(reports: Sequence[ModelKpis]) -> pd.DataFrame:
    """Every KPI of the given results, one row each, with the batch and run ids it came from (for CSV export)."""
    rows = [{
        "model": r.model, "persona": r.persona, "period_start": r.period.start.date().isoformat(),
        "period_end": (r.period.end - dt.timedelta(days=1)).date().isoformat(), "as_of": r.as_of, "kpi": k.key,
        "label": k.label, "value": k.value, "shown": k.display, "previous_period": k.previous, "change": k.delta,
        "status": k.status, "note": k.note, "batch_ids": " ".join(k.batch_ids), "run_ids": " ".join(k.run_ids),
        "definition": k.help,
    } for r in reports for k in r.kpis]
    return pd.DataFrame(rows, columns=["model", "persona", "period_start", "period_end", "as_of", "kpi", "label", "value",
                                       "shown", "previous_period", "change", "status", "note", "batch_ids", "run_ids",
                                       "definition"])


def runs_frame(runs: Sequence[PipelineRun], flagged: Sequence[str] = ()) -> pd.DataFrame:
    """Pipeline runs as a table (newest first), with the runs outside their usual duration marked."""
    flagged_ids = set(flagged)
    rows = [{
        "pipeline": r.pipeline_name, "status": r.status, "start": pd.Timestamp(r.run_start) if r.run_start else pd.NaT,
        "end": pd.Timestamp(r.run_end) if r.run_end else pd.NaT, "duration_min": _minutes(r),
        "outside_usual_range": r.run_id in flagged_ids, "message": r.message, "run_id": r.run_id,
    } for r in runs]
    frame = pd.DataFrame(rows, columns=["pipeline", "status", "start", "end", "duration_min", "outside_usual_range",
                                        "message", "run_id"])
    return frame.sort_values("start", ascending=False).reset_index(drop=True)
