"""Figures shown in more than one place, each computed by one function from typed snapshots.

The KPI cards, the health score, the portfolio table, the exports, the alert rules and the pages all
read these results, so one quantity cannot come out differently in two places. Each result says
which batches it comes from. Pure: no store, no MLflow, no Streamlit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.snapshots.types import ColumnDriftResult, Snapshot
from monitor.spec import ModelSpec
from monitor.timeutil import day

__all__ = ["HIGHER_IS_BETTER", "METRIC_LABELS", "PERFORMANCE_LEVELS", "SHIFT_LEVELS", "HEALTH_LEVELS", "HEALTH_WEIGHTS",
           "QUALITY_PENALTY", "PERFORMANCE_TOLERANCE", "STATUS_ORDER", "level", "worst", "metric_text", "loss_text",
           "batches_text", "main_metric", "relative_loss", "performance_status", "PeriodPerformance",
           "period_performance", "PredictionShift", "prediction_shift", "DatasetVerdict", "dataset_verdict",
           "HealthPart", "HealthScore", "health_status", "health_score", "health_series"]

HIGHER_IS_BETTER = {"auc": True, "accuracy": True, "precision": True, "recall": True, "f1": True, "r2": True,
                    "mae": False, "mape": False, "rmse": False, "log_loss": False}
METRIC_LABELS = {"auc": "AUC", "accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1",
                 "log_loss": "Log loss", "mae": "MAE", "rmse": "RMSE", "mape": "MAPE", "r2": "R²"}
_FORMATS = {"auc": "{:.3f}", "accuracy": "{:.1%}", "precision": "{:.1%}", "recall": "{:.1%}", "f1": "{:.3f}",
            "mae": "{:,.2f}", "rmse": "{:,.2f}", "mape": "{:.1%}", "r2": "{:.3f}", "log_loss": "{:.3f}"}
_SECOND = {"auc": "accuracy", "mae": "mape"}   # the second metric a business note names, on the same batches

STATUS_ORDER = {"none": 0, "ok": 1, "warn": 2, "alert": 3}
PERFORMANCE_LEVELS = (0.05, 0.10)     # relative loss against the baseline: <= 5% ok, <= 10% warn, beyond alert
PERFORMANCE_TOLERANCE = 0.10          # health's accuracy part scores 0 at a 10% relative loss
SHIFT_LEVELS = (0.10, 0.25)           # |current / reference - 1|: <= 10% ok, <= 25% warn
HEALTH_LEVELS = (80, 60)              # >= 80 ok, >= 60 warn, below alert
HEALTH_WEIGHTS = {"input data": 0.3, "data quality": 0.2, "accuracy": 0.3, "freshness": 0.2}
QUALITY_PENALTY = {"critical": 25, "warning": 5}


# -- levels and words ------------------------------------------------------------------------------------
def level(x: float | None, levels: tuple[float, float], higher_is_better: bool = False) -> str:
    """``ok`` / ``warn`` / ``alert`` of ``x`` against two levels (``none`` when ``x`` is unknown)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "none"
    if higher_is_better:
        return "ok" if x >= levels[0] else "warn" if x >= levels[1] else "alert"
    return "ok" if x <= levels[0] else "warn" if x <= levels[1] else "alert"


def worst(statuses: Sequence[str]) -> str:
    """The worst of some statuses (``none`` when there are none)."""
    return max(statuses, key=STATUS_ORDER.__getitem__, default="none")


def metric_text(metric: str, value: float | None) -> str:
    """A metric's value as the pages show it (``—`` when unknown)."""
    return "—" if value is None else _FORMATS.get(metric, "{:.4g}").format(value)


def loss_text(loss: float | None) -> str:
    """``6% worse`` / ``2% better`` for a relative loss (empty when unknown)."""
    return "" if loss is None else f"{abs(loss):.0%} {'worse' if loss > 0 else 'better'}"


def batches_text(times: Sequence[str]) -> str:
    """``the batch of 2026-10-05`` or ``the 4 batches of 2026-09-07 to 2026-09-28``."""
    if not times:
        return "no batch"
    if len(times) == 1:
        return f"the batch of {day(times[0])}"
    return f"the {len(times)} batches of {day(min(times))} to {day(max(times))}"


# -- performance against the baseline ----------------------------------------------------------------------
def main_metric(spec: ModelSpec, *measured: Mapping[str, float] | None) -> str:
    """The main metric of a model: AUC for classifiers (accuracy when a measurement has no AUC, or without scores),
    MAE for regressors."""
    if spec.task != "classification":
        return "mae"
    given = [m for m in measured if m]
    if given:
        return "auc" if all(m.get("auc") is not None for m in given) else "accuracy"
    return "auc" if spec.score else "accuracy"


