"""Business KPIs: health, performance against baseline, prediction volume, prediction shift, days since training."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence

from monitor.figures import PredictionShift, batches_text, level, prediction_shift
from monitor.kpis.definitions import HELP, TRAINING_AGE_DAYS, VOLUME_LEVELS
from monitor.kpis.health import health_kpi, performance_kpi, period_figure
from monitor.kpis.values import Kpi, ModelKpis, Period, ProductionModel, make_kpi, span_message
from monitor.kpis.words import shift_plain
from monitor.snapshots.types import Snapshot
from monitor.spec import ModelSpec
from monitor.timeutil import day, days_between, parse_utc

__all__ = ["business_kpis", "expected_batches"]


def expected_batches(first: dt.datetime, schedule_days: float, start: dt.datetime, end: dt.datetime) -> int:
    """Schedule ticks ``first + k * schedule`` (k >= 0) falling in ``[start, end)``."""
    step = dt.timedelta(days=schedule_days)
    if end <= first:
        return 0
    k_lo = max(0, -(-(start - first) // step)) if start > first else 0
    k_hi = (end - first - dt.timedelta(microseconds=1)) // step
    return max(0, k_hi - k_lo + 1)


def _rows(batches: Sequence[Snapshot], before: Sequence[Snapshot]) -> float | None:
    """Rows scored by ``batches``; 0 when there are none but the model had batches before, None before its first."""
    return float(sum(s.n_rows for s in batches)) if batches else (0.0 if before else None)


def _volume_words(ratio: float) -> str:
    if abs(ratio - 1) <= VOLUME_LEVELS[0]:
        return "About the usual volume"
    return "Fewer predictions than usual" if ratio < 1 else "More predictions than usual"


def _volume_kpi(spec: ModelSpec, snaps: Sequence[Snapshot], period: Period, as_of: dt.datetime) -> Kpi:
    current, history = period.select(snaps), period.upto(snaps)
    value = _rows(current, history)
    prev = _rows(period.previous.select(snaps), period.upto(snaps, period.previous.end))
    usual = ratio = None
    expected = 0
    typical = 0.0
    if history:
        typical = statistics.median(s.n_rows for s in history)
        expected = expected_batches(history[0].time, spec.schedule_days, period.start, max(as_of, period.start))
        usual = typical * expected
        ratio = (value or 0) / usual if usual else None
    if value is None:
        note = "No predictions in this period: the model had no batch yet."
    elif usual and not current:
        note = (f"No predictions in this period, though about {usual:,.0f} were expected ({expected} batch(es) of "
                f"about {typical:,.0f}).")
    elif usual:
        note = (f"{_volume_words(ratio)}: about {usual:,.0f} were expected ({expected} batch(es) of about "
                f"{typical:,.0f}), {ratio:.0%} of usual.")
    elif not current:
        note = "No predictions in this period, and no batch was expected in it."
    else:
        note = "Not enough history yet to know the usual volume."
    return make_kpi("volume", "Predictions made", value, prev, "{:,.0f}".format, "{:+,.0f}".format,
                    help=HELP["volume"], note=note, status=level(abs(ratio - 1), VOLUME_LEVELS) if ratio is not None
                    else "none", higher_is_better=None, trend=tuple((s.ts, float(s.n_rows)) for s in current),
                    batch_ids=tuple(s.batch_id for s in current),
                    details={"usual": usual, "ratio": ratio, "expected_batches": expected})


def _shift_note(spec: ModelSpec, shift: PredictionShift, current: Sequence[Snapshot]) -> str:
    if shift.value is None:
        note = "No predictions in this period." if not current else "The training data's average prediction is unknown."
    else:
        note = f"{shift_plain(spec, shift)} Measured over {batches_text(shift.times)}."
    d, drifted = shift.drift, len(shift.drifted_batches)
    others = f" in {drifted} of the {len(current)} batches" if drifted > (1 if shift.drifted else 0) else ""
    if d is not None and d.computed and shift.drift_time:
        where = f"the batch of {day(shift.drift_time)} ({shift.drift_batch})"
        if d.drifted:
            note += (f" The distribution of the predictions drifted{others}, including the latest: {where}." if others else
                     f" The distribution of the predictions drifted in {where}.")
        else:
            note += f" The distribution of the predictions did not drift in {where}" + (f"; it drifted{others}" if others else "") + "."
    elif others:
        note += f" The distribution of the predictions drifted{others}."
    return note


def _shift_kpi(spec: ModelSpec, snaps: Sequence[Snapshot], period: Period) -> Kpi:
    current = period.select(snaps)
    shift = prediction_shift(spec, current)
    prev = prediction_shift(spec, period.previous.select(snaps)).value
    unit = shift.unit
    trend = tuple((s.ts, v) for s in current if (v := prediction_shift(spec, [s]).value) is not None)
    return make_kpi("shift", "Shift in predictions", shift.value, prev, lambda v: f"{v:+.1f}{unit}",
                    lambda d: f"{d:+.1f}{unit}", help=HELP["shift"], note=_shift_note(spec, shift, current),
                    status=shift.status, higher_is_better=None, trend=trend, batch_ids=shift.batch_ids, figure=shift,
                    details={"level": shift.level, "reference": shift.reference, "relative": shift.relative,
                             "prediction_drifted": shift.drifted, "drift_batch": shift.drift_batch,
                             "drifted_batches": shift.drifted_batches, "plain": shift_plain(spec, shift)})


def _training_age_kpi(snaps: Sequence[Snapshot], period: Period, as_of: dt.datetime,
                      production: ProductionModel | None, registry_problem: str | None) -> Kpi:
    if production is None or not production.trained_at:
        return make_kpi("training_age", "Days since training", None, None, str, str, help=HELP["training_age"],
                        note=registry_problem or "The model registry has no version of this model in production.")
    trained = parse_utc(production.trained_at)
    source = dict(help=HELP["training_age"], run_ids=(production.run_id,) if production.run_id else (),
                  details=production.to_dict(), figure=production)
    if trained > as_of:
        return make_kpi("training_age", "Days since training", None, None, str, str, empty="trained later",
                        note=f"Version {production.version} in production was trained on {day(trained)}, after this "
                             f"period ({period.words}).", **source)
    current = period.select(snaps)
    others = sorted({str(s.model_version) for s in current} - {production.version})
    note = f"Version {production.version} in production, trained on {day(trained)}; age on {day(as_of)}."
    if others:
        note += f" Batches in this period were also scored by version(s) {', '.join(others)}."
    value = days_between(trained, as_of)
    prev = days_between(trained, period.previous.end) if period.previous.end > trained else None
    return make_kpi("training_age", "Days since training", value, prev, "{:.0f} days".format, "{:+.0f}".format,
                    note=note, status=level(value, TRAINING_AGE_DAYS), higher_is_better=False,
                    trend=tuple((s.ts, max(0.0, days_between(trained, s.ts))) for s in current),
                    batch_ids=tuple(s.batch_id for s in current if str(s.model_version) == production.version), **source)


def business_kpis(spec: ModelSpec, snapshots: Sequence[Snapshot], period: Period, *,
                  production: ProductionModel | None = None, now: dt.datetime | None = None,
                  registry_problem: str | None = None) -> ModelKpis:
    """Health, performance against baseline, prediction volume, prediction shift and days since training.

    ``snapshots`` may hold every batch of the model: figures use those before the end of the period, the
    message of an empty period names where the batches are. ``registry_problem`` says why ``production``
    is missing when the registry could not be read.
    """
    snaps = sorted(snapshots, key=lambda s: s.ts)
    as_of = min(parse_utc(now or dt.datetime.now(dt.timezone.utc)), period.end)
    figure = period_figure(spec, snaps, period)
    kpis = (health_kpi(spec, snaps, period, as_of, figure), performance_kpi(spec, snaps, period, figure),
            _volume_kpi(spec, snaps, period, as_of), _shift_kpi(spec, snaps, period),
            _training_age_kpi(snaps, period, as_of, production, registry_problem))
    return ModelKpis(spec.name, "business", period, as_of.isoformat(), kpis, span_message(spec.name, snaps, period),
                     has_data=bool(period.select(snaps)))