def relative_loss(metric: str, value: float | None, baseline: float | None) -> float | None:
    """How much worse ``value`` is than ``baseline``, relative (positive = worse, whatever the metric's direction)."""
    if value is None or not baseline or metric not in HIGHER_IS_BETTER:
        return None
    change = (value - baseline) / abs(baseline)
    return -change if HIGHER_IS_BETTER[metric] else change


def _number(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def performance_status(metric: str, value: float | None, baseline: float | None) -> str:
    """``ok`` / ``warn`` / ``alert`` of a metric against its baseline (5% and 10% relative loss), ``none`` unknown."""
    return level(relative_loss(metric, _number(value), _number(baseline)), PERFORMANCE_LEVELS)


@dataclasses.dataclass(frozen=True)
class PeriodPerformance:
    """The main metric over a set of batches against the baseline, and where it comes from.

    ``kind`` is ``realized`` (labelled batches of the window), ``estimated`` (no labelled batch, estimates
    of the window), ``last known`` (neither: the latest labelled batch before the window ends) or ``none``.
    """

    metric: str
    value: float | None
    baseline: float | None
    relative_loss: float | None
    status: str
    kind: str
    batch_ids: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    waiting_since: str | None = None
    baseline_source: str | None = None
    method: str | None = None
    second: str | None = None
    second_value: float | None = None

    @property
    def label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)

    @property
    def display(self) -> str:
        return metric_text(self.metric, self.value)

    @property
    def where(self) -> str:
        """Which batches the value comes from, in words."""
        return batches_text(self.times)

    @property
    def compared(self) -> str:
        """``6% worse than the baseline 6.58`` (empty without a baseline)."""
        words = loss_text(self.relative_loss)
        return f"{words} than the baseline {metric_text(self.metric, self.baseline)}" if words else ""

    @property
    def short(self) -> str:
        """One cell: ``MAE 6.69 (2% worse)``, ``AUC 0.718 estimated (0% better)``, ``awaiting labels``."""
        if self.value is None:
            return "awaiting labels"
        kind = "" if self.kind == "realized" else f" {self.kind}"
        loss = loss_text(self.relative_loss)
        return f"{self.label} {self.display}{kind}" + (f" ({loss})" if loss else "")

    @property
    def sentence(self) -> str:
        """``MAE is 2% worse than the baseline 6.58 (realized, the 4 batches of …)``."""
        if self.value is None:
            return f"no {self.label} yet"
        said = f"{self.label} is {self.compared}" if self.compared else f"{self.label} is {self.display}"
        return f"{said} ({self.kind}, {self.where})"


def _weighted(pairs: Sequence[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def period_performance(spec: ModelSpec, batches: Sequence[Snapshot], history: Sequence[Snapshot] = (), *,
                       metric: str | None = None, estimates: bool = True) -> PeriodPerformance:
    """The main metric (or ``metric``) over ``batches`` against the baseline of the latest of them it comes from.

    Realized values of the labelled batches, weighted by labelled rows; with none, the estimates of the
    batches (``estimates``), weighted by rows; with neither, the latest labelled batch of ``history``
    (the batches up to the end of the window) as ``last known``.
    """
    batches = sorted(batches, key=lambda s: s.ts)
    waiting = tuple(s for s in batches if s.performance is None)
    chosen: list[tuple[Snapshot, Mapping[str, float], float]] = []
    kind = "none"
    labelled = [s for s in batches if s.performance is not None]
    estimated = [s for s in waiting if s.estimated is not None and s.estimated.values] if estimates else []
    if labelled:
        kind, metric = "realized", metric or main_metric(spec, *(s.performance.values for s in labelled))
        chosen = [(s, s.performance.values, float(s.performance.n_labelled or 1)) for s in labelled]
    elif estimated:
        kind, metric = "estimated", metric or main_metric(spec, *(s.estimated.values for s in estimated))
        chosen = [(s, s.estimated.values, float(s.estimated.n or s.n_rows or 1)) for s in estimated]
    else:
        last = next((s for s in sorted(history, key=lambda s: s.ts, reverse=True) if s.performance is not None), None)
        if last is not None:
            kind, metric = "last known", metric or main_metric(spec, last.performance.values)
            chosen = [(last, last.performance.values, 1.0)]
    metric = metric or main_metric(spec)
    used = [(s, values, w) for s, values, w in chosen if values.get(metric) is not None]
    if not used:
        kind = "none"
    value = _weighted([(values[metric], w) for _, values, w in used])
    second = _SECOND.get(metric)
    second_value = _weighted([(values[second], w) for _, values, w in used if values.get(second) is not None]) \
        if second else None
    latest = used[-1][0] if used else None
    base = latest.baseline if latest is not None else None
    baseline = base.get(metric) if base is not None else None
    loss = relative_loss(metric, value, baseline)
    return PeriodPerformance(
        metric=metric, value=value, baseline=baseline, relative_loss=loss, status=level(loss, PERFORMANCE_LEVELS),
        kind=kind, batch_ids=tuple(s.batch_id for s, _, _ in used), times=tuple(s.ts for s, _, _ in used),
        waiting=tuple(s.batch_id for s in waiting), waiting_since=waiting[0].ts if waiting else None,
        baseline_source=base.source if base is not None else None,
        method=latest.estimated.method if kind == "estimated" and latest.estimated else None,
        second=second if second_value is not None else None, second_value=second_value)


# -- prediction shift ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PredictionShift:
    """How far the predictions of some batches moved from the reference's, and whether their distribution drifted.

    ``value`` is in business units: percentage points of positive predictions for classifiers, percent of the
    mean prediction for regressors. ``drift`` is the prediction column's drift result on the latest batch.
    """

    classifier: bool
    level: float | None
    reference: float | None
    relative: float | None
    value: float | None
    status: str
    batch_ids: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    drift: ColumnDriftResult | None = None
    drift_batch: str | None = None
    drift_time: str | None = None
    drifted_batches: tuple[str, ...] = ()

    unit = property(lambda self: " pts" if self.classifier else "%")
    drifted = property(lambda self: bool(self.drift and self.drift.drifted))

    @property
    def drift_sentence(self) -> str:
        """What the distribution test says on the latest batch (empty when it was not computed)."""
        d = self.drift
        if d is None or not d.computed:
            return ""
        test = f"{d.method} {d.statistic:.3g}" + (f", threshold {d.threshold:.3g}" if d.threshold is not None else "")
        where = f"the batch of {day(self.drift_time)} ({self.drift_batch})" if self.drift_time else "the latest batch"
        if d.drifted:
            return f"The distribution of predictions drifted in {where}: {test}."
        return f"The distribution of predictions did not drift in {where} ({test})."


def prediction_shift(spec: ModelSpec, batches: Sequence[Snapshot]) -> PredictionShift:
    """The average prediction of ``batches`` (weighted by rows) against the reference's, and the latest batch's
    prediction-drift verdict. A drifted prediction distribution is at least ``warn``, whatever the average."""
    batches = sorted(batches, key=lambda s: s.ts)
    classifier = spec.task == "classification"

    def get(levels) -> float | None:
        return levels.positive_rate if classifier else levels.mean

    pairs = [(v, float(s.n_rows or 1), s) for s in batches if (v := get(s.prediction.current)) is not None]
    current = _weighted([(v, w) for v, w, _ in pairs])
    reference = next((r for s in reversed(batches) if (r := get(s.prediction.reference)) is not None), None)
    relative = current / reference - 1 if current is not None and reference else None
    value = None
    if current is not None and reference is not None:
        value = 100 * (current - reference) if classifier else (100 * relative if relative is not None else None)
    latest = batches[-1] if batches else None
    drift = latest.prediction.drift if latest is not None else None
    status = level(abs(relative), SHIFT_LEVELS) if relative is not None else "none"
    if drift is not None and drift.drifted:
        status = worst([status, "warn"])
    return PredictionShift(
        classifier=classifier, level=current, reference=reference, relative=relative, value=value, status=status,
        batch_ids=tuple(s.batch_id for _, _, s in pairs), times=tuple(s.ts for _, _, s in pairs), drift=drift,
        drift_batch=latest.batch_id if drift is not None else None, drift_time=latest.ts if drift is not None else None,
        drifted_batches=tuple(s.batch_id for s in batches if s.status.prediction_drifted))


# -- dataset drift verdict -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DatasetVerdict:
    """The dataset-level drift verdict of one batch and the features whose test failed."""

    batch_id: str
    ts: str
    drifted: bool
    n_drifted: int
    n_features: int
    share: float | None
    threshold: float
    features: tuple[str, ...]

    @property
    def status(self) -> str:
        return "alert" if self.drifted else "warn" if self.features else "ok"

    @property
    def sentence(self) -> str:
        names = ", ".join(self.features) + " drifted" if self.features else "no feature drifted"
        return (f"{self.n_drifted} of {self.n_features} features drifted in the batch of {day(self.ts)} "
                f"({self.batch_id}): {names}.")


def dataset_verdict(spec: ModelSpec, snapshot: Snapshot) -> DatasetVerdict:
    d = snapshot.drift
    names = d.drifted_features
    return DatasetVerdict(batch_id=snapshot.batch_id, ts=snapshot.ts, drifted=d.drifted, n_drifted=d.n_drifted,
                          n_features=d.n_features or len(d.features), share=d.share_drifted,
                          threshold=d.share_threshold or spec.drift.share, features=names)


# -- health ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class HealthPart:
    """One part of the health score (0-100), why, and the batches it was judged on."""

    score: float
    reason: str
    batch_ids: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class HealthScore:
    """Health of a model at one batch: the weighted score, each part, and the worst part (None when all are full)."""

    score: int | None
    parts: Mapping[str, HealthPart]
    worst: str | None
    batch_id: str | None = None

    @property
    def status(self) -> str:
        return health_status(self.score)

    @property
    def batch_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b for p in self.parts.values() for b in p.batch_ids))


def health_status(score: float | None) -> str:
    """``ok`` / ``warn`` / ``alert`` of a health score (green >= 80, amber >= 60), ``none`` without one."""
    return level(score, HEALTH_LEVELS, higher_is_better=True)


def health_score(spec: ModelSpec, snapshot: Snapshot, performance: PeriodPerformance | None,
                 age_days: float) -> HealthScore:
    """Health (0-100) at ``snapshot``: a weighted mean of four parts, each scored 0-100.

    input data: 100 x (1 - share of drifted features / drift share threshold), floored at 0;
    data quality: 100 - 25 per critical and 5 per warning finding, floored at 0;
    accuracy: 100 x (1 - relative loss of ``performance`` / 10%), clipped to 0-100 (left out without one);
    freshness: 100 while the batch is at most one schedule interval old (``age_days``), falling to 0 at two.
    """
    parts: dict[str, HealthPart] = {}
    when = f"the batch of {day(snapshot.ts)}"
    verdict = dataset_verdict(spec, snapshot)
    if verdict.share is not None:
        parts["input data"] = HealthPart(100 * max(0.0, 1 - verdict.share / verdict.threshold),
                                         f"{verdict.n_drifted} of {verdict.n_features} inputs look different from the "
                                         f"training data ({when})", (snapshot.batch_id,))
    counts = snapshot.quality.counts
    parts["data quality"] = HealthPart(max(0.0, 100.0 - sum(p * counts.get(k, 0) for k, p in QUALITY_PENALTY.items())),
                                       f"{counts.get('critical', 0)} serious and {counts.get('warning', 0)} minor data "
                                       f"problems ({when})", (snapshot.batch_id,))
    if performance is not None and performance.relative_loss is not None:
        score = 100 * max(0.0, min(1.0, 1 - performance.relative_loss / PERFORMANCE_TOLERANCE))
        parts["accuracy"] = HealthPart(score, performance.sentence, performance.batch_ids)
    sched = spec.schedule_days
    parts["freshness"] = HealthPart(100 * max(0.0, min(1.0, 1 - (age_days - sched) / sched)),
                                    f"{when} is {max(0.0, age_days):.1f} days old (expected every {sched:g} days)",
                                    (snapshot.batch_id,))
    total = sum(HEALTH_WEIGHTS[k] for k in parts)
    score = round(sum(HEALTH_WEIGHTS[k] * p.score for k, p in parts.items()) / total)
    low = min(parts, key=lambda k: parts[k].score)
    rounded = {k: dataclasses.replace(p, score=round(p.score, 1)) for k, p in parts.items()}
    return HealthScore(score, rounded, low if parts[low].score < 100 else None, snapshot.batch_id)


def health_series(spec: ModelSpec, history: Sequence[Snapshot], age_at_last: float) -> list[tuple[Snapshot, HealthScore]]:
    """The health of each batch of ``history`` (oldest first), each judged on itself: its own performance figure
    (realized, else estimated, else the last known before it), its freshness when it arrived (days since the batch
    before), and the latest batch's freshness ``age_at_last`` days after it."""
    history = sorted(history, key=lambda s: s.ts)
    out = []
    for i, s in enumerate(history):
        age = age_at_last if i == len(history) - 1 else (s.time - history[i - 1].time).total_seconds() / 86400 if i else 0.0
        figure = period_performance(spec, [s], history[: i + 1])
        out.append((s, health_score(spec, s, figure, age)))
    return out
